package main

import (
	"os"
	"strings"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// authUsage ends the usage: secrets come from the environment only, so
// they stay out of the process list.
const authUsage = `
Credentials (from the environment; none set: the API asks for none):
  WASTESIM_BEARER_TOKEN                      a bearer token
  WASTESIM_BASIC_USER, WASTESIM_BASIC_PASSWORD   basic authentication
  WASTESIM_API_KEY                           an API key (see -api-key-header, -api-key-query)
  WASTESIM_CLIENT_ID, WASTESIM_CLIENT_SECRET     OAuth2 client credentials at POST /oauth/token
  WASTESIM_OPEN311_KEY                       the GeoReport v2 api_key (default demo-open311-key)
`

// authFromEnv reads the credentials the API asks for; nil when none is set.
func authFromEnv(keyHeader, keyQuery string, ttl time.Duration) *wastesim.Auth {
	a := &wastesim.Auth{
		BearerToken: os.Getenv("WASTESIM_BEARER_TOKEN"),
		Username:    os.Getenv("WASTESIM_BASIC_USER"), Password: os.Getenv("WASTESIM_BASIC_PASSWORD"),
		APIKey: os.Getenv("WASTESIM_API_KEY"), APIKeyHeader: keyHeader, APIKeyQuery: keyQuery,
		ClientID: os.Getenv("WASTESIM_CLIENT_ID"), ClientSecret: os.Getenv("WASTESIM_CLIENT_SECRET"),
		TokenTTL: ttl,
	}
	if a.BearerToken == "" && a.Password == "" && a.APIKey == "" && a.ClientSecret == "" {
		return nil
	}
	return a
}

// authKinds names, for the log, the kinds of credentials asked for: never
// the secrets.
func authKinds(a *wastesim.Auth) string {
	if a == nil {
		return "none"
	}
	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"bearer", a.BearerToken != ""}, {"basic", a.Password != ""}, {"api_key", a.APIKey != ""}, {"oauth2", a.ClientSecret != ""}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	return strings.Join(kinds, ",")
}
