package resident

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// countedCases is a fake case client that counts the cases it is asked to
// show, each of which would be a Temporal query.
type countedCases struct {
	*fakeCases
	views atomic.Int64
}

func (c *countedCases) View(ctx context.Context, ref string) (workflows.CaseView, error) {
	c.views.Add(1)
	return c.fakeCases.View(ctx, ref)
}

// Security finding 3 (the /track half): the progress page had no limit,
// and every reference guessed cost a Temporal query.
func TestFinding3TrackIsLimitedPerAddress(t *testing.T) {
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 15, 0, time.UTC)}
	ref := "MB-RNNG-2345"
	cases := &countedCases{fakeCases: &fakeCases{Views: map[string]workflows.CaseView{
		ref: {Reference: ref, Status: workflows.StatusRunning},
	}}}
	l := serve(t, &Handler{Cases: cases, Now: at.Now}, 0, nil)

	guesser := newResidentAt(t, l.URL, "203.0.113.7")
	for i := range defaultTracksPerMinute {
		guess := fmt.Sprintf("MB-%04d-2345", 2222+i)
		if got := guesser.get("/track/" + guess); got.Status != http.StatusNotFound {
			t.Fatalf("guess %d in the minute: %d, want 404", i+1, got.Status)
		}
	}
	asked := cases.views.Load()
	if asked != defaultTracksPerMinute {
		t.Fatalf("%d guesses asked %d times", defaultTracksPerMinute, asked)
	}
	over := guesser.get("/track/" + ref)
	if over.Status != http.StatusTooManyRequests {
		t.Fatalf("guess %d in the minute: %d, want 429", defaultTracksPerMinute+1, over.Status)
	}
	mustSay(t, "one guess too many", over, "Sorry, there have been too many requests", "Wait a minute, then try again.")
	mustNotSay(t, "one guess too many", over, "sent too many forms", "Your answers have been saved")
	if got := over.Header.Get("Retry-After"); got != "45" {
		t.Errorf("Retry-After %q at 9:30:15, want 45", got)
	}
	if n := cases.views.Load(); n != asked {
		t.Errorf("the refused request still asked for the case (%d queries, want %d)", n, asked)
	}

	// Someone at another address is not held up; the guesser is let
	// through again in the next minute.
	if got := newResidentAt(t, l.URL, "198.51.100.23").get("/track/" + ref); got.Status != http.StatusOK {
		t.Errorf("another address: %d, want 200", got.Status)
	}
	at.Set(time.Date(2026, 7, 1, 9, 31, 0, 0, time.UTC))
	if got := guesser.get("/track/" + ref); got.Status != http.StatusOK {
		t.Errorf("the next minute: %d, want 200", got.Status)
	}
}

func TestTrackLimitCanBeRaisedOrTurnedOff(t *testing.T) {
	at := &clock{now: time.Date(2026, 7, 1, 9, 30, 0, 0, time.UTC)}
	for _, tc := range []struct {
		perMinute, allowed int
	}{{3, 3}, {-1, defaultTracksPerMinute + 5}} {
		l := serve(t, &Handler{Now: at.Now, TracksPerMinute: tc.perMinute}, 0, nil)
		r := newResidentAt(t, l.URL, "203.0.113.8")
		for i := range tc.allowed {
			if got := r.get("/track/MB-NNNN-2345"); got.Status != http.StatusNotFound {
				t.Fatalf("TracksPerMinute %d, request %d: %d, want 404", tc.perMinute, i+1, got.Status)
			}
		}
		got := r.get("/track/MB-NNNN-2345").Status
		if tc.perMinute > 0 && got != http.StatusTooManyRequests {
			t.Errorf("TracksPerMinute %d, request %d: %d, want 429", tc.perMinute, tc.allowed+1, got)
		}
		if tc.perMinute < 0 && got != http.StatusNotFound {
			t.Errorf("TracksPerMinute %d (no limit): %d, want 404", tc.perMinute, got)
		}
	}
}

// pausedAndEscalated looks the property up in the waste system, which is
// down, so the case pauses for staff; then it passes the case to a team
// whose task escalates to another team before it is done.
const pausedAndEscalated = `id: permit
version: "1"
title: Apply for a skip permit
reference_prefix: SP
form:
  pages:
    - id: where
      title: Where will the skip go?
      fields:
        - { id: uprn, type: text, label: Property reference, validate: required }
steps:
  - id: lookup
    call:
      connector: waste
      operation: get_property
      input: { uprn: "{{ form.uprn }}" }
      timeout: 2s
      retry: { max_attempts: 1 }
    next: review
  - id: review
    task:
      queue: street-scene
      title: "Review the permit for {{ form.uprn }}"
      outcomes:
        - { id: approve, label: Approve after site visit, next: approved }
      escalate:
        after: 2s
        queue: street-scene-managers
  - id: approved
    end:
      outcome: Permit approved
`

// Security finding 10: the track page showed "Paused for staff: connector
// waste: GET /api/properties/..: dial tcp ...: connection refused",
// escalation notes and staff names. A real case, on a real worker, hits an
// incident (the waste system is down), a resolution and an escalation; the
// page shows none of the error, the queues or the staff, while the case's
// detail for staff keeps them.
func TestFinding10TrackPageShowsNoErrorQueueOrStaffName(t *testing.T) {
	t.Setenv("WASTE_URL", "http://"+closedAddress(t))
	conns, err := registry.LoadFile(filepath.Join(casetest.RecipesDir(), "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	permit, err := recipe.Parse("permit.yaml", []byte(pausedAndEscalated), conns)
	if err != nil {
		t.Fatal(err)
	}
	queue := casetest.Worker(t, &activities.Activities{Connectors: conns})
	client := &cases.Client{
		Temporal: casetest.Client(t), Namespace: "default", TaskQueue: queue,
		Secret: []byte("test secret " + queue), Recipes: []*recipe.Recipe{permit}, Log: quiet(),
	}
	l := serve(t, &Handler{Recipes: []*recipe.Recipe{permit}, Connectors: conns, Cases: client}, 0, nil)
	ctx := context.Background()
	ref, err := client.Start(ctx, permit, map[string]any{"uprn": "100001000001"}, "finding-10-"+queue)
	if err != nil {
		t.Fatal(err)
	}
	until := func(what string, done func(workflows.CaseDetail) bool) workflows.CaseDetail {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, err := client.Detail(ctx, ref)
			if err == nil && done(d) {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30s (%v): %+v", what, err, d)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	unwanted := []string{"dial tcp", "connection refused", "/api/properties", "get_property", "connector waste",
		"street-scene", "alex.morgan", "priya.shah", "Approve after site visit"}
	r := newResident(t, l.URL)

	paused := until("the incident", func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	if !strings.Contains(paused.Incidents[0].Error, "connection refused") {
		t.Fatalf("the incident is %+v; want the waste system's connection refused", paused.Incidents[0])
	}
	page := r.get("/track/" + ref)
	mustSay(t, "the track page while paused", page, "Paused for staff to check this step")
	mustNotSay(t, "the track page while paused", page, unwanted...)

	if _, err := client.ResolveIncident(ctx, ref, workflows.Resolution{IncidentID: paused.Incidents[0].ID, Action: workflows.ActionSkip, Value: map[string]any{}, By: "alex.morgan"}); err != nil {
		t.Fatal(err)
	}
	escalated := until("the escalation", func(d workflows.CaseDetail) bool { return len(d.Tasks) == 1 && d.Tasks[0].Escalated })
	if _, err := client.CompleteTask(ctx, ref, workflows.Completion{TaskID: escalated.Tasks[0].ID, Outcome: "approve", By: "priya.shah"}); err != nil {
		t.Fatal(err)
	}
	closed := until("the end", func(d workflows.CaseDetail) bool { return d.Status == workflows.StatusCompleted })

	page = r.get("/track/" + ref)
	mustSay(t, "the track page", page, "Permit approved", "Paused for staff to check this step", "Checked by our staff", "Passed to our staff", "Escalated")
	mustNotSay(t, "the track page", page, unwanted...)
	view, err := client.View(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range view.Timeline {
		for _, w := range unwanted {
			if strings.Contains(e.Note+e.Detail+e.By+e.Result, w) {
				t.Errorf("the resident's view of the case says %q: %+v", w, e)
			}
		}
	}
	var staff strings.Builder
	for _, e := range closed.Timeline {
		staff.WriteString(e.Note + " " + e.Detail + " " + e.By + "\n")
	}
	for _, w := range []string{"connection refused", "Passed to street-scene", "alex.morgan", "priya.shah"} {
		if !strings.Contains(staff.String(), w) {
			t.Errorf("staff's timeline lacks %q:\n%s", w, staff.String())
		}
	}
}
