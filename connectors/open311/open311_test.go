package open311_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/open311"
)

var formats = []string{"json", "xml"}

func newClient(t *testing.T, base, format string) *open311.Client {
	t.Helper()
	c, err := open311.New("council", open311.Config{BaseURL: base, Format: format, APIKey: apiKey, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func call(c connectors.Connector, op string, input map[string]any) (map[string]any, bool, error) {
	return c.Call(context.Background(), connectors.Request{Operation: op, Input: input, IdempotencyKey: "FT-1/report"})
}

// roundTrip is what a case's history makes of a result: JSON and back.
func roundTrip(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("result does not encode as JSON: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOperationsSorted(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", "")
	want := []string{"request_status", "service_definition", "services", "submit_request"}
	if got := c.Operations(); !reflect.DeepEqual(got, want) {
		t.Errorf("Operations = %v, want %v", got, want)
	}
}

// TestSameResultInBothFormats: a recipe reads the same result whether the
// system answers JSON or XML.
func TestSameResultInBothFormats(t *testing.T) {
	results := map[string][]map[string]any{}
	for _, format := range formats {
		g := newGeoreport(t)
		c := newClient(t, g.base(), format)
		for _, step := range []struct {
			op    string
			input map[string]any
		}{
			{"services", nil},
			{"service_definition", map[string]any{"service_code": "missed-bin"}},
			{"submit_request", map[string]any{"service_code": "missed-bin", "lat": 52.6309, "long": 1.2974, "attribute.bin_type": "general", "description": "Not emptied"}},
			{"request_status", map[string]any{"service_request_id": "OR-1000"}},
		} {
			out, _, err := call(c, step.op, step.input)
			if err != nil {
				t.Fatalf("%s %s: %v", format, step.op, err)
			}
			results[format] = append(results[format], roundTrip(t, out))
		}
	}
	if !reflect.DeepEqual(results["json"], results["xml"]) {
		t.Errorf("JSON and XML give different results:\njson %v\nxml  %v", results["json"], results["xml"])
	}
	got := results["json"]
	services := got[0]["services"].([]any)
	if len(services) != 2 || services[0].(map[string]any)["service_code"] != "missed-bin" || services[0].(map[string]any)["metadata"] != true {
		t.Errorf("services = %v", services)
	}
	attrs := got[1]["attributes"].([]any)
	first := attrs[0].(map[string]any)
	if len(attrs) != 2 || first["code"] != "bin_type" || first["required"] != true || first["order"] != 1.0 ||
		first["values"].([]any)[1].(map[string]any)["key"] != "recycling" {
		t.Errorf("service_definition attributes = %v", attrs)
	}
	want := map[string]any{"service_request_id": "OR-1000", "token": "", "service_notice": "We will look at it within 2 working days", "account_id": "A-7"}
	if !reflect.DeepEqual(got[2], want) {
		t.Errorf("submit_request = %v, want %v", got[2], want)
	}
	status := got[3]
	if status["service_request_id"] != "OR-1000" || status["status"] != "open" || status["service_code"] != "missed-bin" ||
		status["lat"] != 52.6309 || status["long"] != 1.2974 || status["description"] != "Not emptied" || status["zipcode"] != "" {
		t.Errorf("request_status = %v", status)
	}
}

// TestSubmitRequestForm: the form carries the GeoReport fields, the
// attributes as attribute[code], the api_key and the jurisdiction; the
// call's idempotency key goes as a header.
func TestSubmitRequestForm(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			g := newGeoreport(t)
			g.jurisdiction = "norwich.gov.uk"
			c, err := open311.New("council", open311.Config{BaseURL: g.base() + "/", Format: format, APIKey: apiKey, JurisdictionID: "norwich.gov.uk"})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = call(c, "submit_request", map[string]any{
				"service_code": "missed-bin", "lat": 0.00005, "long": -1.5, "address_string": "1 High St",
				"email": "sam@example.org", "first_name": "Sam", "last_name": "Smith", "phone": "", "description": "Left out",
				"attribute.bin_type": "recycling",
				"attributes":         map[string]any{"notes": "by the gate", "colour": []any{"blue", "green"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			reqs, forms := g.received()
			r, form := reqs[0], forms[0]
			if r.URL.Path != "/requests."+format || r.URL.RawQuery != "" {
				t.Errorf("POST %s?%s, want /requests.%s with nothing in the query", r.URL.Path, r.URL.RawQuery, format)
			}
			for key, want := range map[string]string{
				"service_code": "missed-bin", "lat": "0.00005", "long": "-1.5", "address_string": "1 High St",
				"email": "sam@example.org", "first_name": "Sam", "last_name": "Smith", "description": "Left out",
				"attribute[bin_type]": "recycling", "attribute[notes]": "by the gate",
				"api_key": apiKey, "jurisdiction_id": "norwich.gov.uk",
			} {
				if got := form.Get(key); got != want {
					t.Errorf("form %s = %q, want %q", key, got, want)
				}
			}
			if got := form["attribute[colour][]"]; !reflect.DeepEqual(got, []string{"blue", "green"}) {
				t.Errorf("form attribute[colour][] = %q, want both values", got)
			}
			if _, sent := form["phone"]; sent {
				t.Error("an empty phone was sent; blank answers should be left out")
			}
			if got := r.Header.Get("Idempotency-Key"); got != "FT-1/report" {
				t.Errorf("Idempotency-Key = %q", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := r.Header.Get("Accept"); !strings.Contains(got, format) {
				t.Errorf("Accept = %q, want the %s format", got, format)
			}
		})
	}
}

// TestReadsCarryNoAPIKey: GeoReport v2 asks for the key on writes only, so
// it never sits in a URL (where proxies and access logs keep it); the
// jurisdiction goes with every request.
func TestReadsCarryNoAPIKey(t *testing.T) {
	g := newGeoreport(t)
	g.jurisdiction = "norwich.gov.uk"
	c, err := open311.New("council", open311.Config{BaseURL: g.base(), APIKey: apiKey, JurisdictionID: "norwich.gov.uk"})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		op    string
		input map[string]any
	}{
		{"services", nil},
		{"service_definition", map[string]any{"service_code": "graffiti"}},
		{"submit_request", map[string]any{"service_code": "graffiti", "address_id": 100001000001}},
		{"request_status", map[string]any{"service_request_id": "OR-1000"}},
	} {
		if _, _, err := call(c, step.op, step.input); err != nil {
			t.Fatalf("%s: %v", step.op, err)
		}
	}
	reqs, _ := g.received()
	for _, r := range reqs {
		if strings.Contains(r.URL.String(), apiKey) || r.Header.Get("Idempotency-Key") != "" && r.Method == http.MethodGet {
			t.Errorf("%s %s carries the api_key or an idempotency key", r.Method, r.URL)
		}
		if r.Method == http.MethodGet && r.URL.Query().Get("jurisdiction_id") != "norwich.gov.uk" {
			t.Errorf("%s %s has no jurisdiction_id", r.Method, r.URL)
		}
	}
}

// TestRefusals: GeoReport error lists become errors a recipe's on_error
// route reads, with the status and the system's description; refusals
// are not retried.
func TestRefusals(t *testing.T) {
	for _, format := range formats {
		for _, tc := range []struct {
			name   string
			key    string
			op     string
			input  map[string]any
			status int
			msg    string
		}{
			{"wrong api_key", "not-the-key", "submit_request", map[string]any{"service_code": "graffiti"}, 403, "invalid api_key"},
			{"missing attribute", apiKey, "submit_request", map[string]any{"service_code": "missed-bin"}, 400, "attribute bin_type is required"},
			{"unknown service", apiKey, "service_definition", map[string]any{"service_code": "potholes"}, 404, "no such service"},
			{"unknown request", apiKey, "request_status", map[string]any{"service_request_id": "OR-9"}, 404, "no such request"},
		} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				g := newGeoreport(t)
				c, err := open311.New("council", open311.Config{BaseURL: g.base(), Format: format, APIKey: tc.key})
				if err != nil {
					t.Fatal(err)
				}
				_, retry, err := call(c, tc.op, tc.input)
				lob, ok := connectors.AsError(err)
				if !ok {
					t.Fatalf("error %v is not a connectors.Error", err)
				}
				if retry {
					t.Error("a refusal was marked worth retrying")
				}
				if lob.Status != tc.status || lob.Message != tc.msg || lob.Code != "" {
					t.Errorf("error = %+v, want status %d and message %q", lob, tc.status, tc.msg)
				}
				connectortest.NoSecretInError(t, err, apiKey)
			})
		}
	}
}

// TestRetryTable: outages are retried, refusals are not, in either format.
func TestRetryTable(t *testing.T) {
	for _, format := range formats {
		for _, tc := range connectortest.RetryTable {
			srv := connectortest.NewServer(t, tc.Status, `[{"code":1,"description":"no"}]`)
			_, retry, err := call(newClient(t, srv.URL, format), "submit_request", map[string]any{"service_code": "graffiti"})
			if err == nil {
				t.Fatalf("status %d: no error", tc.Status)
			}
			if retry != tc.Retry {
				t.Errorf("%s status %d: retry = %v, want %v", format, tc.Status, retry, tc.Retry)
			}
			if lob, ok := connectors.AsError(err); !ok || lob.Status != tc.Status || lob.Message != "no" || lob.Code != "1" {
				t.Errorf("status %d: error %+v", tc.Status, lob)
			}
		}
	}
}

// TestReplyShapes: replies other systems send that a recipe must still
// read: a token in place of an id, an error list with a 200, a plain
// error object, an empty list, quoted numbers.
func TestReplyShapes(t *testing.T) {
	for _, tc := range []struct {
		name, op, reply string
		status          int
		want            map[string]any
		wantErr         string
	}{
		{"token json", "submit_request", `[{"token":"12345","service_notice":""}]`, 201,
			map[string]any{"service_request_id": "", "token": "12345", "service_notice": "", "account_id": ""}, ""},
		{"token xml", "submit_request", `<?xml version="1.0"?><service_requests><request><token>12345</token><service_notice/></request></service_requests>`, 201,
			map[string]any{"service_request_id": "", "token": "12345", "service_notice": "", "account_id": ""}, ""},
		{"numeric id", "submit_request", `[{"service_request_id":293944,"account_id":null}]`, 200,
			map[string]any{"service_request_id": "293944", "token": "", "service_notice": "", "account_id": ""}, ""},
		{"error list with 200", "submit_request", `[{"code":400,"description":"service_code missing"}]`, 200, nil, "status 400: service_code missing"},
		{"empty receipt", "submit_request", `[]`, 201, nil, "lists no service request"},
		{"receipt without id", "submit_request", `[{"service_notice":"thanks"}]`, 201, nil, "neither a service_request_id nor a token"},
		{"plain error object", "services", `{"code":"unauthorised","message":"sign in first"}`, 401, nil, "unauthorised (401): sign in first"},
		{"xml errors", "services", `<errors><error><code>500</code><description>database down</description></error><error><code>500</code><description>try later</description></error></errors>`, 500, nil, "status 500: database down; try later"},
		{"html error page", "services", `<html><body>Bad Gateway</body></html>`, 502, nil, "status 502: Bad Gateway"},
		{"not georeport", "services", `Service Unavailable`, 200, nil, "reply is not GeoReport JSON"},
		{"status not found", "request_status", `[]`, 200, nil, "status 404: no service request OR-1"},
		{"quoted numbers", "request_status", `[{"service_request_id":"OR-1","lat":"52.1","long":""}]`, 200, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := connectortest.NewServer(t, tc.status, tc.reply)
			input := map[string]any{"service_code": "graffiti"}
			switch tc.op {
			case "services":
				input = nil
			case "request_status":
				input = map[string]any{"service_request_id": "OR-1"}
			}
			out, _, err := call(newClient(t, srv.URL, "json"), tc.op, input)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil && !reflect.DeepEqual(out, tc.want) {
				t.Errorf("result = %v, want %v", out, tc.want)
			}
			if tc.name == "quoted numbers" && (out["lat"] != 52.1 || out["long"] != nil) {
				t.Errorf("lat, long = %v, %v; want 52.1 and nil", out["lat"], out["long"])
			}
		})
	}
}

// TestInputMistakes: a recipe's inputs that cannot make a GeoReport
// request are refused before anything is sent, with what to change.
func TestInputMistakes(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `[]`)
	c := newClient(t, srv.URL, "json")
	for _, tc := range []struct {
		op    string
		input map[string]any
		want  string
	}{
		{"submit_request", map[string]any{"description": "x"}, "input service_code: is required"},
		{"submit_request", map[string]any{"service_code": "graffiti", "uprn": "1"}, "input uprn: not a GeoReport v2 field"},
		{"submit_request", map[string]any{"service_code": "graffiti", "api_key": "x"}, "input api_key: comes from connectors.yaml"},
		{"submit_request", map[string]any{"service_code": "graffiti", "lat": 52.1}, "lat and long: give both or neither"},
		{"submit_request", map[string]any{"service_code": "graffiti", "email": []any{"a"}}, "input email: want a single value, got a list"},
		{"submit_request", map[string]any{"service_code": "graffiti", "attributes": "bin_type=general"}, "input attributes: want a map"},
		{"submit_request", map[string]any{"service_code": "graffiti", "attribute.": "x"}, "name the attribute's code after the dot"},
		{"submit_request", map[string]any{"service_code": "graffiti", "attribute.a": "x", "attributes": map[string]any{"a": "y"}}, "give it once"},
		{"service_definition", map[string]any{}, "input service_code: is required"},
		{"request_status", map[string]any{"id": "1"}, "inputs id: this operation takes only service_request_id"},
		{"services", map[string]any{"group": "waste"}, "inputs group: this operation takes none"},
		{"delete_everything", nil, "unknown operation (use request_status, service_definition, services, submit_request)"},
	} {
		_, retry, err := call(c, tc.op, tc.input)
		if err == nil || !strings.Contains(err.Error(), tc.want) || retry {
			t.Errorf("%s %v: error %v (retry %v), want %q, not retried", tc.op, tc.input, err, retry, tc.want)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests were sent for inputs that were refused", n)
	}
}
