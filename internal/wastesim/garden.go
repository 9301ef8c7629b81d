package wastesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// MaxGardenBins is how many garden bins one subscription may cover.
const MaxGardenBins = 3

// Subscription is a garden-waste subscription: a year of collections from
// Starts to Ends (inclusive), "active" until Ends has passed and "lapsed"
// after, until it is renewed.
type Subscription struct {
	ID         string `json:"id"`
	UPRN       string `json:"uprn"`
	Bins       int    `json:"bins"`
	Starts     string `json:"starts"`
	Ends       string `json:"ends"`
	Status     string `json:"status"`
	PaymentRef string `json:"payment_ref,omitempty"`
	// Renewals counts the years added after the first.
	Renewals int `json:"renewals"`
}

// at is the subscription as it stands on the day.
func (sub Subscription) at(today time.Time) Subscription {
	sub.Status = "active"
	if today.Format(time.DateOnly) > sub.Ends {
		sub.Status = "lapsed"
	}
	return sub
}

// Subscriptions returns every garden-waste subscription taken out through
// the API (not the demo data's), with its status on the simulator's clock.
func (s *Server) Subscriptions() []Subscription {
	today := date(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, len(s.garden))
	for i, sub := range s.garden {
		out[i] = sub.at(today)
	}
	return out
}

// activeSubscription is the property's active subscription taken out
// through the API, if any. s.mu must be held.
func (s *Server) activeSubscription(uprn string, today time.Time) (Subscription, bool) {
	for _, sub := range s.garden {
		if sub = sub.at(today); sub.UPRN == uprn && sub.Status == "active" {
			return sub, true
		}
	}
	return Subscription{}, false
}

// gardenSubscription finds a subscription by id. s.mu must be held.
func (s *Server) gardenSubscription(id string) (*Subscription, bool) {
	for i := range s.garden {
		if s.garden[i].ID == id {
			return &s.garden[i], true
		}
	}
	return nil, false
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UPRN       text `json:"uprn"`
		Bins       text `json:"bins"`
		PaymentRef text `json:"payment_ref"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "the body must be JSON with uprn, bins and payment_ref")
		return
	}
	bins := 1
	if in.Bins != "" {
		n, ok := in.Bins.number()
		if !ok || n < 1 || n > MaxGardenBins {
			problem(w, http.StatusUnprocessableEntity, "bad_bins", fmt.Sprintf("a subscription covers 1 to %d garden bins, not %q", MaxGardenBins, string(in.Bins)))
			return
		}
		bins = n
	}
	today := date(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.property(string(in.UPRN), today)
	if !ok {
		problem(w, http.StatusNotFound, "unknown_property", "no property has that UPRN")
		return
	}
	if garden, _ := findBin(p, "garden"); garden.Subscribed {
		problem(w, http.StatusConflict, "already_subscribed", fmt.Sprintf("%s already has an active garden waste subscription", p.Address))
		return
	}
	sub := Subscription{
		ID: fmt.Sprintf("GW-%06d", len(s.garden)+1), UPRN: p.UPRN, Bins: bins,
		Starts: today.Format(time.DateOnly), Ends: today.AddDate(1, 0, 0).Format(time.DateOnly),
		PaymentRef: string(in.PaymentRef),
	}
	s.garden = append(s.garden, sub)
	writeJSON(w, http.StatusCreated, sub.at(today))
}

// renew adds a year to a subscription: from its end while it is active,
// from today once it has lapsed.
func (s *Server) renew(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PaymentRef text `json:"payment_ref"`
	}
	if err := decodeOptional(r, &in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "the body must be JSON with payment_ref")
		return
	}
	today := date(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.gardenSubscription(r.PathValue("id"))
	if !ok {
		problem(w, http.StatusNotFound, "not_found", "no garden-waste subscription has that id")
		return
	}
	from, _ := time.Parse(time.DateOnly, sub.Ends)
	if sub.at(today).Status == "lapsed" {
		if other, ok := s.activeSubscription(sub.UPRN, today); ok {
			problem(w, http.StatusConflict, "already_subscribed", fmt.Sprintf("the property has another active subscription, %s", other.ID))
			return
		}
		from = today
		sub.Starts = today.Format(time.DateOnly)
	}
	sub.Ends = from.AddDate(1, 0, 0).Format(time.DateOnly)
	sub.Renewals++
	if in.PaymentRef != "" {
		sub.PaymentRef = string(in.PaymentRef)
	}
	writeJSON(w, http.StatusOK, sub.at(today))
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	today := date(s.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.gardenSubscription(r.PathValue("id"))
	if !ok {
		problem(w, http.StatusNotFound, "not_found", "no garden-waste subscription has that id")
		return
	}
	writeJSON(w, http.StatusOK, sub.at(today))
}

func (s *Server) listSubscriptions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": s.Subscriptions()})
}
