package http_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
)

// withPassword puts a user and password into a server's address, as a
// designer might with base_url: https://larder:${WASTE_PASSWORD}@waste...
func withPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("larder", password)
	return u.String()
}

// TestErrorsKeepSecrets checks every way a call can fail: none may show
// the token header or the password in base_url, since errors reach logs,
// the Temporal UI and staff screens.
func TestErrorsKeepSecrets(t *testing.T) {
	refusing := connectortest.NewServer(t, 401, `{"code": "unauthorised", "message": "the token was refused"}`)
	down := connectortest.NewServer(t, 503, `{}`)
	notJSON := connectortest.NewServer(t, 200, `<html>`)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(slow.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name, base, op string
		timeout        time.Duration
	}{
		{"refusal", refusing.URL, "get_property", 0},
		{"server failure", down.URL, "report_missed", 0},
		{"reply not JSON", notJSON.URL, "get_property", 0},
		{"timeout", slow.URL, "get_property", 20 * time.Millisecond},
		{"connection refused", closed.URL, "report_missed", 0},
		{"no such host", "http://waste.invalid", "get_property", 500 * time.Millisecond},
		{"unknown operation", refusing.URL, "drop_tables", 0},
	} {
		ts := newTokenServer(t)
		for _, auth := range []*httpconn.Auth{
			nil,
			{Kind: "basic", Username: "larder", Password: password},
			{Kind: "bearer", Token: "tok-5ecret-f00d"},
			{Kind: "api_key", Name: "X-Api-Key", Value: apiKey},
			{Kind: "api_key", In: "query", Name: "api_key", Value: apiKey},
			oauth2Auth(ts, "form"),
		} {
			kind := "headers"
			if auth != nil {
				kind = auth.Kind + " " + auth.In
			}
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				cfg := httpconn.Config{BaseURL: withPassword(t, tc.base), Timeout: tc.timeout, Auth: auth, Operations: operations()}
				if auth == nil {
					cfg.Headers = map[string]string{"Authorization": token, "X-Api-Key": "k3y-" + password}
				}
				c, err := httpconn.New("waste", cfg)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = call(c, tc.op, map[string]any{"uprn": "1"})
				connectortest.NoSecretInError(t, err, token, "tok-5ecret-f00d", password, apiKey, clientSecret, "at-1")
			})
		}
	}
}

func TestConfigErrorsKeepSecrets(t *testing.T) {
	_, err := httpconn.New("waste", httpconn.Config{
		BaseURL:    "ftp://larder:" + password + "@waste.example",
		Headers:    map[string]string{"Authorization": token},
		Operations: map[string]httpconn.Operation{"get": {Method: "FETCH", Path: "/x"}},
	})
	connectortest.NoSecretInError(t, err, token, password)
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  httpconn.Config
		want []string
	}{
		{"not http", httpconn.Config{BaseURL: "ftp://waste.example", Operations: operations()},
			[]string{"connectors.waste.http.base_url: must be an http or https URL"}},
		{"no host", httpconn.Config{BaseURL: "http://", Operations: operations()},
			[]string{"connectors.waste.http.base_url:"}},
		{"a query in the base URL", httpconn.Config{BaseURL: "https://waste.example/api?api_key=" + token, Operations: operations()},
			[]string{"connectors.waste.http.base_url: must not carry a query: give an API key as auth"}},
		{"no operations", httpconn.Config{BaseURL: "http://waste.example"},
			[]string{"connectors.waste.http.operations: needs at least one operation"}},
		{"bad operation", httpconn.Config{BaseURL: "http://waste.example", Operations: map[string]httpconn.Operation{"get": {Method: "fetch", Path: "x"}}},
			[]string{`connectors.waste.http.operations.get.method: "FETCH" is not GET`, "connectors.waste.http.operations.get.path: must start with /"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpconn.New("waste", tc.cfg)
			if err == nil {
				t.Fatal("New accepted an invalid config")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}
