package wastesim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// now is a Wednesday morning; Orchard Way was collected yesterday.
var now = time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)

const (
	orchard1  = "100001000001" // 1 Orchard Way: odd, so no garden subscription
	orchard2  = "100001000002" // 2 Orchard Way: garden subscription
	station1  = "100003000001" // 1 Station Road: recycling 13 days ago
	yesterday = "2025-03-04"
)

func newSim(t *testing.T) (*wastesim.Server, *httptest.Server) {
	t.Helper()
	s := wastesim.New(wastesim.Options{Now: func() time.Time { return now }})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// call sends a request and decodes the JSON reply into out.
func call(t *testing.T, srv *httptest.Server, method, path, key, body string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode reply: %v", method, path, err)
		}
	}
	return resp
}

type problem struct{ Code, Message string }

func report(t *testing.T, srv *httptest.Server, key, uprn, bin string) (*http.Response, wastesim.MissedCollection, problem) {
	t.Helper()
	var raw json.RawMessage
	resp := call(t, srv, "POST", "/api/missed-collections", key, `{"uprn":"`+uprn+`","bin_type":"`+bin+`","reported_by":"Sam Resident"}`, &raw)
	var m wastesim.MissedCollection
	var p problem
	_ = json.Unmarshal(raw, &m)
	_ = json.Unmarshal(raw, &p)
	return resp, m, p
}

func TestFindPropertiesByPostcode(t *testing.T) {
	_, srv := newSim(t)
	for _, pc := range []string{"LR1 1AA", "lr11aa", " lr1 1Aa "} {
		var out struct{ Properties []wastesim.Property }
		resp := call(t, srv, "GET", "/api/properties?postcode="+strings.ReplaceAll(pc, " ", "+"), "", "", &out)
		if resp.StatusCode != http.StatusOK || len(out.Properties) != 12 {
			t.Fatalf("postcode %q: status %d, %d properties; want 200 and the 12 on Orchard Way", pc, resp.StatusCode, len(out.Properties))
		}
		if p := out.Properties[0]; p.UPRN != orchard1 || p.Address != "1 Orchard Way, Larchester, LR1 1AA" {
			t.Errorf("postcode %q: first property = %+v", pc, p)
		}
	}
	var none struct{ Properties []wastesim.Property }
	if resp := call(t, srv, "GET", "/api/properties?postcode=ZZ9+9ZZ", "", "", &none); resp.StatusCode != 200 || none.Properties == nil || len(none.Properties) != 0 {
		t.Errorf("unknown postcode: status %d, %#v; want 200 and an empty list", resp.StatusCode, none.Properties)
	}
	var p problem
	if resp := call(t, srv, "GET", "/api/properties", "", "", &p); resp.StatusCode != http.StatusBadRequest || p.Code != "postcode_required" {
		t.Errorf("no postcode: %d %+v, want 400 postcode_required", resp.StatusCode, p)
	}
}

func TestGetProperty(t *testing.T) {
	_, srv := newSim(t)
	var p wastesim.Property
	resp := call(t, srv, "GET", "/api/properties/"+orchard2, "", "", &p)
	if resp.StatusCode != http.StatusOK || p.UPRN != orchard2 || p.Postcode != "LR1 1AA" {
		t.Fatalf("status %d, %+v", resp.StatusCode, p)
	}
	if len(p.Bins) != 4 {
		t.Fatalf("bins = %+v, want general, recycling, garden and food", p.Bins)
	}
	for _, b := range p.Bins {
		if b.LastCollection != yesterday || b.CollectionDay != "Tuesday" || !b.Subscribed {
			t.Errorf("bin %+v: want collected Tuesday %s and subscribed", b, yesterday)
		}
	}
}

func TestGetPropertyNotFound(t *testing.T) {
	_, srv := newSim(t)
	var p problem
	resp := call(t, srv, "GET", "/api/properties/999999999999", "", "", &p)
	if resp.StatusCode != http.StatusNotFound || p.Code != "property_not_found" || p.Message == "" {
		t.Errorf("%d %+v, want 404 property_not_found with a message", resp.StatusCode, p)
	}
}

func TestReportMissed(t *testing.T) {
	s, srv := newSim(t)
	resp, m, _ := report(t, srv, "MB-1/raise", orchard1, "general")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	want := wastesim.MissedCollection{ID: "MC-000001", UPRN: orchard1, BinType: "general", CollectionDate: yesterday,
		ReportedBy: "Sam Resident", Status: "open", ReportedAt: "2025-03-05T10:00:00Z"}
	if m != want {
		t.Errorf("report = %+v\nwant %+v", m, want)
	}
	if got := s.MissedCollections(); len(got) != 1 || got[0] != want {
		t.Errorf("recorded %+v, want the one report", got)
	}
}

func TestReportMissedIsIdempotent(t *testing.T) {
	s, srv := newSim(t)
	_, first, _ := report(t, srv, "MB-1/raise", orchard1, "general")
	resp, again, p := report(t, srv, "MB-1/raise", orchard1, "general")
	if resp.StatusCode != http.StatusCreated || again.ID != first.ID {
		t.Fatalf("repeat: %d %+v %+v, want 201 and id %s", resp.StatusCode, again, p, first.ID)
	}
	if resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("repeat reply is not marked Idempotent-Replayed")
	}
	if n := len(s.MissedCollections()); n != 1 {
		t.Errorf("%d reports recorded, want 1", n)
	}
}

func TestReportMissedRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, uprn, bin string
		status          int
		code, message   string
	}{
		{"garden bin without subscription", orchard1, "garden", 422, "not_due", "1 Orchard Way, Larchester, LR1 1AA was not due a collection"},
		{"recycling 13 days ago", station1, "recycling", 422, "outside_window", "the Recycling (blue bin) collection on Thursday 20 February was more than 3 days ago"},
		{"unknown property", "999999999999", "general", 404, "property_not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, srv := newSim(t)
			resp, _, p := report(t, srv, "k", tc.uprn, tc.bin)
			if resp.StatusCode != tc.status || p.Code != tc.code || !strings.Contains(p.Message, tc.message) {
				t.Errorf("%d %+v, want %d %s with %q", resp.StatusCode, p, tc.status, tc.code, tc.message)
			}
			if n := len(s.MissedCollections()); n != 0 {
				t.Errorf("a refused report was recorded (%d)", n)
			}
		})
	}
}

func TestReportMissedGardenBinWithSubscription(t *testing.T) {
	_, srv := newSim(t)
	if resp, m, p := report(t, srv, "k", orchard2, "garden"); resp.StatusCode != http.StatusCreated || m.BinType != "garden" {
		t.Errorf("even-numbered house's garden bin: %d %+v, want 201", resp.StatusCode, p)
	}
}

func TestReportMissedTwiceWithDifferentKeys(t *testing.T) {
	s, srv := newSim(t)
	report(t, srv, "MB-1/raise", orchard1, "general")
	resp, _, p := report(t, srv, "MB-2/raise", orchard1, "general")
	if resp.StatusCode != http.StatusConflict || p.Code != "already_reported" || !strings.Contains(p.Message, "MC-000001") {
		t.Errorf("%d %+v, want 409 already_reported naming MC-000001", resp.StatusCode, p)
	}
	if n := len(s.MissedCollections()); n != 1 {
		t.Errorf("%d reports recorded, want 1", n)
	}
	// Another bin at the same house is a new report.
	if resp, m, _ := report(t, srv, "MB-3/raise", orchard1, "food"); resp.StatusCode != http.StatusCreated || m.ID != "MC-000002" {
		t.Errorf("food bin: %d %+v, want 201 MC-000002", resp.StatusCode, m)
	}
}

func TestFaultInjection(t *testing.T) {
	s := wastesim.New(wastesim.Options{Now: func() time.Time { return now }, Faults: wastesim.Faults{FailRate: 1}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	var p problem
	if resp := call(t, srv, "GET", "/api/properties/"+orchard1, "", "", &p); resp.StatusCode != http.StatusServiceUnavailable || p.Code != "unavailable" {
		t.Errorf("with fail rate 1: %d %+v, want 503 unavailable", resp.StatusCode, p)
	}
	if resp, _, _ := report(t, srv, "k", orchard1, "general"); resp.StatusCode != http.StatusServiceUnavailable || len(s.MissedCollections()) != 0 {
		t.Errorf("report with fail rate 1: %d, want 503 and nothing recorded", resp.StatusCode)
	}
	if resp := call(t, srv, "GET", "/healthz", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d, want 200 whatever the faults", resp.StatusCode)
	}
	if resp := call(t, srv, "PUT", "/admin/faults", "", `{"fail_rate": 0}`, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /admin/faults: %d", resp.StatusCode)
	}
	if resp := call(t, srv, "GET", "/api/properties/"+orchard1, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after clearing faults: %d, want 200", resp.StatusCode)
	}
	if resp := call(t, srv, "PUT", "/admin/faults", "", `{"fail_rate": 2}`, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("fail rate 2: %d, want 400", resp.StatusCode)
	}
}

func TestListMissedCollections(t *testing.T) {
	_, srv := newSim(t)
	_, m, _ := report(t, srv, "MB-1/raise", orchard1, "general")
	var out struct {
		MissedCollections []wastesim.MissedCollection `json:"missed_collections"`
	}
	resp := call(t, srv, "GET", "/api/missed-collections", "", "", &out)
	if resp.StatusCode != http.StatusOK || len(out.MissedCollections) != 1 || out.MissedCollections[0] != m {
		t.Errorf("%d %+v, want 200 and the one report %+v", resp.StatusCode, out.MissedCollections, m)
	}
}

func TestReportMissedBadRequests(t *testing.T) {
	s, srv := newSim(t)
	var p problem
	if resp := call(t, srv, "POST", "/api/missed-collections", "k", `{"uprn":`, &p); resp.StatusCode != http.StatusBadRequest || p.Code != "bad_request" {
		t.Errorf("broken JSON: %d %+v, want 400 bad_request", resp.StatusCode, p)
	}
	resp, _, p := report(t, srv, "k", orchard1, "clinical")
	if resp.StatusCode != http.StatusUnprocessableEntity || p.Code != "bin_not_at_property" || !strings.Contains(p.Message, "has no clinical bin") {
		t.Errorf("a bin the house lacks: %d %+v, want 422 bin_not_at_property", resp.StatusCode, p)
	}
	if n := len(s.MissedCollections()); n != 0 {
		t.Errorf("%d reports recorded from bad requests, want none", n)
	}
}

// TestDefaultClockIsTheWallClock checks a simulator given no clock lays out
// its rounds from today, even if the test runs across midnight.
func TestDefaultClockIsTheWallClock(t *testing.T) {
	before := time.Now()
	srv := httptest.NewServer(wastesim.New(wastesim.Options{}))
	defer srv.Close()
	var p wastesim.Property
	call(t, srv, "GET", "/api/properties/"+orchard1, "", "", &p)
	after := time.Now()
	got := p.Bins[0].LastCollection
	if want1, want2 := before.AddDate(0, 0, -1).Format(time.DateOnly), after.AddDate(0, 0, -1).Format(time.DateOnly); got != want1 && got != want2 {
		t.Errorf("Orchard Way's general waste was last collected %s, want yesterday, %s", got, want2)
	}
}

func TestLatency(t *testing.T) {
	s := wastesim.New(wastesim.Options{Now: func() time.Time { return now }, Faults: wastesim.Faults{Latency: 30 * time.Millisecond}})
	srv := httptest.NewServer(s)
	defer srv.Close()
	start := time.Now()
	if resp := call(t, srv, "GET", "/api/properties/"+orchard1, "", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("answered in %v, want at least the 30ms latency", took)
	}

	// A caller that gives up is not kept waiting for: closing the server
	// below waits for the handler, which must not sit out the hour.
	s.SetFaults(wastesim.Faults{Latency: time.Hour})
	client := &http.Client{Timeout: 20 * time.Millisecond}
	if resp, err := client.Get(srv.URL + "/api/properties/" + orchard1); err == nil {
		resp.Body.Close()
		t.Errorf("status %d within the client's 20ms, want a timeout", resp.StatusCode)
	}
}

// TestFaultsCanBeLimitedToAPath: a property lookup can fail while the
// postcode search a form offers addresses from still answers.
func TestFaultsCanBeLimitedToAPath(t *testing.T) {
	s := wastesim.New(wastesim.Options{Now: func() time.Time { return now }})
	srv := httptest.NewServer(s)
	defer srv.Close()
	if resp := call(t, srv, "PUT", "/admin/faults", "", `{"fail_rate": 1, "fail_path": "/api/properties/"}`, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /admin/faults: %d", resp.StatusCode)
	}
	if resp := call(t, srv, "GET", "/api/properties/"+orchard1, "", "", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("property lookup under a path fault: %d, want 503", resp.StatusCode)
	}
	if resp := call(t, srv, "GET", "/api/properties?postcode=LR1+1AA", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("postcode search outside the faulty path: %d, want 200", resp.StatusCode)
	}
}
