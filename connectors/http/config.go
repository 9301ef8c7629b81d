// Package http is the generic HTTP+JSON connector: each operation is a
// method and a path on one base URL, with inputs placed in the path, the
// query string, headers or a JSON (or form-encoded) body, and the reply
// mapped to a step's result by expressions.
package http

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/larder-council/larder/connectors"
)

// Config is one http connector in connectors.yaml.
type Config struct {
	// BaseURL is the system's address, e.g. https://waste.council.example.
	BaseURL string `yaml:"base_url"`
	// Timeout bounds one request, token fetch included; default 10s. An
	// operation may set its own.
	Timeout time.Duration `yaml:"timeout"`
	// Headers are sent with every request. Values usually come from the
	// environment (${WASTE_TOKEN}) and are never logged or shown in errors.
	Headers map[string]string `yaml:"headers"`
	// Auth says how Larder proves who it is; none when left out.
	Auth *Auth `yaml:"auth"`
	// TLS adds a certificate authority to trust and a client certificate.
	TLS *TLS `yaml:"tls"`
	// Operations are what recipes can call, by name.
	Operations map[string]Operation `yaml:"operations"`
}

// Operation is one request shape.
type Operation struct {
	// Method is GET, POST, PUT, PATCH or DELETE; default GET.
	Method string `yaml:"method"`
	// Path is appended to the base URL; {name} is replaced by input name,
	// escaped. A path whose input is missing or empty fails the call.
	Path string `yaml:"path"`
	// Query is the query string: a list of input names sent under their own
	// names, or a map of parameter to template ("{postcode}", "json").
	Query Query `yaml:"query"`
	// Headers are this operation's headers, templates like the query's.
	Headers map[string]string `yaml:"headers"`
	// Body is the body's shape, for POST, PUT and PATCH: a map whose string
	// values are templates; a value that is one {name} alone keeps the
	// input's type (a number stays a number, a list a list). Inputs not
	// placed in the path, query, headers or body are added to its top level.
	Body map[string]any `yaml:"body"`
	// Encoding is how the body is sent: json (default) or form
	// (application/x-www-form-urlencoded; a map becomes key[sub]=value).
	Encoding string `yaml:"encoding"`
	// Timeout bounds this operation's request; default the connector's.
	Timeout time.Duration `yaml:"timeout"`
	// Refuse lists the reply statuses that are a refusal: not retried, seen
	// by the recipe's on_error. Any other failing status is an outage,
	// retried. Left out: every 4xx but 408 and 429 is a refusal.
	Refuse []int `yaml:"refuse"`
	// Result maps the step's result names to expressions over reply, the
	// decoded JSON reply, e.g. id: reply.reference. Left out, the result is
	// the reply itself (a list as {items: [...]}).
	Result map[string]string `yaml:"result"`

	result map[string]*vm.Program
}

// Query is an operation's query string: parameter name to template.
type Query map[string]string

// UnmarshalYAML reads a query given as a list of input names, each sent
// under its own name, or as a map of parameter to template.
func (q *Query) UnmarshalYAML(unmarshal func(any) error) error {
	var names []string
	if err := unmarshal(&names); err == nil {
		*q = make(Query, len(names))
		for _, n := range names {
			(*q)[n] = "{" + n + "}"
		}
		return nil
	}
	var m map[string]string
	if err := unmarshal(&m); err != nil {
		return errors.New("query must be a list of input names or a map of parameter to template")
	}
	*q = m
	return nil
}

// TLS is how a connector talks to a system over https beyond the system's
// own certificate authorities. Certificate checks cannot be turned off.
type TLS struct {
	// CAFile is a PEM file of certificate authorities trusted besides the
	// system's, for a system whose certificate the council signs itself.
	CAFile string `yaml:"ca_file"`
	// CertFile is a PEM client certificate Larder shows the system (mutual
	// TLS); it needs KeyFile.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"key_file"`
}

// methods are the methods an operation may use.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// checker gathers mistakes, each at its YAML key under the connector.
type checker struct {
	base []string
	errs []error
}

func (c *checker) at(message string, keys ...string) {
	c.errs = append(c.errs, &connectors.ConfigError{Path: append(slices.Clone(c.base), keys...), Message: message})
}

// validate sets defaults, then checks invariants, naming the YAML key at
// fault. Messages never carry a value that could be a secret.
func (c *Config) validate(name string) error {
	ck := &checker{base: []string{"connectors", name, "http"}}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Timeout < 0 {
		ck.at("must be positive, e.g. 10s", "timeout")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ck.at("must be an http or https URL", "base_url")
	} else if u.RawQuery != "" || u.Fragment != "" {
		// A query here would be dropped by every call's own; a key in it
		// belongs in auth, where it is sent and kept out of errors.
		ck.at("must not carry a query: give an API key as auth: {kind: api_key, in: query}, and other parameters under each operation's query", "base_url")
	}
	if len(c.Operations) == 0 {
		ck.at("needs at least one operation", "operations")
	}
	for key := range c.Headers {
		if strings.EqualFold(key, "Authorization") && c.Auth != nil && c.Auth.Kind != "" && c.Auth.Kind != AuthNone && c.Auth.Kind != AuthAPIKey {
			ck.at("auth already sets Authorization: give the credentials in one place", "headers", key)
		}
	}
	c.Auth.validate(ck)
	if c.TLS != nil && u != nil && u.Scheme == "http" {
		ck.at("is for an https base_url", "tls")
	}
	for _, opName := range slices.Sorted(maps.Keys(c.Operations)) {
		op := c.Operations[opName]
		op.validate(ck, opName, c.Timeout)
		c.Operations[opName] = op
	}
	return errors.Join(ck.errs...)
}

func (op *Operation) validate(ck *checker, name string, timeout time.Duration) {
	at := func(message string, keys ...string) { ck.at(message, append([]string{"operations", name}, keys...)...) }
	if op.Method == "" {
		op.Method = "GET"
	}
	op.Method = strings.ToUpper(op.Method)
	if !slices.Contains(methods, op.Method) {
		at(fmt.Sprintf("%q is not GET, POST, PUT, PATCH or DELETE", op.Method), "method")
	}
	if !strings.HasPrefix(op.Path, "/") {
		at("must start with /", "path")
	}
	if strings.ContainsAny(op.Path, "?#") {
		at("has no query or fragment: put parameters under query", "path")
	}
	hasBody := op.Method == "POST" || op.Method == "PUT" || op.Method == "PATCH"
	if op.Body != nil && !hasBody {
		at(fmt.Sprintf("a %s sends no body: put inputs under query", op.Method), "body")
	}
	switch op.Encoding {
	case "":
		op.Encoding = "json"
	case "json", "form":
		if !hasBody {
			at(fmt.Sprintf("a %s sends no body", op.Method), "encoding")
		}
	default:
		at(fmt.Sprintf("%q is not json or form", op.Encoding), "encoding")
	}
	for key := range op.Headers {
		if strings.EqualFold(key, "Idempotency-Key") {
			at("is set by Larder for each call ({reference}/{step}) and cannot be templated", "headers", key)
		}
	}
	if op.Timeout == 0 {
		op.Timeout = timeout
	}
	if op.Timeout < 0 {
		at("must be positive, e.g. 30s", "timeout")
	}
	for _, s := range op.Refuse {
		if s < 400 || s > 599 {
			at(fmt.Sprintf("%d is not a failing status (400 to 599)", s), "refuse")
		}
	}
	op.result = map[string]*vm.Program{}
	for _, key := range slices.Sorted(maps.Keys(op.Result)) {
		prog, err := compileResult(op.Result[key])
		if err != nil {
			at(err.Error(), "result", key)
			continue
		}
		op.result[key] = prog
	}
}
