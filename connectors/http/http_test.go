package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
)

const (
	token    = "Bearer tok-5ecret-f00d"
	password = "pa55-w0rd-x9"
)

func operations() map[string]httpconn.Operation {
	return map[string]httpconn.Operation{
		"find_properties": {Method: "GET", Path: "/api/properties", Query: httpconn.Query{"postcode": "{postcode}"}},
		"get_property":    {Path: "/api/properties/{uprn}"},
		"report_missed":   {Method: "post", Path: "/api/missed-collections"},
		"add_note":        {Method: "PUT", Path: "/api/cases/{ref}/notes"},
	}
}

func newClient(t *testing.T, baseURL string) *httpconn.Client {
	t.Helper()
	c, err := httpconn.New("waste", httpconn.Config{
		BaseURL:    baseURL,
		Timeout:    time.Second,
		Headers:    map[string]string{"Authorization": token},
		Operations: operations(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func call(c *httpconn.Client, op string, input map[string]any) (map[string]any, bool, error) {
	return c.Call(context.Background(), connectors.Request{Operation: op, Input: input, IdempotencyKey: "MB-1/raise"})
}

func TestOperationsSorted(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	want := []string{"add_note", "find_properties", "get_property", "report_missed"}
	if got := c.Operations(); !reflect.DeepEqual(got, want) {
		t.Errorf("Operations = %v, want %v", got, want)
	}
}

func TestCallPathPlaceholder(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{"uprn": "100001000001", "bins": [{"type": "general"}]}`)
	out, _, err := call(newClient(t, srv.URL+"/"), "get_property", map[string]any{"uprn": "100001000001"})
	if err != nil {
		t.Fatal(err)
	}
	req := srv.Only(t)
	if req.Method != "GET" || req.Path != "/api/properties/100001000001" || len(req.Query) != 0 || len(req.Body) != 0 {
		t.Errorf("sent %s %s ?%v body %q, want GET /api/properties/100001000001 with no query or body", req.Method, req.Path, req.Query, req.Body)
	}
	if out["uprn"] != "100001000001" || len(out["bins"].([]any)) != 1 {
		t.Errorf("result = %v", out)
	}
}

func TestCallQuery(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `[{"uprn": "1"}, {"uprn": "2"}]`)
	out, _, err := call(newClient(t, srv.URL), "find_properties", map[string]any{"postcode": "LR1 1AA"})
	if err != nil {
		t.Fatal(err)
	}
	if req := srv.Only(t); req.Path != "/api/properties" || req.Query.Get("postcode") != "LR1 1AA" {
		t.Errorf("sent %s ?%v, want /api/properties?postcode=LR1 1AA", req.Path, req.Query)
	}
	if items, ok := out["items"].([]any); !ok || len(items) != 2 {
		t.Errorf("a list reply: result = %v, want {items: [2 entries]}", out)
	}
}

func TestCallJSONBody(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{"id": "MC-000001"}`)
	out, _, err := call(newClient(t, srv.URL), "report_missed", map[string]any{"uprn": "100001000001", "bin_type": "general", "bags": 2})
	if err != nil {
		t.Fatal(err)
	}
	req := srv.Only(t)
	if req.Method != "POST" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("sent %s with Content-Type %q, want a JSON POST", req.Method, req.Header.Get("Content-Type"))
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", req.Body, err)
	}
	if want := map[string]any{"uprn": "100001000001", "bin_type": "general", "bags": 2.0}; !reflect.DeepEqual(body, want) {
		t.Errorf("body = %v, want %v", body, want)
	}
	if out["id"] != "MC-000001" {
		t.Errorf("result = %v", out)
	}
}

func TestCallPathInputsLeaveTheBody(t *testing.T) {
	srv := connectortest.NewServer(t, 204, "")
	out, _, err := call(newClient(t, srv.URL), "add_note", map[string]any{"ref": "MB-7K4Q", "text": "crew sent"})
	if err != nil {
		t.Fatal(err)
	}
	req := srv.Only(t)
	if req.Method != "PUT" || req.Path != "/api/cases/MB-7K4Q/notes" || string(req.Body) != `{"text":"crew sent"}` {
		t.Errorf("sent %s %s %s", req.Method, req.Path, req.Body)
	}
	if out == nil || len(out) != 0 {
		t.Errorf("empty reply: result = %#v, want an empty map", out)
	}
}

func TestCallHeaders(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	if _, _, err := call(newClient(t, srv.URL), "get_property", map[string]any{"uprn": "1"}); err != nil {
		t.Fatal(err)
	}
	h := srv.Only(t).Header
	for key, want := range map[string]string{"Idempotency-Key": "MB-1/raise", "Authorization": token, "Accept": "application/json"} {
		if got := h.Get(key); got != want {
			t.Errorf("header %s = %q, want %q", key, got, want)
		}
	}
}

func TestCallRefusal(t *testing.T) {
	srv := connectortest.NewServer(t, 422, `{"code": "not_due", "message": "1 Orchard Way was not due a collection"}`)
	_, retry, err := call(newClient(t, srv.URL), "report_missed", map[string]any{"uprn": "1"})
	if err == nil || retry {
		t.Fatalf("retry = %v, err = %v; want a refusal that is not retried", retry, err)
	}
	lob, ok := connectors.AsError(err)
	if !ok {
		t.Fatalf("%v does not carry a *connectors.Error", err)
	}
	if want := (connectors.Error{Status: 422, Code: "not_due", Message: "1 Orchard Way was not due a collection"}); *lob != want {
		t.Errorf("error = %+v, want %+v", *lob, want)
	}
	if !strings.Contains(err.Error(), "connector waste") {
		t.Errorf("error %q does not name the connector", err)
	}
}

func TestCallErrorWithoutBody(t *testing.T) {
	srv := connectortest.NewServer(t, 503, "<html>down</html>")
	_, retry, err := call(newClient(t, srv.URL), "get_property", map[string]any{"uprn": "1"})
	lob, ok := connectors.AsError(err)
	if !retry || !ok || lob.Status != 503 || lob.Message != "Service Unavailable" {
		t.Errorf("retry = %v, err = %v; want a retryable 503 Service Unavailable", retry, err)
	}
}

func TestCallRetryTable(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	c := newClient(t, srv.URL)
	for _, tc := range connectortest.RetryTable {
		srv.Reply(tc.Status, `{"code": "x", "message": "no"}`)
		_, retry, err := call(c, "get_property", map[string]any{"uprn": "1"})
		if err == nil || retry != tc.Retry {
			t.Errorf("status %d: retry = %v, err = %v; want retry %v", tc.Status, retry, err, tc.Retry)
		}
	}
}

func TestCallNetworkFailureIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, retry, err := call(newClient(t, url), "get_property", map[string]any{"uprn": "1"})
	if err == nil || !retry {
		t.Errorf("retry = %v, err = %v; want a retryable error", retry, err)
	}
	if _, ok := connectors.AsError(err); ok {
		t.Errorf("a network failure is not something the system said: %v", err)
	}
}

func TestCallTimeoutIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c, err := httpconn.New("waste", httpconn.Config{BaseURL: srv.URL, Timeout: 20 * time.Millisecond, Operations: operations()})
	if err != nil {
		t.Fatal(err)
	}
	_, retry, err := call(c, "get_property", map[string]any{"uprn": "1"})
	if err == nil || !retry || !strings.HasSuffix(err.Error(), "timed out") {
		t.Errorf("retry = %v, err = %v; want a retryable timeout", retry, err)
	}
}

func TestCallUnknownOperation(t *testing.T) {
	_, retry, err := call(newClient(t, "http://127.0.0.1:1"), "delete_everything", nil)
	if err == nil || retry || !strings.Contains(err.Error(), `"delete_everything"`) {
		t.Errorf("retry = %v, err = %v; want a final error naming the operation", retry, err)
	}
}
