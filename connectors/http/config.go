// Package http is the generic HTTP+JSON connector: each operation is a
// method and a path on one base URL, with inputs placed in the path, the
// query string or a JSON body.
package http

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is one http connector in connectors.yaml.
type Config struct {
	// BaseURL is the system's address, e.g. https://waste.council.example.
	BaseURL string `yaml:"base_url"`
	// Timeout bounds one request; default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Headers are sent with every request. Values usually come from the
	// environment (${WASTE_TOKEN}) and are never logged or shown in errors.
	Headers map[string]string `yaml:"headers"`
	// Operations are what recipes can call, by name.
	Operations map[string]Operation `yaml:"operations"`
}

// Operation is one request shape.
type Operation struct {
	// Method is GET, POST, PUT, PATCH or DELETE; default GET.
	Method string `yaml:"method"`
	// Path is appended to the base URL; {name} is replaced by input name.
	Path string `yaml:"path"`
	// Query names inputs sent as query parameters.
	Query []string `yaml:"query"`
}

// validate sets defaults, then checks invariants, naming the YAML key at fault.
func (c *Config) validate(name string) error {
	key := "connectors." + name + ".http"
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	var errs []error
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.base_url: must be an http or https URL", key))
	}
	if len(c.Operations) == 0 {
		errs = append(errs, fmt.Errorf("%s.operations: needs at least one operation", key))
	}
	for opName, op := range c.Operations {
		if op.Method == "" {
			op.Method = "GET"
		}
		op.Method = strings.ToUpper(op.Method)
		switch op.Method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			errs = append(errs, fmt.Errorf("%s.operations.%s.method: %q is not GET, POST, PUT, PATCH or DELETE", key, opName, op.Method))
		}
		if !strings.HasPrefix(op.Path, "/") {
			errs = append(errs, fmt.Errorf("%s.operations.%s.path: must start with /", key, opName))
		}
		c.Operations[opName] = op
	}
	return errors.Join(errs...)
}
