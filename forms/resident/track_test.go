package resident

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
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
