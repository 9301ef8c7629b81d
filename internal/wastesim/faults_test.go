package wastesim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// TestDroppedWriteIsCommitted: with every write dropped, the caller gets a
// connection error, yet the reservation is made; repeating the call with
// the same key, once the system answers again, gets that reservation
// rather than a second one.
func TestDroppedWriteIsCommitted(t *testing.T) {
	s, _, srv := simWith(t, now, wastesim.Options{Faults: wastesim.Faults{DropRate: 1}})
	body := `{"uprn":"` + orchard1 + `","slot_id":"2025-03-06","items":["sofa"]}`
	req, _ := http.NewRequest("POST", srv.URL+"/api/bulky-waste/reservations", strings.NewReader(body))
	req.Header.Set("Idempotency-Key", "BW-1/reserve")
	// A fresh connection each time: Go would resend a keyed POST dropped
	// on a reused one by itself, and the test would not see the drop.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("with drop_rate 1 the write was answered %d, want a connection error", resp.StatusCode)
	}
	got := s.Reservations()
	if len(got) != 1 || got[0].Status != "reserved" {
		t.Fatalf("after the drop the system holds %+v, want the one reservation", got)
	}
	// Reads are never dropped.
	if resp := call(t, srv, "GET", "/api/bulky-waste/slots", "", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a read with drop_rate 1: %d, want 200", resp.StatusCode)
	}
	s.SetFaults(wastesim.Faults{})
	rep, res := reserve(t, srv, "BW-1/reserve", body)
	if rep.status != http.StatusCreated || !rep.replayed || res.ID != got[0].ID {
		t.Errorf("the retry: %d %s (replayed %v), want 201 with %s replayed", rep.status, rep.raw, rep.replayed, got[0].ID)
	}
	if n := len(s.Reservations()); n != 1 {
		t.Errorf("%d reservations after the retry, want 1", n)
	}
	if got := s.Injected(); got != (wastesim.Injected{Dropped: 1, Replayed: 1}) {
		t.Errorf("injected %+v, want one drop and one replay", got)
	}
	var read struct{ Injected wastesim.Injected }
	call(t, srv, "GET", "/admin/faults", "", "", &read)
	if read.Injected != s.Injected() {
		t.Errorf("GET /admin/faults shows %+v, want %+v", read.Injected, s.Injected())
	}
}

// statuses sends n property lookups and lists their statuses.
func statuses(t *testing.T, srv *httptest.Server, n int) string {
	t.Helper()
	var out []string
	for range n {
		resp := call(t, srv, "GET", "/api/properties/"+orchard1, "", "", nil)
		out = append(out, http.StatusText(resp.StatusCode))
	}
	return strings.Join(out, ",")
}

// TestFaultsAreRepeatableWithASeed: two simulators with the same seed fail
// the same requests; a share of 0.5 fails some and not others.
func TestFaultsAreRepeatableWithASeed(t *testing.T) {
	opts := wastesim.Options{Seed: 42, Faults: wastesim.Faults{FailRate: 0.5}}
	simA, _, a := simWith(t, now, opts)
	_, _, b := simWith(t, now, opts)
	first, second := statuses(t, a, 40), statuses(t, b, 40)
	if first != second {
		t.Errorf("same seed, different faults:\n%s\n%s", first, second)
	}
	if n := strings.Count(first, "Service Unavailable"); simA.Injected().Failed != n {
		t.Errorf("counted %d failures, answered %d", simA.Injected().Failed, n)
	}
	if !strings.Contains(first, "OK") || !strings.Contains(first, "Service Unavailable") {
		t.Errorf("fail_rate 0.5 over 40 requests gave %s, want some of each", first)
	}
	opts.Seed = 43
	_, _, c := simWith(t, now, opts)
	if third := statuses(t, c, 40); third == first {
		t.Errorf("seeds 42 and 43 failed the same 40 requests")
	}
}

// TestSlowRateDelaysAShare: with slow_rate 0.5 and an hour's latency, a
// caller that waits 100ms gets some answers and gives up on others.
func TestSlowRateDelaysAShare(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{Seed: 7, Faults: wastesim.Faults{SlowRate: 0.5, Latency: time.Hour}})
	var answered, timedOut int
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/properties/"+orchard1, nil)
		resp, err := srv.Client().Do(req)
		switch {
		case err == nil:
			resp.Body.Close()
			answered++
		case errors.Is(err, context.DeadlineExceeded):
			timedOut++
		default:
			t.Fatal(err)
		}
		cancel()
	}
	if answered == 0 || timedOut == 0 {
		t.Errorf("%d answered, %d held back, want some of each", answered, timedOut)
	}
}

func TestPutFaults(t *testing.T) {
	for _, tc := range []struct {
		body   string
		status int
		want   string // the faults read back, or the refusal's words
	}{
		{`{"fail_rate":0.3,"slow_rate":0.1,"latency":"2s","drop_rate":0.05}`, 204, `"fail_rate":0.3,"slow_rate":0.1,"latency":"2s","latency_ms":2000,"drop_rate":0.05`},
		{`{"latency_ms":250}`, 204, `"latency":"250ms"`},
		{`{"fail_rate":1,"fail_path":"/api/properties/"}`, 204, `"fail_path":"/api/properties/"`},
		{`{"fail_rate":2}`, 400, "fail_rate must be from 0 to 1, not 2"},
		{`{"drop_rate":-0.1}`, 400, "drop_rate must be from 0 to 1, not -0.1"},
		{`{"slow_rate":0.5}`, 400, "slow_rate needs a latency"},
		{`{"latency":"soon"}`, 400, `latency "soon" is not a duration`},
		{`{"fail_rate":`, 400, "send {"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			_, _, srv := simWith(t, now, wastesim.Options{})
			var p problem
			resp := call(t, srv, "PUT", "/admin/faults", "", tc.body, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 204 {
				var raw json.RawMessage
				call(t, srv, "GET", "/admin/faults", "", "", &raw)
				if !strings.Contains(string(raw), tc.want) {
					t.Errorf("faults read back %s, want %s", raw, tc.want)
				}
				return
			}
			req, _ := http.NewRequest("PUT", srv.URL+"/admin/faults", strings.NewReader(tc.body))
			r, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			_ = json.NewDecoder(r.Body).Decode(&p)
			if p.Code != "bad_request" || !strings.Contains(p.Message, tc.want) {
				t.Errorf("refusal %+v, want bad_request saying %q", p, tc.want)
			}
		})
	}
}
