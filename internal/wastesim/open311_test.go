package wastesim_test

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/larder-council/larder/internal/wastesim"
)

const open311Key = "demo-open311-key"

// fetch sends a request and returns the status and body.
func fetch(t *testing.T, srv *httptest.Server, method, path, key string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestOpen311Services(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{})
	status, body := fetch(t, srv, "GET", "/open311/v2/services.json", "", nil)
	var list []struct {
		Code     string `json:"service_code"`
		Name     string `json:"service_name"`
		Metadata bool
		Type     string
	}
	if err := json.Unmarshal([]byte(body), &list); status != 200 || err != nil || len(list) != 3 {
		t.Fatalf("services.json: %d %s", status, body)
	}
	if list[0].Code != "missed-bin" || !list[0].Metadata || list[0].Type != "realtime" || list[2].Code != "graffiti" || list[2].Metadata {
		t.Errorf("services %+v", list)
	}
	status, body = fetch(t, srv, "GET", "/open311/v2/services.xml", "", nil)
	var xlist struct {
		Services []struct {
			Code     string `xml:"service_code"`
			Metadata bool   `xml:"metadata"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal([]byte(body), &xlist); status != 200 || err != nil || len(xlist.Services) != 3 || xlist.Services[1].Code != "fly-tipping" {
		t.Errorf("services.xml: %d %v %s", status, err, body)
	}
}

func TestOpen311ServiceDefinition(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{})
	type attr struct {
		Code     string `json:"code" xml:"code"`
		Datatype string `json:"datatype" xml:"datatype"`
		Required bool   `json:"required" xml:"required"`
		Values   []struct {
			Key string `json:"key" xml:"key"`
		} `json:"values" xml:"values>value"`
	}
	for _, format := range []string{"json", "xml"} {
		var def struct {
			Code       string `json:"service_code" xml:"service_code"`
			Attributes []attr `json:"attributes" xml:"attributes>attribute"`
		}
		status, body := fetch(t, srv, "GET", "/open311/v2/services/missed-bin."+format, "", nil)
		var err error
		if format == "json" {
			err = json.Unmarshal([]byte(body), &def)
		} else {
			err = xml.Unmarshal([]byte(body), &def)
		}
		if status != 200 || err != nil || def.Code != "missed-bin" || len(def.Attributes) != 1 {
			t.Fatalf("missed-bin.%s: %d %v %s", format, status, err, body)
		}
		if a := def.Attributes[0]; a.Code != "bin_type" || a.Datatype != "singlevaluelist" || !a.Required || len(a.Values) != 4 || a.Values[0].Key != "general" {
			t.Errorf("missed-bin.%s attribute %+v", format, a)
		}
	}
	if status, body := fetch(t, srv, "GET", "/open311/v2/services/graffiti.json", "", nil); status != 200 || !strings.Contains(body, `"attributes":[]`) {
		t.Errorf("graffiti.json: %d %s, want no attributes", status, body)
	}
	if status, body := fetch(t, srv, "GET", "/open311/v2/services/potholes.json", "", nil); status != 404 || !strings.HasPrefix(body, `[{"code":404,"description":`) {
		t.Errorf("an unknown service: %d %s, want 404 and an error list", status, body)
	}
	if status, body := fetch(t, srv, "GET", "/open311/v2/services/potholes.xml", "", nil); status != 404 || !strings.Contains(body, "<errors><error><code>404</code>") {
		t.Errorf("an unknown service as XML: %d %s, want 404 and an XML error list", status, body)
	}
}

// form is a valid missed-bin request; change adds or removes fields.
func form(change map[string]string) url.Values {
	f := url.Values{
		"api_key": {open311Key}, "service_code": {"missed-bin"}, "address_id": {orchard1},
		"attribute[bin_type]": {"general"}, "email": {"sam@example.com"}, "first_name": {"Sam"}, "last_name": {"Resident"},
		"description": {"Black bin not emptied"},
	}
	for k, v := range change {
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
	}
	return f
}

func TestOpen311PostRequest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change map[string]string
		status int
		says   string
	}{
		{"a missed bin at a property", nil, 201, `"service_request_id":"SR-000001"`},
		{"graffiti at a point", map[string]string{"service_code": "graffiti", "attribute[bin_type]": "", "address_id": "", "lat": "52.63", "long": "-1.13"}, 201, `"service_notice":"We remove offensive graffiti`},
		{"fly-tipping at an address", map[string]string{"service_code": "fly-tipping", "attribute[bin_type]": "", "attribute[waste_type]": "tyres", "address_id": "", "address_string": "Behind the library"}, 201, `"account_id":null`},
		{"no api_key", map[string]string{"api_key": ""}, 403, `[{"code":403,"description":"a valid api_key is required`},
		{"wrong api_key", map[string]string{"api_key": "guess"}, 403, `"code":403`},
		{"no service_code", map[string]string{"service_code": ""}, 400, "service_code is required"},
		{"unknown service", map[string]string{"service_code": "potholes"}, 404, `there is no service \"potholes\"`},
		{"required attribute missing", map[string]string{"attribute[bin_type]": ""}, 400, "attribute[bin_type] is required"},
		{"value not in the list", map[string]string{"attribute[bin_type]": "clinical"}, 400, `attribute[bin_type] \"clinical\" is not one of the values`},
		{"no location", map[string]string{"address_id": ""}, 400, "a location is required"},
		{"half a point", map[string]string{"address_id": "", "lat": "52.63"}, 400, "lat and long must both be given"},
		{"unknown property", map[string]string{"address_id": "999999999999"}, 400, "is not a property the council collects from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, srv := simWith(t, now, wastesim.Options{})
			status, body := fetch(t, srv, "POST", "/open311/v2/requests.json", "", form(tc.change))
			if status != tc.status || !strings.Contains(body, tc.says) {
				t.Errorf("%d %s, want %d saying %s", status, body, tc.status, tc.says)
			}
			if strings.Contains(body, open311Key) {
				t.Errorf("the answer repeats the api_key: %s", body)
			}
			want := 0
			if tc.status == 201 {
				want = 1
			}
			if n := len(s.ServiceRequests()); n != want {
				t.Errorf("%d requests recorded, want %d", n, want)
			}
		})
	}
}

// TestOpen311RequestStatus posts a request as XML and reads it back in
// both formats, singly and in a list.
func TestOpen311RequestStatus(t *testing.T) {
	s, _, srv := simWith(t, now, wastesim.Options{})
	status, body := fetch(t, srv, "POST", "/open311/v2/requests.xml", "", form(nil))
	var created struct {
		Requests []struct {
			ID string `xml:"service_request_id"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal([]byte(body), &created); status != 201 || err != nil || len(created.Requests) != 1 || created.Requests[0].ID != "SR-000001" {
		t.Fatalf("POST requests.xml: %d %v %s", status, err, body)
	}
	if got := s.ServiceRequests()[0]; got.Attributes["bin_type"][0] != "general" || got.Email != "sam@example.com" || got.Address != "1 Orchard Way, Larchester, LR1 1AA" {
		t.Errorf("recorded %+v", got)
	}
	fetch(t, srv, "POST", "/open311/v2/requests.json", "", form(map[string]string{"attribute[bin_type]": "food"}))

	var one []map[string]any
	status, body = fetch(t, srv, "GET", "/open311/v2/requests/SR-000001.json", "", nil)
	if err := json.Unmarshal([]byte(body), &one); status != 200 || err != nil || len(one) != 1 {
		t.Fatalf("requests/SR-000001.json: %d %s", status, body)
	}
	for k, want := range map[string]any{"service_request_id": "SR-000001", "status": "open", "service_code": "missed-bin", "service_name": "Missed bin collection",
		"address": "1 Orchard Way, Larchester, LR1 1AA", "address_id": orchard1, "zipcode": "LR1 1AA", "requested_datetime": "2025-03-05T10:00:00Z", "description": "Black bin not emptied"} {
		if one[0][k] != want {
			t.Errorf("%s = %v, want %v", k, one[0][k], want)
		}
	}
	status, body = fetch(t, srv, "GET", "/open311/v2/requests/SR-000002.xml", "", nil)
	if status != 200 || !strings.Contains(body, "<service_requests><request><service_request_id>SR-000002</service_request_id><status>open</status>") {
		t.Errorf("requests/SR-000002.xml: %d %s", status, body)
	}
	var list []map[string]any
	_, body = fetch(t, srv, "GET", "/open311/v2/requests.json?service_request_id=SR-000002,SR-000001", "", nil)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 2 {
		t.Errorf("requests.json?service_request_id=both: %s", body)
	}
	if status, body := fetch(t, srv, "GET", "/open311/v2/requests/SR-999999.json", "", nil); status != 404 || !strings.Contains(body, `"code":404`) {
		t.Errorf("an unknown request: %d %s, want 404", status, body)
	}
	if strings.Contains(body, "sam@example.com") {
		t.Errorf("the public status shows the resident's email: %s", body)
	}
}

func TestOpen311PostIsIdempotent(t *testing.T) {
	s, _, srv := simWith(t, now, wastesim.Options{})
	_, first := fetch(t, srv, "POST", "/open311/v2/requests.json", "FT-1/report", form(nil))
	status, again := fetch(t, srv, "POST", "/open311/v2/requests.json", "FT-1/report", form(nil))
	if status != 201 || again != first {
		t.Errorf("repeat: %d %s, want the first reply %s", status, again, first)
	}
	if n := len(s.ServiceRequests()); n != 1 {
		t.Errorf("%d requests recorded, want 1", n)
	}
	// A refusal for a wrong key is not kept: the corrected request goes through.
	if status, _ := fetch(t, srv, "POST", "/open311/v2/requests.json", "FT-2/report", form(map[string]string{"api_key": "guess"})); status != 403 {
		t.Fatalf("wrong api_key: %d", status)
	}
	if status, body := fetch(t, srv, "POST", "/open311/v2/requests.json", "FT-2/report", form(nil)); status != 201 {
		t.Errorf("corrected with the same key: %d %s, want 201", status, body)
	}
}

func TestOpen311APIKeyIsAnOption(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{Open311APIKey: "council-key"})
	if status, _ := fetch(t, srv, "POST", "/open311/v2/requests.json", "", form(nil)); status != 403 {
		t.Errorf("the default key where another is set: %d, want 403", status)
	}
	if status, _ := fetch(t, srv, "POST", "/open311/v2/requests.json", "", form(map[string]string{"api_key": "council-key"})); status != 201 {
		t.Errorf("the key set: %d, want 201", status)
	}
}
