package wastesim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// simWith starts a simulator with opts on a clock that reads start until
// the test sets it.
func simWith(t *testing.T, start time.Time, opts wastesim.Options) (*wastesim.Server, *clock, *httptest.Server) {
	t.Helper()
	c := &clock{t: start}
	opts.Now = c.Now
	s := wastesim.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, c, srv
}

// reply is a write's answer: status, the raw JSON and the refusal in it.
type reply struct {
	status   int
	replayed bool
	raw      json.RawMessage
	problem  problem
}

func post(t *testing.T, srv *httptest.Server, path, key, body string) reply {
	t.Helper()
	var raw json.RawMessage
	resp := call(t, srv, "POST", path, key, body, &raw)
	var p problem
	_ = json.Unmarshal(raw, &p)
	return reply{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true", raw: raw, problem: p}
}

func reserve(t *testing.T, srv *httptest.Server, key, body string) (reply, wastesim.Reservation) {
	t.Helper()
	rep := post(t, srv, "/api/bulky-waste/reservations", key, body)
	var res wastesim.Reservation
	_ = json.Unmarshal(rep.raw, &res)
	return rep, res
}

func slots(t *testing.T, srv *httptest.Server, uprn string) []wastesim.Slot {
	t.Helper()
	var out struct{ Slots []wastesim.Slot }
	if resp := call(t, srv, "GET", "/api/bulky-waste/slots?uprn="+uprn, "", "", &out); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET slots: %d", resp.StatusCode)
	}
	return out.Slots
}

// TestBulkySlotsAreTheNextTenWeekdays: from Wednesday 5 March 2025, the
// slots start tomorrow, skip weekends, and a full day is not offered.
func TestBulkySlotsAreTheNextTenWeekdays(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{BulkyCapacity: 2})
	got := slots(t, srv, orchard1)
	want := []string{"2025-03-06", "2025-03-07", "2025-03-10", "2025-03-11", "2025-03-12", "2025-03-13", "2025-03-14", "2025-03-17", "2025-03-18", "2025-03-19"}
	if len(got) != len(want) {
		t.Fatalf("%d slots %+v, want %d", len(got), got, len(want))
	}
	for i, sl := range got {
		if sl.ID != want[i] || sl.Date != want[i] || sl.Remaining != 2 {
			t.Errorf("slot %d = %+v, want %s with 2 places", i, sl, want[i])
		}
	}
	if got[0].Label != "Thursday 6 March 2025" {
		t.Errorf("label %q, want Thursday 6 March 2025", got[0].Label)
	}
	for _, key := range []string{"a", "b"} {
		if rep, _ := reserve(t, srv, key, `{"uprn":"`+orchard1+`","slot_id":"2025-03-06","items":["sofa"]}`); rep.status != http.StatusCreated {
			t.Fatalf("reserve: %d %s", rep.status, rep.raw)
		}
	}
	got = slots(t, srv, orchard1)
	if got[0].ID != "2025-03-07" || got[len(got)-1].ID != "2025-03-20" || len(got) != 10 {
		t.Errorf("with 6 March full the slots are %+v, want 7 to 20 March", got)
	}
	var p problem
	if resp := call(t, srv, "GET", "/api/bulky-waste/slots?uprn=999999999999", "", "", &p); resp.StatusCode != http.StatusNotFound || p.Code != "unknown_property" {
		t.Errorf("slots for an unknown property: %d %+v, want 404 unknown_property", resp.StatusCode, p)
	}
}

func TestReserveBulkyWaste(t *testing.T) {
	s, _, srv := simWith(t, now, wastesim.Options{})
	for _, items := range []string{`["Sofa","fridge"]`, `"sofa, fridge"`} {
		rep, res := reserve(t, srv, "", `{"uprn":"`+orchard1+`","slot_id":"2025-03-07","items":`+items+`}`)
		if rep.status != http.StatusCreated {
			t.Fatalf("items %s: %d %s", items, rep.status, rep.raw)
		}
		if res.UPRN != orchard1 || res.SlotID != "2025-03-07" || res.Date != "2025-03-07" || strings.Join(res.Items, ",") != "sofa,fridge" ||
			res.Status != "reserved" || res.PricePence != 2000 || res.ExpiresAt != "2025-03-05T10:30:00Z" || !strings.HasPrefix(res.ID, "BW-") {
			t.Errorf("items %s: reservation %+v", items, res)
		}
	}
	if rep, res := reserve(t, srv, "", `{"uprn":"`+orchard1+`","slot_id":"2025-03-07","items":"sofa,fridge,table,chair,wardrobe"}`); rep.status != 201 || res.PricePence != 3000 {
		t.Errorf("five items: %d price %d, want 201 and 3000 pence", rep.status, res.PricePence)
	}
	if n := len(s.Reservations()); n != 3 {
		t.Errorf("%d reservations recorded, want 3", n)
	}
}

func TestReserveBulkyWasteRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"full slot", `{"uprn":"` + orchard1 + `","slot_id":"2025-03-06","items":["sofa"]}`, 409, "slot_full"},
		{"a Saturday", `{"uprn":"` + orchard1 + `","slot_id":"2025-03-08","items":["sofa"]}`, 422, "unknown_slot"},
		{"today", `{"uprn":"` + orchard1 + `","slot_id":"2025-03-05","items":["sofa"]}`, 422, "unknown_slot"},
		{"not a date", `{"uprn":"` + orchard1 + `","slot_id":"soon","items":["sofa"]}`, 422, "unknown_slot"},
		{"unknown property", `{"uprn":"999999999999","slot_id":"2025-03-07","items":["sofa"]}`, 404, "unknown_property"},
		{"six items", `{"uprn":"` + orchard1 + `","slot_id":"2025-03-07","items":"sofa,fridge,table,chair,wardrobe,mattress"}`, 422, "too_many_items"},
		{"no items", `{"uprn":"` + orchard1 + `","slot_id":"2025-03-07","items":[]}`, 422, "no_items"},
		{"broken JSON", `{"uprn":`, 400, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, srv := simWith(t, now, wastesim.Options{BulkyCapacity: 1})
			if rep, _ := reserve(t, srv, "first", `{"uprn":"`+orchard2+`","slot_id":"2025-03-06","items":["sofa"]}`); rep.status != 201 {
				t.Fatalf("first reservation: %d %s", rep.status, rep.raw)
			}
			rep, _ := reserve(t, srv, "k", tc.body)
			if rep.status != tc.status || rep.problem.Code != tc.code || rep.problem.Message == "" {
				t.Errorf("%d %s, want %d %s with a message", rep.status, rep.raw, tc.status, tc.code)
			}
			if n := len(s.Reservations()); n != 1 {
				t.Errorf("%d reservations recorded, want only the first", n)
			}
		})
	}
}

// TestReservationLapses: a reservation not confirmed within the TTL lapses
// and frees its place; it cannot be confirmed then, but cancels fine.
func TestReservationLapses(t *testing.T) {
	s, c, srv := simWith(t, now, wastesim.Options{BulkyCapacity: 1, ReservationTTL: 15 * time.Minute})
	_, res := reserve(t, srv, "", `{"uprn":"`+orchard1+`","slot_id":"2025-03-06","items":["sofa"]}`)
	c.Set(now.Add(15*time.Minute - time.Second))
	if got := s.Reservations()[0].Status; got != "reserved" {
		t.Errorf("a second before the TTL: %s, want reserved", got)
	}
	if sl := slots(t, srv, orchard1); sl[0].ID != "2025-03-07" {
		t.Errorf("6 March offered while its only place is reserved: %+v", sl[0])
	}
	c.Set(now.Add(15 * time.Minute))
	if got := s.Reservations()[0].Status; got != "lapsed" {
		t.Errorf("at the TTL: %s, want lapsed", got)
	}
	if sl := slots(t, srv, orchard1); sl[0].ID != "2025-03-06" || sl[0].Remaining != 1 {
		t.Errorf("after the lapse the first slot is %+v, want 6 March with its place free", sl[0])
	}
	if rep := post(t, srv, "/api/bulky-waste/reservations/"+res.ID+"/confirm", "", `{"payment_ref":"PAY-1"}`); rep.status != http.StatusConflict || rep.problem.Code != "lapsed" {
		t.Errorf("confirm a lapsed reservation: %d %s, want 409 lapsed", rep.status, rep.raw)
	}
	if rep := post(t, srv, "/api/bulky-waste/reservations/"+res.ID+"/cancel", "", ""); rep.status != http.StatusOK || !strings.Contains(string(rep.raw), `"status":"cancelled"`) {
		t.Errorf("cancel a lapsed reservation: %d %s, want 200 cancelled", rep.status, rep.raw)
	}
}

func TestConfirmAndCancelReservation(t *testing.T) {
	s, _, srv := simWith(t, now, wastesim.Options{BulkyCapacity: 1})
	_, res := reserve(t, srv, "", `{"uprn":"`+orchard1+`","slot_id":"2025-03-06","items":["sofa"]}`)
	confirm := "/api/bulky-waste/reservations/" + res.ID + "/confirm"
	cancel := "/api/bulky-waste/reservations/" + res.ID + "/cancel"
	first := post(t, srv, confirm, "", `{"payment_ref":"PAY-1"}`)
	again := post(t, srv, confirm, "", `{"payment_ref":"PAY-1"}`)
	if first.status != 200 || again.status != 200 || string(first.raw) != string(again.raw) || !strings.Contains(string(first.raw), `"status":"confirmed"`) {
		t.Errorf("confirm twice: %d %s then %d %s, want the same confirmed reply", first.status, first.raw, again.status, again.raw)
	}
	if got := s.Reservations()[0]; got.Status != "confirmed" || got.PaymentRef != "PAY-1" {
		t.Errorf("recorded %+v, want confirmed with PAY-1", got)
	}
	for range 2 {
		if rep := post(t, srv, cancel, "", ""); rep.status != 200 || !strings.Contains(string(rep.raw), `"status":"cancelled"`) {
			t.Errorf("cancel: %d %s, want 200 cancelled", rep.status, rep.raw)
		}
	}
	if rep := post(t, srv, confirm, "", `{"payment_ref":"PAY-1"}`); rep.status != http.StatusConflict || rep.problem.Code != "cancelled" {
		t.Errorf("confirm a cancelled reservation: %d %s, want 409 cancelled", rep.status, rep.raw)
	}
	if sl := slots(t, srv, orchard1); sl[0].ID != "2025-03-06" || sl[0].Remaining != 1 {
		t.Errorf("after the cancel the first slot is %+v, want 6 March with its place free", sl[0])
	}
	for _, path := range []string{"/api/bulky-waste/reservations/BW-999999/confirm", "/api/bulky-waste/reservations/BW-999999/cancel"} {
		if rep := post(t, srv, path, "", `{}`); rep.status != http.StatusNotFound || rep.problem.Code != "not_found" {
			t.Errorf("%s: %d %s, want 404 not_found", path, rep.status, rep.raw)
		}
	}
	var list struct{ Reservations []wastesim.Reservation }
	if resp := call(t, srv, "GET", "/api/bulky-waste/reservations", "", "", &list); resp.StatusCode != 200 || len(list.Reservations) != 1 || list.Reservations[0].Status != "cancelled" {
		t.Errorf("list: %d %+v, want the one cancelled reservation", resp.StatusCode, list.Reservations)
	}
}
