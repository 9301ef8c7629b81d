package wastesim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ReportDays is how long a miss may be reported: on the collection day and
// the days after it up to this many, counted in whole days on the clock's
// calendar, whatever the hour and across a change of the clocks.
const ReportDays = 3

// Options tune the simulator.
type Options struct {
	// Now is the simulator's clock; default time.Now. The demo data is laid
	// out from its first reading, rounds come as it moves on, and a report's
	// collection day and window follow it.
	Now func() time.Time
	// Faults are injected into API requests.
	Faults Faults
}

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

// MissedCollection is one report of a missed bin.
type MissedCollection struct {
	ID             string `json:"id"`
	UPRN           string `json:"uprn"`
	BinType        string `json:"bin_type"`
	CollectionDate string `json:"collection_date"`
	ReportedBy     string `json:"reported_by,omitempty"`
	Status         string `json:"status"`
	ReportedAt     string `json:"reported_at"`
}

// Server is the simulator; it is an http.Handler.
type Server struct {
	now    func() time.Time
	mux    *http.ServeMux
	mu     sync.Mutex
	props  map[string]house
	order  []string
	missed []MissedCollection
	byKey  map[string]int
	faults Faults
}

// New builds a simulator seeded with the demo data set.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{now: opts.Now, mux: http.NewServeMux(), props: map[string]house{}, byKey: map[string]int{}, faults: opts.Faults}
	for _, h := range seed(date(opts.Now())) {
		s.props[h.uprn] = h
		s.order = append(s.order, h.uprn)
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	s.mux.HandleFunc("GET /api/properties", s.faulty(s.findProperties))
	s.mux.HandleFunc("GET /api/properties/{uprn}", s.faulty(s.getProperty))
	s.mux.HandleFunc("POST /api/missed-collections", s.faulty(s.reportMissed))
	s.mux.HandleFunc("GET /api/missed-collections", s.listMissed)
	s.mux.HandleFunc("PUT /admin/faults", s.setFaults)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetFaults changes the injected faults.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// MissedCollections returns every report received.
func (s *Server) MissedCollections() []MissedCollection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MissedCollection(nil), s.missed...)
}

// faulty wraps an API handler with the injected latency and failures.
func (s *Server) faulty(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		s.mu.Unlock()
		if f.Latency > 0 {
			select {
			case <-time.After(f.Latency):
			case <-r.Context().Done():
				return
			}
		}
		if f.FailRate > 0 && strings.HasPrefix(r.URL.Path, f.FailPath) && rand.Float64() < f.FailRate {
			problem(w, http.StatusServiceUnavailable, "unavailable", "the waste system is temporarily unavailable")
			return
		}
		h(w, r)
	}
}

func (s *Server) findProperties(w http.ResponseWriter, r *http.Request) {
	pc := normalisePostcode(r.URL.Query().Get("postcode"))
	if pc == "" {
		problem(w, http.StatusBadRequest, "postcode_required", "give a postcode to search by")
		return
	}
	today := date(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	found := []Property{}
	for _, uprn := range s.order {
		if h := s.props[uprn]; normalisePostcode(h.postcode) == pc {
			found = append(found, h.on(today))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"properties": found})
}

func (s *Server) getProperty(w http.ResponseWriter, r *http.Request) {
	today := date(s.now())
	s.mu.Lock()
	h, ok := s.props[r.PathValue("uprn")]
	s.mu.Unlock()
	if !ok {
		problem(w, http.StatusNotFound, "property_not_found", "no property has that UPRN")
		return
	}
	writeJSON(w, http.StatusOK, h.on(today))
}

func (s *Server) reportMissed(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UPRN       string `json:"uprn"`
		BinType    string `json:"bin_type"`
		ReportedBy string `json:"reported_by"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "the body must be JSON with uprn and bin_type")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	now := s.now() // read once: a report made at midnight is on one day
	today := date(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, seen := s.byKey[key]; seen && key != "" {
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusCreated, s.missed[i])
		return
	}
	h, ok := s.props[in.UPRN]
	if !ok {
		problem(w, http.StatusNotFound, "property_not_found", "no property has that UPRN")
		return
	}
	p := h.on(today)
	bin, ok := findBin(p, in.BinType)
	switch {
	case !ok:
		problem(w, http.StatusUnprocessableEntity, "bin_not_at_property", fmt.Sprintf("%s has no %s bin", p.Address, in.BinType))
		return
	case !bin.Subscribed:
		problem(w, http.StatusUnprocessableEntity, "not_due", fmt.Sprintf("%s was not due a collection: there is no garden waste subscription", p.Address))
		return
	}
	last, _ := time.Parse(time.DateOnly, bin.LastCollection)
	if daysBetween(last, today) > ReportDays {
		problem(w, http.StatusUnprocessableEntity, "report_window_passed",
			fmt.Sprintf("the %s collection on %s was more than %d days ago, too long ago to report", bin.Name, last.Format("Monday 2 January"), ReportDays))
		return
	}
	for _, m := range s.missed {
		if m.UPRN == in.UPRN && m.BinType == in.BinType && m.CollectionDate == bin.LastCollection {
			problem(w, http.StatusConflict, "already_reported", fmt.Sprintf("a missed %s collection on %s has already been reported as %s", bin.Name, last.Format("Monday 2 January"), m.ID))
			return
		}
	}
	m := MissedCollection{
		ID:             fmt.Sprintf("MC-%06d", len(s.missed)+1),
		UPRN:           in.UPRN,
		BinType:        in.BinType,
		CollectionDate: bin.LastCollection,
		ReportedBy:     in.ReportedBy,
		Status:         "open",
		ReportedAt:     now.UTC().Format(time.RFC3339),
	}
	s.missed = append(s.missed, m)
	if key != "" {
		s.byKey[key] = len(s.missed) - 1
	}
	writeJSON(w, http.StatusCreated, m)
}

func findBin(p Property, kind string) (Bin, bool) {
	for _, b := range p.Bins {
		if b.Type == kind {
			return b, true
		}
	}
	return Bin{}, false
}

func (s *Server) listMissed(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"missed_collections": s.MissedCollections()})
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}
