package wastesim_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// TestRoundsListEachBinsWeekday: each street is a round; its bins come on a
// weekday, weekly or fortnightly, and the property names its round.
func TestRoundsListEachBinsWeekday(t *testing.T) {
	c, srv := simAt(t, now)
	var out struct{ Rounds []wastesim.Round }
	if resp := call(t, srv, "GET", "/api/rounds", "", "", &out); resp.StatusCode != http.StatusOK || len(out.Rounds) != 4 {
		t.Fatalf("GET /api/rounds: %d, %d rounds, want 200 and 4", resp.StatusCode, len(out.Rounds))
	}
	r := out.Rounds[0]
	if r.ID != "R1" || r.Name != "Orchard Way round" || len(r.Postcodes) != 1 || r.Postcodes[0] != "LR1 1AA" || r.Properties != 12 {
		t.Errorf("first round %+v, want R1, Orchard Way, LR1 1AA, 12 properties", r)
	}
	want := []wastesim.RoundBin{
		{Type: "general", Name: "General waste (black bin)", CollectionDay: "Tuesday", EveryDays: 7, LastCollection: "2025-03-04", NextCollection: "2025-03-11"},
		{Type: "recycling", Name: "Recycling (blue bin)", CollectionDay: "Tuesday", EveryDays: 14, LastCollection: "2025-03-04", NextCollection: "2025-03-18"},
	}
	for i, w := range want {
		if r.Bins[i] != w {
			t.Errorf("bin %d = %+v, want %+v", i, r.Bins[i], w)
		}
	}
	var p wastesim.Property
	call(t, srv, "GET", "/api/properties/"+station1, "", "", &p)
	if p.Round != "R3" || p.Bins[1].Round != "R3" || p.Bins[1].LastCollection != "2025-02-20" || p.Bins[1].NextCollection != "2025-03-06" {
		t.Errorf("1 Station Road %+v, want on R3 with recycling last 2025-02-20, next 2025-03-06", p)
	}
	// The round moves on with the clock.
	c.Set(time.Date(2025, 3, 11, 9, 0, 0, 0, time.UTC))
	call(t, srv, "GET", "/api/rounds", "", "", &out)
	if b := out.Rounds[0].Bins[0]; b.LastCollection != "2025-03-11" || b.NextCollection != "2025-03-18" {
		t.Errorf("a week on, Orchard Way's general waste %+v, want last 2025-03-11, next 2025-03-18", b)
	}
}

// TestMissedCollectionRules: each rule a waste team keeps refuses with its
// own code, and records nothing.
func TestMissedCollectionRules(t *testing.T) {
	for _, tc := range []struct {
		name, uprn, bin string
		status          int
		code            string
	}{
		{"reported in the window", orchard1, "general", 201, ""},
		{"more than three days after the collection", station1, "recycling", 422, "outside_window"},
		{"garden bin without a subscription", orchard1, "garden", 422, "not_due"},
		{"reported before under another key", orchard2, "general", 409, "already_reported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, srv := simWith(t, now, wastesim.Options{})
			if resp, _, p := report(t, srv, "earlier", orchard2, "general"); resp.StatusCode != 201 {
				t.Fatalf("earlier report: %d %+v", resp.StatusCode, p)
			}
			resp, _, p := report(t, srv, "this", tc.uprn, tc.bin)
			if resp.StatusCode != tc.status || p.Code != tc.code {
				t.Errorf("%d %+v, want %d %q", resp.StatusCode, p, tc.status, tc.code)
			}
			want := 1
			if tc.status == 201 {
				want = 2
			}
			if n := len(s.MissedCollections()); n != want {
				t.Errorf("%d reports recorded, want %d", n, want)
			}
		})
	}
}
