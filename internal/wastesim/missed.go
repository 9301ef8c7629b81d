package wastesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

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

// MissedCollections returns every report received.
func (s *Server) MissedCollections() []MissedCollection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MissedCollection(nil), s.missed...)
}

// reportMissed records a missed bin against the bin's last collection, by
// the rules a waste team keeps: the bin must be at the property and due
// that day (not_due), the collection no more than ReportDays ago
// (outside_window), and not reported already (already_reported).
func (s *Server) reportMissed(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UPRN       string `json:"uprn"`
		BinType    string `json:"bin_type"`
		ReportedBy string `json:"reported_by"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "the body must be JSON with uprn and bin_type")
		return
	}
	now := s.now() // read once: a report made at midnight is on one day
	today := date(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.property(in.UPRN, today)
	if !ok {
		problem(w, http.StatusNotFound, "property_not_found", "no property has that UPRN")
		return
	}
	bin, ok := findBin(p, in.BinType)
	if !ok {
		problem(w, http.StatusUnprocessableEntity, "bin_not_at_property", fmt.Sprintf("%s has no %s bin", p.Address, in.BinType))
		return
	}
	last, _ := time.Parse(time.DateOnly, bin.LastCollection)
	switch {
	case !bin.Subscribed:
		problem(w, http.StatusUnprocessableEntity, "not_due", fmt.Sprintf("%s was not due a collection: there is no garden waste subscription", p.Address))
		return
	case bin.SubscribedSince > bin.LastCollection:
		problem(w, http.StatusUnprocessableEntity, "not_due",
			fmt.Sprintf("%s has not been collected yet: the garden waste subscription started on %s and the first collection is on %s", p.Address, bin.SubscribedSince, bin.NextCollection))
		return
	case daysBetween(last, today) > ReportDays:
		problem(w, http.StatusUnprocessableEntity, "outside_window",
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
