package wastesim_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Europe/London without the host's zone files

	"github.com/larder-council/larder/internal/wastesim"
)

// clock is a test's clock: it reads what the test last set.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// simAt starts a simulator whose clock reads start until the test sets it.
func simAt(t *testing.T, start time.Time) (*clock, *httptest.Server) {
	t.Helper()
	c := &clock{t: start}
	srv := httptest.NewServer(wastesim.New(wastesim.Options{Now: c.Now}))
	t.Cleanup(srv.Close)
	return c, srv
}

const castle1 = "100004000001" // 1 Castle Street: general waste collected two days before the simulator starts

// wed is the Wednesday the simulator starts on in these tests, at hour:min:sec.
func wed(hour, min, sec int) time.Time { return time.Date(2025, 3, 5, hour, min, sec, 0, time.UTC) }

// TestMissReportedEitherSideOfMidnight reports a missed bin a moment before
// midnight and again a moment after: the collection is the same one, so the
// second report is a repeat, whatever hour the simulator started.
func TestMissReportedEitherSideOfMidnight(t *testing.T) {
	for _, start := range []time.Time{wed(0, 0, 0), wed(10, 0, 0), wed(23, 59, 58)} {
		t.Run(start.Format("15:04:05"), func(t *testing.T) {
			c, srv := simAt(t, start)
			c.Set(wed(23, 59, 59))
			resp, first, p := report(t, srv, "MB-1/raise", orchard1, "general")
			if resp.StatusCode != http.StatusCreated || first.CollectionDate != yesterday {
				t.Fatalf("before midnight: %d %+v %+v, want 201 for the collection on %s", resp.StatusCode, first, p, yesterday)
			}
			c.Set(time.Date(2025, 3, 6, 0, 0, 0, 0, time.UTC))
			resp, _, p = report(t, srv, "MB-2/raise", orchard1, "general")
			if resp.StatusCode != http.StatusConflict || p.Code != "already_reported" {
				t.Errorf("after midnight: %d %+v, want 409 already_reported: the round has not moved", resp.StatusCode, p)
			}
			var prop wastesim.Property
			call(t, srv, "GET", "/api/properties/"+orchard1, "", "", &prop)
			if b := prop.Bins[0]; b.LastCollection != yesterday || b.CollectionDay != "Tuesday" {
				t.Errorf("after midnight the general bin shows %+v, want still collected Tuesday %s", b, yesterday)
			}
		})
	}
}

// TestReportWindowCountsWholeDays checks a miss can be reported on the
// collection day and the three days after it, up to the last second of the
// third, and not after, wherever in the day the simulator started.
func TestReportWindowCountsWholeDays(t *testing.T) {
	// 1 Castle Street's general bin was collected on Monday 3 March.
	for _, tc := range []struct {
		name   string
		at     time.Time
		status int
	}{
		{"collection day, first second", time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), http.StatusCreated},
		{"third day after, last second", time.Date(2025, 3, 6, 23, 59, 59, 0, time.UTC), http.StatusCreated},
		{"fourth day after, first second", time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC), http.StatusUnprocessableEntity},
	} {
		for _, start := range []time.Time{wed(0, 0, 0), wed(23, 59, 59)} {
			t.Run(tc.name+" from "+start.Format("15:04:05"), func(t *testing.T) {
				c, srv := simAt(t, start)
				c.Set(tc.at)
				resp, m, p := report(t, srv, "k", castle1, "general")
				if resp.StatusCode != tc.status {
					t.Fatalf("%d %+v %+v, want %d", resp.StatusCode, m, p, tc.status)
				}
				if tc.status == http.StatusCreated && m.CollectionDate != "2025-03-03" {
					t.Errorf("reported collection %s, want 2025-03-03", m.CollectionDate)
				}
				if tc.status != http.StatusCreated && (p.Code != "outside_window" || p.Message != "the General waste (black bin) collection on Monday 3 March was more than 3 days ago, too long ago to report") {
					t.Errorf("refusal %+v, want outside_window naming Monday 3 March", p)
				}
			})
		}
	}
}

// TestReportWindowAcrossTheClockChange reports, late in the evening, a miss
// from two days before, with the clocks going back in between: two days is
// inside the window, however many hours they held.
func TestReportWindowAcrossTheClockChange(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	// Clocks go back on Sunday 26 October 2025; the simulator starts on
	// Monday 27th, so 1 Castle Street was collected on Saturday 25th.
	c, srv := simAt(t, time.Date(2025, 10, 27, 9, 0, 0, 0, london))
	c.Set(time.Date(2025, 10, 27, 23, 30, 0, 0, london))
	resp, m, p := report(t, srv, "k", castle1, "general")
	if resp.StatusCode != http.StatusCreated || m.CollectionDate != "2025-10-25" {
		t.Errorf("%d %+v %+v, want 201 for the collection on 2025-10-25", resp.StatusCode, m, p)
	}
	if m.ReportedAt != "2025-10-27T23:30:00Z" {
		t.Errorf("reported at %s, want the clock's time in UTC, 2025-10-27T23:30:00Z", m.ReportedAt)
	}
}

// TestRoundsComeRoundAgain leaves the simulator running for days: the
// weekly and fortnightly rounds keep coming, so a bin missed again after its
// next collection is a new report, and a round too old to report on its
// first day becomes reportable once the crew is due again.
func TestRoundsComeRoundAgain(t *testing.T) {
	c, srv := simAt(t, now)
	if resp, _, p := report(t, srv, "MB-1/raise", orchard1, "general"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first report: %d %+v", resp.StatusCode, p)
	}

	// A week later: Orchard Way's general waste round was today, Tuesday.
	c.Set(time.Date(2025, 3, 11, 18, 0, 0, 0, time.UTC))
	var prop wastesim.Property
	call(t, srv, "GET", "/api/properties/"+orchard1, "", "", &prop)
	if b := prop.Bins[0]; b.Type != "general" || b.LastCollection != "2025-03-11" || b.CollectionDay != "Tuesday" {
		t.Errorf("a week later the general bin shows %+v, want collected Tuesday 2025-03-11", b)
	}
	resp, m, p := report(t, srv, "MB-2/raise", orchard1, "general")
	if resp.StatusCode != http.StatusCreated || m.CollectionDate != "2025-03-11" || m.ID != "MC-000002" {
		t.Errorf("missed again a week later: %d %+v %+v, want 201 MC-000002 for 2025-03-11", resp.StatusCode, m, p)
	}

	// 1 Station Road's recycling, fortnightly, was last collected on
	// Thursday 20 February: too long ago on the 5th, due again on the 6th.
	c.Set(time.Date(2025, 3, 6, 8, 0, 0, 0, time.UTC))
	if resp, m, p := report(t, srv, "MB-3/raise", station1, "recycling"); resp.StatusCode != http.StatusCreated || m.CollectionDate != "2025-03-06" {
		t.Errorf("recycling on its next round: %d %+v %+v, want 201 for 2025-03-06", resp.StatusCode, m, p)
	}
}
