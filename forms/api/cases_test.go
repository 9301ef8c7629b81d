package api_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/redistest"
)

func TestCaseProgressByReference(t *testing.T) {
	base, _ := running(t)
	var done submitted
	postJSON(t, base+"/services/missed-bin/submissions", missedBin()).decode(t, &done)
	view := waitClosed(t, base, done.Reference)
	if view.Reference != done.Reference || view.Outcome == "" || len(view.Timeline) == 0 {
		t.Errorf("case view %+v, want its reference, outcome and timeline", view)
	}
	// What a resident sees carries none of their personal answers.
	r := do(t, http.MethodGet, base+"/cases/"+done.Reference, nil)
	for _, personal := range []string{"sam@example.com", "Sam Resident"} {
		if strings.Contains(string(r.body), personal) {
			t.Errorf("case view shows %q", personal)
		}
	}
}

func TestCaseThatDoesNotExistIs404(t *testing.T) {
	base, _ := running(t)
	for _, ref := range []string{"MB-2345-6789", "not-a-reference"} {
		if r := do(t, http.MethodGet, base+"/cases/"+ref, nil); r.status != http.StatusNotFound || r.problem(t).Title != "No case has that reference" {
			t.Errorf("GET /cases/%s: %d %s, want 404", ref, r.status, r.body)
		}
	}
}

func TestCaseProgressUnavailableIs503WithoutDetail(t *testing.T) {
	base := faked(t, &fakeCases{viewErr: errors.New("query case: rpc error: dial tcp 10.9.8.7:7233: i/o timeout")})
	r := do(t, http.MethodGet, base+"/cases/MB-2345-6789", nil)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("case view with Temporal down: %d %s, want 503 with Retry-After", r.status, r.body)
	}
	if p := r.problem(t); !strings.Contains(p.Title, "try again") || strings.Contains(string(r.body), "10.9.8.7") || strings.Contains(string(r.body), "rpc") {
		t.Errorf("the client is told %s; want a plain try again, not the internal error", r.body)
	}
}

// Security finding 3: GET /api/v1/cases/{reference} had no rate limit, and
// each guess at a reference cost a query to Temporal. One address may look
// up LookupsPerMinute references a minute; the next is refused before
// Temporal is asked.
func TestFinding3CaseLookupsAreLimitedPerAddress(t *testing.T) {
	db := redistest.New(t)
	var minute atomic.Int64
	start := time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)
	limits := &web.RateLimit{Redis: db.Client, KeyPrefix: db.Prefix, Log: casetest.Log(),
		Now: func() time.Time { return start.Add(time.Duration(minute.Load()) * time.Minute) }}
	cases := &fakeCases{}
	base := serve(t, &api.Handler{Recipes: shipped(t), Cases: cases, Validator: forms.New(),
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}, pass, limits.Guard("case-lookups", api.LookupsPerMinute))
	lookup := func(from string) reply {
		return do(t, http.MethodGet, base+"/cases/MB-2345-6789", nil, "X-Forwarded-For", from)
	}

	for i := range api.LookupsPerMinute {
		if r := lookup("203.0.113.7"); r.status != http.StatusOK {
			t.Fatalf("lookup %d: %d %s, want 200", i+1, r.status, r.body)
		}
	}
	r := lookup("203.0.113.7")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("lookup %d in a minute: %d %s, want 429 with Retry-After", api.LookupsPerMinute+1, r.status, r.body)
	}
	if p := r.problem(t); !strings.Contains(p.Title, "Too many requests") {
		t.Errorf("429 says %q, want it to say there were too many requests", p.Title)
	}
	if got := cases.views(); got != api.LookupsPerMinute {
		t.Errorf("Temporal was asked %d times, want %d: the lookup over the limit must not ask", got, api.LookupsPerMinute)
	}
	// Another address is not held back, and the next minute this one may
	// look again.
	if r := lookup("198.51.100.2"); r.status != http.StatusOK {
		t.Errorf("another address: %d, want 200", r.status)
	}
	minute.Add(1)
	if r := lookup("203.0.113.7"); r.status != http.StatusOK {
		t.Errorf("the next minute: %d, want 200", r.status)
	}
}
