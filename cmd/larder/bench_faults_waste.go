package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// wasteCounts are the waste system's API requests while the cases ran, and
// what the injected faults did to them.
type wasteCounts struct {
	requests, failed, slow, dropped atomic.Int64
}

// counted wraps the simulator to count its API requests while counting is
// set: answered 503 (failed), delayed by at least latency (slow), or
// answered by dropping the connection (dropped). The listings the checks
// read never meet a fault and are not counted.
func (w *faultyWaste) counted(h http.Handler, latency time.Duration) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		listing := r.Method == http.MethodGet && (r.URL.Path == "/api/missed-collections" || r.URL.Path == "/api/bulky-waste/reservations")
		if !w.counting.Load() || !strings.HasPrefix(r.URL.Path, "/api/") || listing {
			h.ServeHTTP(rw, r)
			return
		}
		cw := &countingWriter{ResponseWriter: rw}
		t0 := time.Now()
		h.ServeHTTP(cw, r)
		c := &w.counts
		c.requests.Add(1)
		if latency > 0 && time.Since(t0) >= latency {
			c.slow.Add(1)
		}
		switch {
		case cw.hijacked:
			c.dropped.Add(1)
		case cw.status == http.StatusServiceUnavailable:
			c.failed.Add(1)
		}
	})
}

// countingWriter notes the status written and whether the connection was
// taken over to be dropped.
type countingWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (cw *countingWriter) WriteHeader(status int) {
	if cw.status == 0 {
		cw.status = status
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *countingWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	return cw.ResponseWriter.Write(b)
}

// Hijack lets the simulator drop the connection, as it does to lose a
// write's answer.
func (cw *countingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := cw.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over")
	}
	cw.hijacked = true
	return hj.Hijack()
}

// missedPlan is one missed-bin case's answers from the waste system's data.
type missedPlan struct{ postcode, uprn, bin string }

// bulkyPlan is one bulky-waste case's answers.
type bulkyPlan struct {
	postcode, uprn, slot string
	items                []string
	// paymentFails says the payment provider reports the payment failed.
	paymentFails bool
}

// faultPlan is what the cases will ask for, chosen before any fault.
type faultPlan struct {
	// reportable counts the bin collections a miss may be reported for:
	// the missed-bin cases beyond it repeat one and are refused.
	reportable int
	missed     []missedPlan
	bulky      []bulkyPlan
	slots      []string
}

// bulkyLoads are the items bookings ask to collect, in turn.
var bulkyLoads = [][]string{{"sofa", "fridge"}, {"mattress"}, {"table", "chair", "wardrobe"}, {"washing-machine"}, {"sofa", "mattress", "table", "chair"}}

// plan reads the demo data and chooses each case's answers: a missed-bin
// case a bin whose last collection is open to report (each once, as long
// as there are enough), a bulky-waste case a property and a date offered,
// spread over the dates. The simulator's clock is moved on by the whole
// days (up to a fortnight, a full round) that leave the most collections
// open to report.
func (w *faultyWaste) plan(o benchFaultsOptions) (faultPlan, error) {
	var postcodes []string
	for _, r := range w.sim.Rounds() {
		for _, pc := range r.Postcodes {
			if !slices.Contains(postcodes, pc) {
				postcodes = append(postcodes, pc)
			}
		}
	}
	best, bestDays := []missedPlan(nil), 0
	for days := range 14 {
		w.shift.Store(int64(days) * int64(24*time.Hour))
		combos, err := w.reportable(postcodes)
		if err != nil {
			return faultPlan{}, err
		}
		if len(combos) > len(best) {
			best, bestDays = combos, days
		}
	}
	w.shift.Store(int64(bestDays) * int64(24*time.Hour))
	w.daysOn = bestDays
	p := faultPlan{reportable: len(best)}
	if o.missedBin > 0 && len(best) == 0 {
		return p, errors.New("no bin collection is open to report a miss")
	}
	for i := range o.missedBin {
		p.missed = append(p.missed, best[i%len(best)])
	}
	if o.bulky == 0 {
		return p, nil
	}
	props, err := w.properties(postcodes)
	if err != nil {
		return p, err
	}
	var slots struct {
		Slots []wastesim.Slot `json:"slots"`
	}
	if err := w.get("/api/bulky-waste/slots?uprn="+url.QueryEscape(props[0].UPRN), &slots); err != nil {
		return p, err
	}
	if len(slots.Slots) == 0 {
		return p, errors.New("no bulky-waste date is offered")
	}
	for _, s := range slots.Slots {
		p.slots = append(p.slots, s.ID)
	}
	failed := int(o.paymentFailed*float64(o.bulky) + 0.5)
	for i := range o.bulky {
		prop := props[i%len(props)]
		p.bulky = append(p.bulky, bulkyPlan{
			postcode: prop.Postcode, uprn: prop.UPRN, slot: p.slots[i%len(p.slots)],
			items: bulkyLoads[i%len(bulkyLoads)],
			// Spread evenly: the i-th fails when the count of failures
			// so far steps up at it.
			paymentFails: (i+1)*failed/o.bulky != i*failed/o.bulky,
		})
	}
	return p, nil
}

// reportable lists the bins whose last collection the simulator accepts a
// miss for today: due (a garden bin subscribed since before it) and no
// more than wastesim.ReportDays ago.
func (w *faultyWaste) reportable(postcodes []string) ([]missedPlan, error) {
	props, err := w.properties(postcodes)
	if err != nil {
		return nil, err
	}
	// The simulator's calendar day, as it reckons it.
	y, m, d := time.Now().Add(time.Duration(w.shift.Load())).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var out []missedPlan
	for _, p := range props {
		for _, b := range p.Bins {
			last, err := time.Parse(time.DateOnly, b.LastCollection)
			if err != nil || !b.Subscribed || b.SubscribedSince > b.LastCollection {
				continue
			}
			if ago := today.Sub(last) / (24 * time.Hour); ago >= 0 && ago <= wastesim.ReportDays {
				out = append(out, missedPlan{postcode: p.Postcode, uprn: p.UPRN, bin: b.Type})
			}
		}
	}
	return out, nil
}

// properties lists the properties of the postcodes, in order.
func (w *faultyWaste) properties(postcodes []string) ([]wastesim.Property, error) {
	var out []wastesim.Property
	for _, pc := range postcodes {
		var found struct {
			Properties []wastesim.Property `json:"properties"`
		}
		if err := w.get("/api/properties?postcode="+url.QueryEscape(pc), &found); err != nil {
			return nil, err
		}
		out = append(out, found.Properties...)
	}
	if len(out) == 0 {
		return nil, errors.New("the waste system lists no properties")
	}
	return out, nil
}

// get reads the simulator's JSON answer to a GET, before any fault.
func (w *faultyWaste) get(path string, v any) error {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(w.url + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
