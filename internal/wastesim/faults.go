package wastesim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Faults make the simulator misbehave like a real back-office system.
type Faults struct {
	// FailRate is the share of API requests answered 503, from 0 to 1.
	FailRate float64 `json:"fail_rate"`
	// Latency delays every API request.
	Latency time.Duration `json:"latency"`
	// FailPath, when set, limits the failures to requests whose path
	// starts with it: "/api/properties/" fails looking a property up but
	// not the postcode search a form offers addresses from.
	FailPath string `json:"fail_path,omitempty"`
}

// faulty wraps an API handler with the injected latency and failures; a
// write (POST) goes through write, so it honours Idempotency-Key.
func (s *Server) faulty(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		fail := f.FailRate > 0 && strings.HasPrefix(r.URL.Path, f.FailPath) && s.rand.Float64() < f.FailRate
		s.mu.Unlock()
		if f.Latency > 0 {
			select {
			case <-time.After(f.Latency):
			case <-r.Context().Done():
				return
			}
		}
		if fail {
			problem(w, http.StatusServiceUnavailable, "unavailable", "the waste system is temporarily unavailable")
			return
		}
		if r.Method != http.MethodPost {
			h(w, r)
			return
		}
		s.write(r, h).send(w)
	}
}

// SetFaults changes the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

func (s *Server) setFaults(w http.ResponseWriter, r *http.Request) {
	var f struct {
		FailRate  float64 `json:"fail_rate"`
		LatencyMS int     `json:"latency_ms"`
		FailPath  string  `json:"fail_path"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&f); err != nil || f.FailRate < 0 || f.FailRate > 1 {
		problem(w, http.StatusBadRequest, "bad_request", "send {\"fail_rate\": 0..1, \"latency_ms\": n, \"fail_path\": \"/api/...\"}")
		return
	}
	s.SetFaults(Faults{FailRate: f.FailRate, Latency: time.Duration(f.LatencyMS) * time.Millisecond, FailPath: f.FailPath})
	w.WriteHeader(http.StatusNoContent)
}
