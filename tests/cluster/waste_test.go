package cluster

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// missedBin is one missed-bin case's answers: a bin whose last collection
// the waste system accepts a report of.
type missedBin struct {
	postcode, uprn, bin string
}

// newWaste starts the reference waste system in the test's process and
// returns it with the bins open to a missed-bin report, each once: its
// clock is moved on by the whole days (up to a fortnight, a full round)
// that leave the most collections open to report, as larder bench faults
// does.
func newWaste(t *testing.T) (*wastesim.Server, string, []missedBin) {
	t.Helper()
	var shift atomic.Int64
	sim := wastesim.New(wastesim.Options{Now: func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }})
	var postcodes []string
	for _, r := range sim.Rounds() {
		for _, pc := range r.Postcodes {
			if !slices.Contains(postcodes, pc) {
				postcodes = append(postcodes, pc)
			}
		}
	}
	var best []missedBin
	bestShift := int64(0)
	for days := range 14 {
		shift.Store(int64(days) * int64(24*time.Hour))
		if open := reportable(t, sim, time.Duration(shift.Load()), postcodes); len(open) > len(best) {
			best, bestShift = open, shift.Load()
		}
	}
	shift.Store(bestShift)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL, best
}

// reportable lists the bins whose last collection the simulator accepts a
// miss for on its calendar day: due (a garden bin subscribed since before
// it) and no more than wastesim.ReportDays ago.
func reportable(t *testing.T, sim *wastesim.Server, shift time.Duration, postcodes []string) []missedBin {
	t.Helper()
	y, m, d := time.Now().Add(shift).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var out []missedBin
	for _, pc := range postcodes {
		var found struct {
			Properties []wastesim.Property `json:"properties"`
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/properties?postcode="+url.QueryEscape(pc), nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("the waste system lists no properties at %s: %d %s", pc, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &found); err != nil {
			t.Fatal(err)
		}
		for _, p := range found.Properties {
			for _, b := range p.Bins {
				last, err := time.Parse(time.DateOnly, b.LastCollection)
				if err != nil || !b.Subscribed || b.SubscribedSince > b.LastCollection {
					continue
				}
				if ago := today.Sub(last) / (24 * time.Hour); ago >= 0 && ago <= wastesim.ReportDays {
					out = append(out, missedBin{postcode: p.Postcode, uprn: p.UPRN, bin: b.Type})
				}
			}
		}
	}
	return out
}
