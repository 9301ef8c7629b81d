package open311

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/larder-council/larder/connectors"
)

// maxResponse bounds how much of a reply is read.
const maxResponse = 1 << 20

// The operations every open311 connector offers, sorted.
const (
	// OpRequestStatus reads one service request: input service_request_id.
	OpRequestStatus = "request_status"
	// OpServiceDefinition reads a service's attributes: input service_code.
	OpServiceDefinition = "service_definition"
	// OpServices lists the services the system takes requests for.
	OpServices = "services"
	// OpSubmitRequest submits a service request.
	OpSubmitRequest = "submit_request"
)

var _ connectors.Connector = (*Client)(nil)

// Client is an open311 connector: a GeoReport v2 client.
type Client struct {
	name string
	cfg  Config
	base string
	http *http.Client
}

// New builds a client from validated settings; it does no I/O.
func New(name string, cfg Config) (*Client, error) {
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	return &Client{
		name: name,
		cfg:  cfg,
		base: strings.TrimRight(cfg.BaseURL, "/"),
		http: &http.Client{Timeout: cfg.Timeout},
	}, nil
}

// Operations lists the operation names, sorted.
func (c *Client) Operations() []string {
	return []string{OpRequestStatus, OpServiceDefinition, OpServices, OpSubmitRequest}
}

// Call performs one GeoReport v2 operation. A refusal (a 4xx reply other
// than 408 and 429) is final; a server failure (5xx) or a network failure
// is worth retrying. No error, and no result, carries the api_key.
func (c *Client) Call(ctx context.Context, req connectors.Request) (map[string]any, bool, error) {
	out, retry, err := c.call(ctx, req)
	if err != nil {
		return nil, retry, fmt.Errorf("connector %s: %s: %w", c.name, req.Operation, err)
	}
	return c.redactResult(out).(map[string]any), false, nil
}

func (c *Client) call(ctx context.Context, req connectors.Request) (map[string]any, bool, error) {
	switch req.Operation {
	case OpServices:
		if err := only(req.Input); err != nil {
			return nil, false, err
		}
		data, retry, err := c.do(ctx, http.MethodGet, "services."+c.cfg.Format, nil, "")
		if err != nil {
			return nil, retry, err
		}
		list, err := decodeList[service](data)
		if err != nil {
			return nil, false, err
		}
		services := make([]any, 0, len(list))
		for _, s := range list {
			services = append(services, s.result())
		}
		return map[string]any{"services": services}, false, nil

	case OpServiceDefinition:
		code, err := required(req.Input, "service_code")
		if err != nil {
			return nil, false, err
		}
		data, retry, err := c.do(ctx, http.MethodGet, "services/"+url.PathEscape(code)+"."+c.cfg.Format, nil, "")
		if err != nil {
			return nil, retry, err
		}
		d, err := decodeOne[definition](data)
		if err != nil {
			return nil, false, err
		}
		return d.result(), false, nil

	case OpSubmitRequest:
		form, err := submission(req.Input)
		if err != nil {
			return nil, false, err
		}
		data, retry, err := c.do(ctx, http.MethodPost, "requests."+c.cfg.Format, form, req.IdempotencyKey)
		if err != nil {
			return nil, retry, err
		}
		list, err := decodeList[request](data)
		if err != nil {
			return nil, false, err
		}
		if len(list) == 0 {
			return nil, false, errors.New("the reply lists no service request")
		}
		r := list[0]
		if r.ServiceRequestID == "" && r.Token == "" {
			if r.Code != "" || r.Description != "" {
				status, _ := strconv.Atoi(string(r.Code))
				return nil, false, c.redactError(&connectors.Error{Status: status, Message: clip(string(r.Description))})
			}
			return nil, false, errors.New("the reply carries neither a service_request_id nor a token")
		}
		return r.receipt(), false, nil

	case OpRequestStatus:
		id, err := required(req.Input, "service_request_id")
		if err != nil {
			return nil, false, err
		}
		data, retry, err := c.do(ctx, http.MethodGet, "requests/"+url.PathEscape(id)+"."+c.cfg.Format, nil, "")
		if err != nil {
			return nil, retry, err
		}
		list, err := decodeList[request](data)
		if err != nil {
			return nil, false, err
		}
		if len(list) == 0 {
			return nil, false, &connectors.Error{Status: http.StatusNotFound, Message: "no service request " + id}
		}
		return list[0].status(), false, nil
	}
	return nil, false, fmt.Errorf("unknown operation (use %s)", strings.Join(c.Operations(), ", "))
}

// do sends one request to path under the base URL and returns the reply
// of a 2xx answer. jurisdiction_id goes with every request; api_key only
// in the body of a POST, as GeoReport v2 says, so it is never in a URL.
func (c *Client) do(ctx context.Context, method, path string, form url.Values, idempotencyKey string) ([]byte, bool, error) {
	target := c.base + "/" + path
	var body io.Reader
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		if c.cfg.JurisdictionID != "" {
			form.Set("jurisdiction_id", c.cfg.JurisdictionID)
		}
		if c.cfg.APIKey != "" {
			form.Set("api_key", c.cfg.APIKey)
		}
		body = strings.NewReader(form.Encode())
	} else if c.cfg.JurisdictionID != "" {
		target += "?" + url.Values{"jurisdiction_id": {c.cfg.JurisdictionID}}.Encode()
	}
	hreq, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, false, fmt.Errorf("%s %s: %w", method, path, transportError(err))
	}
	if c.cfg.Format == "xml" {
		hreq.Header.Set("Accept", "application/xml, text/xml;q=0.9")
	} else {
		hreq.Header.Set("Accept", "application/json")
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// GeoReport v2 has no word for it; systems that honour it (the
		// waste simulator does) record a repeated submission once.
		if idempotencyKey != "" {
			hreq.Header.Set("Idempotency-Key", idempotencyKey)
		}
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, true, fmt.Errorf("%s %s: %w", method, path, transportError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, true, fmt.Errorf("%s %s: read reply: %w", method, path, transportError(err))
	}
	if resp.StatusCode >= 300 {
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
		return nil, retry, fmt.Errorf("%s %s: %w", method, path, c.redactError(replyError(resp.StatusCode, data)))
	}
	return data, false, nil
}

// transportError drops the URL from a *url.Error: the base URL may carry a
// password.
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

// redacted stands in for the api_key wherever a system echoes it back.
const redacted = "[redacted]"

// redact removes the api_key from text a system sent, as written and as
// escaped in a URL. A key too short to be a secret is left alone, so as
// not to mangle every message.
func (c *Client) redact(s string) string {
	key := c.cfg.APIKey
	if len(key) < 4 {
		return s
	}
	for _, form := range []string{key, url.QueryEscape(key), url.PathEscape(key)} {
		s = strings.ReplaceAll(s, form, redacted)
	}
	return s
}

func (c *Client) redactError(e *connectors.Error) *connectors.Error {
	e.Code = c.redact(e.Code)
	e.Message = c.redact(e.Message)
	return e
}

// redactResult removes the api_key from every text in a result.
func (c *Client) redactResult(v any) any {
	switch v := v.(type) {
	case string:
		return c.redact(v)
	case map[string]any:
		for k, x := range v {
			v[k] = c.redactResult(x)
		}
	case []any:
		for i, x := range v {
			v[i] = c.redactResult(x)
		}
	}
	return v
}
