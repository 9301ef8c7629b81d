package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/larder-council/larder/connectors"
)

// maxResponse bounds how much of a reply is read.
const maxResponse = 1 << 20

var _ connectors.Connector = (*Client)(nil)

// Client is an http connector.
type Client struct {
	name string
	cfg  Config
	base *url.URL
	http *http.Client
	auth authorizer
}

// New builds a client from settings, checking them and reading the TLS
// files they name; it sends nothing. Its errors are *connectors.ConfigError,
// joined, and never carry a secret.
func New(name string, cfg Config) (*Client, error) {
	err := cfg.validate(name)
	ck := &checker{base: []string{"connectors", name, "http"}}
	tr := cfg.TLS.transport(ck)
	if err := errors.Join(err, errors.Join(ck.errs...)); err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	// Each operation's timeout is set on its request's context.
	client := &http.Client{Transport: traced(name, tr)}
	return &Client{name: name, cfg: cfg, base: base, http: client, auth: newAuthorizer(cfg.Auth, client)}, nil
}

// Operations lists the operation names, sorted.
func (c *Client) Operations() []string {
	ops := make([]string, 0, len(c.cfg.Operations))
	for name := range c.cfg.Operations {
		ops = append(ops, name)
	}
	sort.Strings(ops)
	return ops
}

// request is one call's request, built before anything is sent so a retry
// after a stale token sends the same bytes.
type request struct {
	method string
	url    *url.URL
	path   string // as shown in errors: no query, no credentials
	header http.Header
	body   []byte
}

// Call sends the request. Unless the operation lists its own refuse
// statuses, 4xx replies other than 408 and 429 are refusals, not worth
// retrying; 5xx replies and network failures are.
func (c *Client) Call(ctx context.Context, req connectors.Request) (map[string]any, bool, error) {
	op, ok := c.cfg.Operations[req.Operation]
	if !ok {
		return nil, false, fmt.Errorf("connector %s: unknown operation %q", c.name, req.Operation)
	}
	r, err := c.build(op, req)
	if err != nil {
		return nil, false, fmt.Errorf("connector %s: %s: %w", c.name, req.Operation, err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("connector %s: %s %s: %w", c.name, r.method, r.path, fmt.Errorf(format, args...))
	}
	ctx, cancel := context.WithTimeout(ctx, op.Timeout)
	defer cancel()
	status, data, err := c.send(ctx, r)
	if err != nil {
		return nil, true, fail("%w", err)
	}
	if status >= 300 {
		e := replyError(status, data)
		return nil, !refused(op, status), fail("%w", e)
	}
	reply, err := decode(data)
	if err != nil {
		return nil, false, fail("%w", err)
	}
	if len(op.result) == 0 {
		return asResult(reply), false, nil
	}
	// The system has done what was asked; a reply that does not fit the
	// mapping is for staff to look at, and a retry with the same key gets
	// the same reply once they have fixed connectors.yaml.
	out, err := mapResult(op.result, reply)
	if err != nil {
		return nil, true, fail("the reply does not fit %w", err)
	}
	return out, false, nil
}

// refused says whether a failing status is a refusal rather than an outage.
func refused(op Operation, status int) bool {
	if op.Refuse != nil {
		return slices.Contains(op.Refuse, status)
	}
	return status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// build places the inputs: path, query, headers, then the body.
func (c *Client) build(op Operation, req connectors.Request) (*request, error) {
	in, err := newInputs(req.Input)
	if err != nil {
		return nil, err
	}
	path, missing := in.render(op.Path, url.PathEscape)
	if len(missing) > 0 {
		return nil, fmt.Errorf("input %s is required for the path", strings.Join(missing, ", "))
	}
	rel, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("path %s is not a URL path", path)
	}
	u := *c.base
	u.Path, u.RawPath = c.base.Path+rel.Path, c.base.EscapedPath()+rel.EscapedPath()
	q := url.Values{}
	for key, tmpl := range op.Query {
		if v, missing := in.render(tmpl, same); len(missing) == 0 {
			q.Set(key, v)
		}
	}
	u.RawQuery = q.Encode()

	r := &request{method: op.Method, url: &u, path: u.EscapedPath(), header: http.Header{}}
	r.header.Set("Accept", "application/json")
	for k, v := range c.cfg.Headers {
		r.header.Set(k, v)
	}
	for k, tmpl := range op.Headers {
		v, missing := in.render(tmpl, same)
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("header %s: an input placed in it has a line break", k)
		}
		if len(missing) == 0 {
			r.header.Set(k, v)
		}
	}
	// Each call's own key, after the configured headers: a header of the
	// same name in connectors.yaml must not make every write look like a
	// retry of the first.
	if req.IdempotencyKey != "" {
		r.header.Set("Idempotency-Key", req.IdempotencyKey)
	}

	body := map[string]any{}
	if op.Body != nil {
		v, _ := in.value(op.Body)
		body = v.(map[string]any)
	}
	rest := in.rest()
	if op.Method == "GET" || op.Method == "DELETE" {
		if len(rest) > 0 {
			return nil, fmt.Errorf("inputs %s have nowhere to go in a %s (list them under query)", strings.Join(rest, ", "), op.Method)
		}
		return r, nil
	}
	for _, k := range rest {
		if _, clash := body[k]; clash {
			return nil, fmt.Errorf("input %s is also a key of the body template: place it with {%s} or rename it", k, k)
		}
		body[k] = in.values[k]
	}
	if op.Encoding == "form" {
		r.body = []byte(formValues(body).Encode())
		r.header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r, nil
	}
	if r.body, err = json.Marshal(body); err != nil {
		return nil, fmt.Errorf("encode the body: %w", err)
	}
	r.header.Set("Content-Type", "application/json")
	return r, nil
}

// send sends the request with credentials, once more with fresh ones when
// the system refuses a kept token (it may have ended it early).
func (c *Client) send(ctx context.Context, r *request) (int, []byte, error) {
	status, data, cached, err := c.sendOnce(ctx, r)
	if err == nil && status == http.StatusUnauthorized && cached {
		c.auth.forget()
		status, data, _, err = c.sendOnce(ctx, r)
	}
	return status, data, err
}

func (c *Client) sendOnce(ctx context.Context, r *request) (status int, data []byte, cached bool, err error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	hreq, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return 0, nil, false, errors.New("cannot make the request")
	}
	hreq.Header = r.header.Clone()
	if c.auth != nil {
		if cached, err = c.auth.authorize(ctx, hreq); err != nil {
			return 0, nil, false, err
		}
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return 0, nil, false, transportError(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, nil, false, fmt.Errorf("read reply: %w", transportError(err))
	}
	return resp.StatusCode, data, cached, nil
}

// transportError drops the URL from a *url.Error so no address secret leaks.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("timed out")
	}
	return err
}

// decode reads a JSON reply; an empty reply is an empty object.
func decode(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("reply is not JSON: %w", err)
	}
	return v, nil
}

// asResult makes a reply a result map; a list or a single value becomes
// {"items": ...}.
func asResult(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"items": v}
}

// replyError reads {"code": ..., "message": ...} from an error reply.
func replyError(status int, data []byte) *connectors.Error {
	e := &connectors.Error{Status: status, Message: http.StatusText(status)}
	var body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Code = body.Code
		if body.Message != "" {
			e.Message = body.Message
		} else if body.Error != "" {
			e.Message = body.Error
		}
	}
	return e
}
