// Package open311 is the Open311 GeoReport v2 connector: the standard
// interface many councils' and cities' case systems offer for reports such
// as a missed bin, fly-tipping or graffiti. It lists services, reads a
// service's definition (its attributes), submits a service request and reads
// a request's status, in JSON or XML.
package open311

import (
	"errors"
	"net/url"
	"time"

	"github.com/larder-council/larder/connectors"
)

// Config is one open311 connector in connectors.yaml.
type Config struct {
	// BaseURL is the GeoReport v2 endpoint, without a trailing format or
	// query, e.g. https://council.example/open311/v2.
	BaseURL string `yaml:"base_url"`
	// Format is the reply format asked for: json or xml; default json.
	Format string `yaml:"format"`
	// APIKey is sent with every request that writes (submit_request), as
	// GeoReport v2 asks. It usually comes from the environment
	// (${OPEN311_API_KEY}) and never appears in an error, a log or a result.
	APIKey string `yaml:"api_key"`
	// JurisdictionID is sent with every request when the endpoint serves
	// more than one jurisdiction; leave it out when it serves one.
	JurisdictionID string `yaml:"jurisdiction_id"`
	// Timeout bounds one request; default 10s.
	Timeout time.Duration `yaml:"timeout"`
}

// validate sets defaults, then checks invariants. Each mistake is a
// *connectors.ConfigError at its YAML key, so the loader can show its line;
// no message repeats a value: base_url may carry a password or a key.
func (c *Config) validate(name string) error {
	var errs []error
	at := func(key, message string) {
		errs = append(errs, &connectors.ConfigError{Path: []string{"connectors", name, "open311", key}, Message: message})
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Format == "" {
		c.Format = "json"
	}
	u, err := url.Parse(c.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		at("base_url", "must be an http or https URL, e.g. https://council.example/open311/v2")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		at("base_url", "must not carry a query or fragment (put the key under api_key and the jurisdiction under jurisdiction_id)")
	}
	if c.Format != "json" && c.Format != "xml" {
		at("format", "must be json or xml")
	}
	if c.Timeout < 0 {
		at("timeout", "must be positive")
	}
	return errors.Join(errs...)
}
