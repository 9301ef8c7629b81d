package wastesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const (
	// MaxBulkyItems is how many items one bulky-waste booking may take.
	MaxBulkyItems = 5
	// bulkySlotsOffered is how many slots GET /api/bulky-waste/slots lists.
	bulkySlotsOffered = 10
	// bulkyHorizon is how many days ahead a slot may be booked.
	bulkyHorizon = 90
)

// Slot is a day bulky waste is collected, with the bookings it still takes.
type Slot struct {
	ID        string `json:"id"`
	Date      string `json:"date"`
	Label     string `json:"label"`
	Remaining int    `json:"remaining"`
}

// Reservation is a bulky-waste booking. It holds a place in its slot while
// "reserved" (until ExpiresAt) or "confirmed"; once "lapsed" or
// "cancelled" the place is free again.
type Reservation struct {
	ID         string   `json:"id"`
	UPRN       string   `json:"uprn"`
	SlotID     string   `json:"slot_id"`
	Date       string   `json:"date"`
	Items      []string `json:"items"`
	Status     string   `json:"status"`
	PricePence int      `json:"price_pence"`
	// ExpiresAt is when a reservation not yet confirmed lapses.
	ExpiresAt  string `json:"expires_at"`
	PaymentRef string `json:"payment_ref,omitempty"`
	ReservedAt string `json:"reserved_at"`
}

// HoldsPlace says whether the reservation takes a place in its slot:
// reserved (not yet lapsed) or confirmed.
func (r Reservation) HoldsPlace() bool { return r.Status == "reserved" || r.Status == "confirmed" }

// bulkyPrice is £20 for up to three items and £5 for each one more.
func bulkyPrice(items int) int {
	return 2000 + 500*max(0, items-3)
}

// Reservations returns every bulky-waste reservation, those past their
// time already lapsed.
func (s *Server) Reservations() []Reservation {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse(now)
	out := make([]Reservation, len(s.bulky))
	for i, r := range s.bulky {
		r.Items = append([]string(nil), r.Items...)
		out[i] = r
	}
	return out
}

// lapse marks reservations not confirmed in time as lapsed. s.mu must be held.
func (s *Server) lapse(now time.Time) {
	for i, r := range s.bulky {
		if r.Status != "reserved" {
			continue
		}
		if exp, _ := time.Parse(time.RFC3339Nano, r.ExpiresAt); !now.Before(exp) {
			s.bulky[i].Status = "lapsed"
		}
	}
}

// taken counts the places held on a day. s.mu must be held.
func (s *Server) taken(day string) int {
	n := 0
	for _, r := range s.bulky {
		if r.Date == day && r.HoldsPlace() {
			n++
		}
	}
	return n
}

// slot is the slot on day, if day is a weekday from tomorrow within the
// horizon. s.mu must be held.
func (s *Server) slot(day time.Time, today time.Time) (Slot, bool) {
	ahead := daysBetween(today, day)
	if ahead < 1 || ahead > bulkyHorizon || day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		return Slot{}, false
	}
	id := day.Format(time.DateOnly)
	return Slot{ID: id, Date: id, Label: day.Format("Monday 2 January 2006"), Remaining: s.opts.BulkyCapacity - s.taken(id)}, true
}

func (s *Server) listSlots(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	today := date(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if uprn := r.URL.Query().Get("uprn"); uprn != "" {
		if _, ok := s.props[uprn]; !ok {
			problem(w, http.StatusNotFound, "unknown_property", "no property has that UPRN")
			return
		}
	}
	s.lapse(now)
	slots := []Slot{}
	for d := 1; d <= bulkyHorizon && len(slots) < bulkySlotsOffered; d++ {
		if sl, ok := s.slot(today.AddDate(0, 0, d), today); ok && sl.Remaining > 0 {
			slots = append(slots, sl)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"slots": slots})
}

func (s *Server) reserve(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UPRN   text `json:"uprn"`
		SlotID text `json:"slot_id"`
		Items  list `json:"items"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "the body must be JSON with uprn, slot_id and items")
		return
	}
	now := s.now()
	today := date(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse(now)
	if _, ok := s.props[string(in.UPRN)]; !ok {
		problem(w, http.StatusNotFound, "unknown_property", "no property has that UPRN")
		return
	}
	switch n := len(in.Items); {
	case n == 0:
		problem(w, http.StatusUnprocessableEntity, "no_items", "say which items are to be collected")
		return
	case n > MaxBulkyItems:
		problem(w, http.StatusUnprocessableEntity, "too_many_items", fmt.Sprintf("a collection takes at most %d items, not %d", MaxBulkyItems, n))
		return
	}
	day, err := time.Parse(time.DateOnly, string(in.SlotID))
	sl, ok := s.slot(day, today)
	if err != nil || !ok {
		problem(w, http.StatusUnprocessableEntity, "unknown_slot", fmt.Sprintf("%q is not a collection slot: choose one of the slots offered", string(in.SlotID)))
		return
	}
	if sl.Remaining <= 0 {
		problem(w, http.StatusConflict, "slot_full", fmt.Sprintf("%s is fully booked: choose another slot", sl.Label))
		return
	}
	items := make([]string, len(in.Items))
	for i, it := range in.Items {
		items[i] = strings.ToLower(it)
	}
	res := Reservation{
		ID: fmt.Sprintf("BW-%06d", len(s.bulky)+1), UPRN: string(in.UPRN), SlotID: sl.ID, Date: sl.Date,
		Items: items, Status: "reserved", PricePence: bulkyPrice(len(items)),
		ExpiresAt:  now.Add(s.opts.ReservationTTL).UTC().Format(time.RFC3339),
		ReservedAt: now.UTC().Format(time.RFC3339),
	}
	s.bulky = append(s.bulky, res)
	writeJSON(w, http.StatusCreated, res)
}

// reservation finds a reservation by id. s.mu must be held.
func (s *Server) reservation(id string) (*Reservation, bool) {
	for i := range s.bulky {
		if s.bulky[i].ID == id {
			return &s.bulky[i], true
		}
	}
	return nil, false
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PaymentRef text `json:"payment_ref"`
	}
	if err := decodeOptional(r, &in); err != nil {
		problem(w, http.StatusBadRequest, "bad_request", "the body must be JSON with payment_ref")
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse(now)
	res, ok := s.reservation(r.PathValue("id"))
	switch {
	case !ok:
		problem(w, http.StatusNotFound, "not_found", "no bulky-waste reservation has that id")
		return
	case res.Status == "lapsed":
		problem(w, http.StatusConflict, "lapsed", fmt.Sprintf("reservation %s lapsed at %s before it was confirmed: book again", res.ID, res.ExpiresAt))
		return
	case res.Status == "cancelled":
		problem(w, http.StatusConflict, "cancelled", fmt.Sprintf("reservation %s was cancelled", res.ID))
		return
	case res.Status == "reserved":
		res.Status = "confirmed"
		res.PaymentRef = string(in.PaymentRef)
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lapse(now)
	res, ok := s.reservation(r.PathValue("id"))
	if !ok {
		problem(w, http.StatusNotFound, "not_found", "no bulky-waste reservation has that id")
		return
	}
	res.Status = "cancelled"
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listReservations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"reservations": s.Reservations()})
}

// decodeOptional decodes a JSON body into v; an empty body leaves v as it is.
func decodeOptional(r *http.Request, v any) error {
	err := json.NewDecoder(r.Body).Decode(v)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
