package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
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
}

// New builds a client from validated settings; it does no I/O.
func New(name string, cfg Config) (*Client, error) {
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	return &Client{name: name, cfg: cfg, base: base, http: &http.Client{Timeout: cfg.Timeout}}, nil
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

var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Call sends the request. 4xx replies other than 408 and 429 are refusals,
// not worth retrying; 5xx replies and network failures are.
func (c *Client) Call(ctx context.Context, req connectors.Request) (map[string]any, bool, error) {
	op, ok := c.cfg.Operations[req.Operation]
	if !ok {
		return nil, false, fmt.Errorf("connector %s: unknown operation %q", c.name, req.Operation)
	}
	rest := make(map[string]any, len(req.Input))
	for k, v := range req.Input {
		rest[k] = v
	}
	var missing []string
	path := placeholder.ReplaceAllStringFunc(op.Path, func(m string) string {
		key := m[1 : len(m)-1]
		v, ok := rest[key]
		if !ok || v == nil || v == "" {
			missing = append(missing, key)
		}
		delete(rest, key)
		return url.PathEscape(fmt.Sprint(v))
	})
	if len(missing) > 0 {
		return nil, false, fmt.Errorf("connector %s: %s: input %s is required for the path", c.name, req.Operation, strings.Join(missing, ", "))
	}
	u, err := url.Parse(c.base.String() + path)
	if err != nil {
		return nil, false, fmt.Errorf("connector %s: %s: bad path: %w", c.name, req.Operation, err)
	}
	q := url.Values{}
	for _, key := range op.Query {
		if v, ok := rest[key]; ok {
			q.Set(key, fmt.Sprint(v))
			delete(rest, key)
		}
	}
	u.RawQuery = q.Encode()
	if (op.Method == "GET" || op.Method == "DELETE") && len(rest) > 0 {
		return nil, false, fmt.Errorf("connector %s: %s: inputs %s have nowhere to go in a %s (list them under query)", c.name, req.Operation, strings.Join(slices.Sorted(maps.Keys(rest)), ", "), op.Method)
	}

	var body io.Reader
	if op.Method != "GET" && op.Method != "DELETE" {
		b, err := json.Marshal(rest)
		if err != nil {
			return nil, false, fmt.Errorf("connector %s: %s: encode input: %w", c.name, req.Operation, err)
		}
		body = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, op.Method, u.String(), body)
	if err != nil {
		return nil, false, fmt.Errorf("connector %s: %s: %w", c.name, req.Operation, err)
	}
	hreq.Header.Set("Accept", "application/json")
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.cfg.Headers {
		hreq.Header.Set(k, v)
	}
	// Each call's own key, after the configured headers: a header of the
	// same name in connectors.yaml must not make every write look like a
	// retry of the first.
	if req.IdempotencyKey != "" {
		hreq.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, true, fmt.Errorf("connector %s: %s %s: %w", c.name, op.Method, path, transportError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, true, fmt.Errorf("connector %s: %s %s: read reply: %w", c.name, op.Method, path, transportError(err))
	}
	if resp.StatusCode >= 300 {
		e := replyError(resp.StatusCode, data)
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
		return nil, retry, fmt.Errorf("connector %s: %s %s: %w", c.name, op.Method, path, e)
	}
	out, err := decodeReply(data)
	if err != nil {
		return nil, false, fmt.Errorf("connector %s: %s %s: %w", c.name, op.Method, path, err)
	}
	return out, false, nil
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
	return err
}

// decodeReply turns a JSON reply into a result map; a list becomes {"items": [...]}.
func decodeReply(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("reply is not JSON: %w", err)
	}
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return map[string]any{"items": v}, nil
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
