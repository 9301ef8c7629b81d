package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
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
