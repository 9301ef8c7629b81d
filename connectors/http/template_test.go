package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
)

// opClient is a connector with the one operation op, called "op".
func opClient(t *testing.T, base string, op httpconn.Operation) *httpconn.Client {
	t.Helper()
	c, err := httpconn.New("waste", httpconn.Config{BaseURL: base, Timeout: 2 * time.Second, Operations: map[string]httpconn.Operation{"op": op}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func callOp(c *httpconn.Client, input map[string]any) (map[string]any, bool, error) {
	return c.Call(context.Background(), connectors.Request{Operation: "op", Input: input, IdempotencyKey: "BW-1/reserve"})
}

// TestTemplatesPlaceInputs: the path, query, headers and body each take the
// inputs they name; the rest join the body's top level; a value that is one
// {name} alone keeps its type.
func TestTemplatesPlaceInputs(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{}`)
	c := opClient(t, srv.URL, httpconn.Operation{
		Method:  "POST",
		Path:    "/api/properties/{uprn}/bookings",
		Query:   httpconn.Query{"format": "json", "slot": "{slot}"},
		Headers: map[string]string{"X-Correlation": "larder-{ref}", "X-Channel": "{channel}"},
		Body: map[string]any{
			"booking": map[string]any{"items": "{items}", "count": "{count}", "note": "Booked online as {ref}"},
			"source":  "larder",
			"extra":   "{not_given}",
		},
	})
	_, _, err := callOp(c, map[string]any{
		"uprn": "100 1/2", "slot": "2026-12-03", "ref": "BW-7K4Q", "items": []string{"sofa", "fridge"}, "count": 2,
		"email": "a@example.org",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := srv.Only(t)
	if r.Path != "/api/properties/100%201%2F2/bookings" {
		t.Errorf("path %s, want the uprn escaped into one segment", r.Path)
	}
	if want := (url.Values{"format": {"json"}, "slot": {"2026-12-03"}}); !reflect.DeepEqual(r.Query, want) {
		t.Errorf("query %v, want %v", r.Query, want)
	}
	if got := r.Header.Get("X-Correlation"); got != "larder-BW-7K4Q" {
		t.Errorf("X-Correlation %q", got)
	}
	if _, sent := r.Header["X-Channel"]; sent {
		t.Errorf("a header whose input is missing was sent: %q", r.Header.Get("X-Channel"))
	}
	var body map[string]any
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	want := map[string]any{
		"booking": map[string]any{"items": []any{"sofa", "fridge"}, "count": 2.0, "note": "Booked online as BW-7K4Q"},
		"source":  "larder",
		"email":   "a@example.org",
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body %s, want %v", r.Body, want)
	}
}

// TestFormEncoding: encoding form sends the body as a form, a map as
// key[sub]=value and a list as the key repeated.
func TestFormEncoding(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `[{"service_request_id": "311-1"}]`)
	c := opClient(t, srv.URL, httpconn.Operation{
		Method: "POST", Path: "/requests.json", Encoding: "form",
		Body: map[string]any{"service_code": "missed-bin", "attribute": map[string]any{"bin_type": "{bin}"}},
	})
	out, _, err := callOp(c, map[string]any{"bin": "recycling", "lat": 51.5, "items": []any{"sofa", "table"}})
	if err != nil {
		t.Fatal(err)
	}
	r := srv.Only(t)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	got, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"service_code": {"missed-bin"}, "attribute[bin_type]": {"recycling"}, "lat": {"51.5"}, "items": {"sofa", "table"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("form %v, want %v", got, want)
	}
	if items, _ := out["items"].([]any); len(items) != 1 {
		t.Errorf("result %v, want the list as items", out)
	}
}

func TestQueryAsList(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	c := opClient(t, srv.URL, httpconn.Operation{Path: "/api/properties", Query: httpconn.Query{"postcode": "{postcode}", "street": "{street}"}})
	if _, _, err := callOp(c, map[string]any{"postcode": "LR1 1AA", "street": ""}); err != nil {
		t.Fatal(err)
	}
	if q := srv.Only(t).Query; q.Encode() != "postcode=LR1+1AA" {
		t.Errorf("query %v, want the empty street left out", q)
	}
}

func TestBodyTemplateClash(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{}`)
	c := opClient(t, srv.URL, httpconn.Operation{Method: "POST", Path: "/x", Body: map[string]any{"uprn": "{property}"}})
	_, retry, err := callOp(c, map[string]any{"property": "1", "uprn": "2"})
	if err == nil || retry || !strings.Contains(err.Error(), "input uprn is also a key of the body template") {
		t.Errorf("retry = %v, err = %v; want the clash refused", retry, err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestResultMapping: result names are expressions over the decoded reply.
func TestResultMapping(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{"reference": "BW-0001", "slot": {"date": "2026-12-03"}, "items": ["sofa", "fridge"], "price_pence": 2500}`)
	c := opClient(t, srv.URL, httpconn.Operation{Method: "POST", Path: "/x", Result: map[string]string{
		"id":    "reply.reference",
		"date":  "reply.slot.date",
		"count": "len(reply.items)",
		"price": "reply.price_pence / 100",
		"note":  "reply.missing?.deeper ?? 'none'",
	}})
	out, _, err := callOp(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "BW-0001", "date": "2026-12-03", "count": 2, "price": 25.0, "note": "none"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("result %#v, want %#v", out, want)
	}
}

func TestResultOfAListReply(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `[{"service_request_id": "311-1"}]`)
	c := opClient(t, srv.URL, httpconn.Operation{Method: "POST", Path: "/x", Result: map[string]string{"id": "reply[0].service_request_id"}})
	if out, _, err := callOp(c, nil); err != nil || out["id"] != "311-1" {
		t.Errorf("got %v, %v", out, err)
	}
}

// TestResultThatDoesNotFitIsAnOutage: the system did the work; a reply the
// mapping cannot read is for staff to look at, so it is retried (then an
// incident), not a refusal the recipe would tell the resident about.
func TestResultThatDoesNotFitIsAnOutage(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{"reference": "BW-0001"}`)
	c := opClient(t, srv.URL, httpconn.Operation{Method: "POST", Path: "/x", Result: map[string]string{"date": "reply.slot.date"}})
	_, retry, err := callOp(c, nil)
	if err == nil || !retry || !strings.Contains(err.Error(), "result.date") {
		t.Errorf("retry = %v, err = %v; want a retryable error naming result.date", retry, err)
	}
}

func TestResultExpressionsCheckedAtLoad(t *testing.T) {
	for expr, want := range map[string]string{
		"replay.id":    "connectors.waste.http.operations.op.result.id: expression \"replay.id\": unknown name replay",
		"reply.id +":   "connectors.waste.http.operations.op.result.id: expression",
		"":             "connectors.waste.http.operations.op.result.id: needs an expression over reply",
		"now().Year()": "connectors.waste.http.operations.op.result.id:",
	} {
		_, err := httpconn.New("waste", httpconn.Config{BaseURL: "http://waste.example", Operations: map[string]httpconn.Operation{
			"op": {Path: "/x", Result: map[string]string{"id": expr}},
		}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("result %q: err = %v, want %q", expr, err, want)
		}
	}
}

// TestRefuseStatuses: an operation's refuse list decides alone which
// failing statuses are refusals; the others are outages, retried.
func TestRefuseStatuses(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	c := opClient(t, srv.URL, httpconn.Operation{Method: "POST", Path: "/x", Refuse: []int{409, 422, 500}})
	for status, retry := range map[int]bool{409: false, 422: false, 500: false, 400: true, 401: true, 404: true, 503: true} {
		srv.Reply(status, `{"code": "slot_full", "message": "no room"}`)
		_, gotRetry, err := callOp(c, nil)
		if err == nil || gotRetry != retry {
			t.Errorf("status %d: retry = %v, err = %v; want retry %v", status, gotRetry, err, retry)
		}
		if lob, ok := connectors.AsError(err); !ok || lob.Status != status || lob.Code != "slot_full" {
			t.Errorf("status %d: %v does not carry the system's answer", status, err)
		}
	}
}

// TestOperationTimeout: an operation's own timeout replaces the connector's.
func TestOperationTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c, err := httpconn.New("waste", httpconn.Config{BaseURL: srv.URL, Timeout: time.Hour, Operations: map[string]httpconn.Operation{
		"op": {Path: "/slow", Timeout: 20 * time.Millisecond},
	}})
	if err != nil {
		t.Fatal(err)
	}
	_, retry, err := callOp(c, nil)
	if err == nil || !retry || !strings.HasSuffix(err.Error(), "timed out") {
		t.Errorf("retry = %v, err = %v; want a retryable timeout after the operation's 20ms, not the connector's hour", retry, err)
	}
}

func TestOperationConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   httpconn.Operation
		want string
	}{
		{"body on a GET", httpconn.Operation{Path: "/x", Body: map[string]any{"a": "b"}}, "operations.op.body: a GET sends no body"},
		{"encoding on a DELETE", httpconn.Operation{Method: "DELETE", Path: "/x", Encoding: "form"}, "operations.op.encoding: a DELETE sends no body"},
		{"unknown encoding", httpconn.Operation{Method: "POST", Path: "/x", Encoding: "xml"}, `operations.op.encoding: "xml" is not json or form`},
		{"refuse a success", httpconn.Operation{Path: "/x", Refuse: []int{404, 200}}, "operations.op.refuse: 200 is not a failing status"},
		{"templated key", httpconn.Operation{Method: "POST", Path: "/x", Headers: map[string]string{"idempotency-key": "{ref}"}}, "operations.op.headers.idempotency-key: is set by Larder"},
		{"query in the path", httpconn.Operation{Path: "/x?format=json"}, "operations.op.path: has no query"},
		{"negative timeout", httpconn.Operation{Path: "/x", Timeout: -time.Second}, "operations.op.timeout: must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpconn.New("waste", httpconn.Config{BaseURL: "http://waste.example", Operations: map[string]httpconn.Operation{"op": tc.op}})
			if err == nil || !strings.Contains(err.Error(), "connectors.waste.http."+tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestHeaderInputWithLineBreak: an input that cannot go in a header fails
// the call as final (retrying would not help) and sends nothing.
func TestHeaderInputWithLineBreak(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	c := opClient(t, srv.URL, httpconn.Operation{Path: "/x", Headers: map[string]string{"X-Reference": "{ref}"}})
	_, retry, err := callOp(c, map[string]any{"ref": "MB-1\r\nX-Evil: yes"})
	if err == nil || retry || !strings.Contains(err.Error(), "header X-Reference") || strings.Contains(err.Error(), "X-Evil") {
		t.Errorf("retry = %v, err = %v; want a final error naming the header, not the input", retry, err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}
