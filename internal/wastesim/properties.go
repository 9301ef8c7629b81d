package wastesim

import (
	"net/http"
	"time"
)

// property is the property with that UPRN as the system reports it today:
// its garden bin is subscribed when the demo data says so or a garden-waste
// subscription is active. s.mu must be held.
func (s *Server) property(uprn string, today time.Time) (Property, bool) {
	h, ok := s.props[uprn]
	if !ok {
		return Property{}, false
	}
	p := h.on(today)
	if sub, ok := s.activeSubscription(uprn, today); ok {
		for i := range p.Bins {
			if p.Bins[i].Type == "garden" {
				p.Bins[i].Subscribed = true
				p.Bins[i].SubscribedSince = sub.Starts
			}
		}
	}
	return p, true
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
			p, _ := s.property(uprn, today)
			found = append(found, p)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"properties": found})
}

func (s *Server) getProperty(w http.ResponseWriter, r *http.Request) {
	today := date(s.now())
	s.mu.Lock()
	p, ok := s.property(r.PathValue("uprn"), today)
	s.mu.Unlock()
	if !ok {
		problem(w, http.StatusNotFound, "property_not_found", "no property has that UPRN")
		return
	}
	writeJSON(w, http.StatusOK, p)
}
