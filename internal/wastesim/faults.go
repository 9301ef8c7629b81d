package wastesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Faults make the simulator misbehave like a real back-office system. Each
// request to the API draws, from the simulator's seeded randomness,
// whether it is slow, whether it fails and, for a write, whether its
// answer is lost.
type Faults struct {
	// FailRate is the share of API requests answered 503, from 0 to 1,
	// before anything is done.
	FailRate float64 `json:"fail_rate"`
	// SlowRate is the share of API requests delayed by Latency, from 0 to
	// 1. When it is 0, a Latency delays every API request.
	SlowRate float64 `json:"slow_rate"`
	// Latency is how long a slow request is delayed.
	Latency time.Duration `json:"latency"`
	// DropRate is the share of API writes (POST) that are done and
	// recorded, then answered by dropping the connection: the caller sees
	// a network error and cannot know the write was made, unless it
	// repeats it with the same Idempotency-Key.
	DropRate float64 `json:"drop_rate"`
	// FailPath, when set, limits failures and drops to requests whose path
	// starts with it: "/api/properties/" fails looking a property up but
	// not the postcode search a form offers addresses from.
	FailPath string `json:"fail_path,omitempty"`
}

// Validate says what is wrong with the faults, naming the setting.
func (f Faults) Validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"fail_rate", f.FailRate}, {"slow_rate", f.SlowRate}, {"drop_rate", f.DropRate}} {
		if r.v < 0 || r.v > 1 || r.v != r.v {
			return fmt.Errorf("%s must be from 0 to 1, not %v", r.name, r.v)
		}
	}
	switch {
	case f.Latency < 0:
		return fmt.Errorf("latency must not be negative, not %v", f.Latency)
	case f.SlowRate > 0 && f.Latency == 0:
		return fmt.Errorf("slow_rate needs a latency to delay the slow requests by")
	}
	return nil
}

// faulty wraps an API handler with the injected faults; a write (POST)
// goes through write, so it honours Idempotency-Key.
func (s *Server) faulty(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		inPath := strings.HasPrefix(r.URL.Path, f.FailPath)
		slow := f.Latency > 0 && (f.SlowRate == 0 || s.draw(f.SlowRate))
		fail := inPath && s.draw(f.FailRate)
		drop := inPath && r.Method == http.MethodPost && s.draw(f.DropRate)
		s.count(slow && f.SlowRate > 0, fail, drop && !fail)
		s.mu.Unlock()
		if slow {
			t := time.NewTimer(f.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if fail {
			unavailable(w, r)
			return
		}
		if r.Method != http.MethodPost {
			h(w, r)
			return
		}
		rep := s.write(r, h)
		if rep.replayed {
			s.mu.Lock()
			s.injected.Replayed++
			s.mu.Unlock()
		}
		if drop {
			hangUp(w)
			return
		}
		rep.send(w)
	}
}

// Injected counts what the simulator has done to its callers, for a load
// run to print beside its own counts.
type Injected struct {
	// Failed counts requests answered 503 by fail_rate.
	Failed int `json:"failed"`
	// Slowed counts requests delayed by slow_rate (not those a latency
	// alone delays).
	Slowed int `json:"slowed"`
	// Dropped counts writes done and then answered by a dropped connection.
	Dropped int `json:"dropped"`
	// Replayed counts writes answered with the first reply to their
	// Idempotency-Key.
	Replayed int `json:"replayed"`
}

// Injected returns the counts of faults injected and replies replayed.
func (s *Server) Injected() Injected {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.injected
}

// count adds a request's faults to the counts. s.mu must be held.
func (s *Server) count(slow, fail, drop bool) {
	for _, c := range []struct {
		happened bool
		n        *int
	}{{slow, &s.injected.Slowed}, {fail, &s.injected.Failed}, {drop, &s.injected.Dropped}} {
		if c.happened {
			*c.n++
		}
	}
}

// draw says whether an event of that share happens. s.mu must be held.
func (s *Server) draw(rate float64) bool {
	return rate > 0 && s.rand.Float64() < rate
}

// unavailable answers 503 in the form the caller's API speaks.
func unavailable(w http.ResponseWriter, r *http.Request) {
	const msg = "the waste system is temporarily unavailable"
	if strings.HasPrefix(r.URL.Path, "/open311/") {
		open311Errors(w, r, http.StatusServiceUnavailable, msg)
		return
	}
	problem(w, http.StatusServiceUnavailable, "unavailable", msg)
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2: the server resets the stream
}

// SetFaults changes the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// faultsJSON is the body of PUT and GET /admin/faults: latency as a
// duration ("250ms") or, as before, latency_ms.
type faultsJSON struct {
	FailRate  float64 `json:"fail_rate"`
	SlowRate  float64 `json:"slow_rate"`
	Latency   string  `json:"latency,omitempty"`
	LatencyMS int     `json:"latency_ms"`
	DropRate  float64 `json:"drop_rate"`
	FailPath  string  `json:"fail_path"`
	// Injected is read back only.
	Injected *Injected `json:"injected,omitempty"`
}

func (s *Server) setFaults(w http.ResponseWriter, r *http.Request) {
	const usage = `send {"fail_rate": 0..1, "slow_rate": 0..1, "latency": "250ms", "drop_rate": 0..1, "fail_path": "/api/..."}`
	var in faultsJSON
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", usage)
		return
	}
	f := Faults{FailRate: in.FailRate, SlowRate: in.SlowRate, DropRate: in.DropRate, FailPath: in.FailPath,
		Latency: time.Duration(in.LatencyMS) * time.Millisecond}
	if in.Latency != "" {
		d, err := time.ParseDuration(in.Latency)
		if err != nil {
			problem(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("latency %q is not a duration such as 250ms: %s", in.Latency, usage))
			return
		}
		f.Latency = d
	}
	if err := f.Validate(); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", err.Error()+": "+usage)
		return
	}
	s.SetFaults(f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	f, n := s.faults, s.injected
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, faultsJSON{FailRate: f.FailRate, SlowRate: f.SlowRate, Latency: f.Latency.String(),
		LatencyMS: int(f.Latency / time.Millisecond), DropRate: f.DropRate, FailPath: f.FailPath, Injected: &n})
}
