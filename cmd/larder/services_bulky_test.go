package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// TestBulkyWasteNotPaidOnTheTestClock: with no payment within 30 minutes
// the resident is told the booking is cancelled and the reservation's undo
// gives the date back.
func TestBulkyWasteNotPaidOnTheTestClock(t *testing.T) {
	r := service(t, "bulky-waste")
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	cc := newClockCase(t, start, bulkyReplies(nil))
	res := cc.run(t, r, "BW-TEST-0001", examples(r, map[string]any{"items": []any{"sofa", "fridge"}}))
	if res.Status != workflows.StatusFailed || res.Outcome != "Booking cancelled because we did not receive payment" {
		t.Errorf("case ended %s %q, want failed for want of payment", res.Status, res.Outcome)
	}
	if ops := cc.operations(); !slices.Equal(ops, []string{"reserve_bulky", "cancel_bulky"}) {
		t.Errorf("calls %v, want the reservation and its undo", ops)
	}
	if in := cc.call(t, "cancel_bulky").Input; in["id"] != "BW-000001" {
		t.Errorf("cancel input %v, want the reservation", in)
	}
	if in := cc.call(t, "reserve_bulky").Input; in["slot_id"] != "2026-12-03" || fmt.Sprint(in["items"]) != "[sofa fridge]" {
		t.Errorf("reserve input %v, want the slot and the items", in)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.emails) != 2 {
		t.Fatalf("emails %v, want the link to pay and the cancellation", cc.sent())
	}
	pay, cancelled := cc.emails[0], cc.emails[1]
	if !strings.Contains(pay.Text, "£25.00") || !strings.Contains(pay.Text, "Tuesday 5 May 2026") || !strings.Contains(pay.Text, "reference=BW-TEST-0001") {
		t.Errorf("the email asking to pay lacks the price, the date or the link:\n%s", pay.Text)
	}
	if cancelled.Subject != "Bulky waste collection cancelled: BW-TEST-0001" || !strings.Contains(cancelled.Text, "not been charged") {
		t.Errorf("cancellation %q:\n%s", cancelled.Subject, cancelled.Text)
	}
}

// bulkyReplies answer the waste system's bulky-waste operations: a
// reservation of £25 on Tuesday 5 May 2026, confirmed by confirm (or
// refused by it, when confirm is an error), cancelled by cancel.
func bulkyReplies(confirm error) map[string]func(activities.CallRequest) (map[string]any, error) {
	return map[string]func(activities.CallRequest) (map[string]any, error){
		"reserve_bulky": func(activities.CallRequest) (map[string]any, error) {
			return map[string]any{"id": "BW-000001", "date": "2026-05-05", "status": "reserved", "price_pence": 2500.0}, nil
		},
		"confirm_bulky": func(activities.CallRequest) (map[string]any, error) {
			if confirm != nil {
				return nil, confirm
			}
			return map[string]any{"id": "BW-000001", "status": "confirmed"}, nil
		},
		"cancel_bulky": func(activities.CallRequest) (map[string]any, error) {
			return map[string]any{"id": "BW-000001", "status": "cancelled"}, nil
		},
	}
}

// TestBulkyWasteDateTakenOnTheTestClock: a date taken by someone else
// between choosing and sending is refused by the waste system; the
// resident is told why and nothing is held.
func TestBulkyWasteDateTakenOnTheTestClock(t *testing.T) {
	r := service(t, "bulky-waste")
	replies := bulkyReplies(nil)
	replies["reserve_bulky"] = func(activities.CallRequest) (map[string]any, error) {
		return nil, refusal(409, "slot_full", "that collection date is fully booked")
	}
	cc := newClockCase(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), replies)
	res := cc.run(t, r, "BW-TEST-0002", examples(r, map[string]any{"items": []any{"sofa"}}))
	if res.Status != workflows.StatusCompleted || res.Outcome != "Collection not booked" {
		t.Errorf("case ended %s %q, want not booked", res.Status, res.Outcome)
	}
	if ops := cc.operations(); !slices.Equal(ops, []string{"reserve_bulky"}) {
		t.Errorf("calls %v, want only the refused reservation", ops)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if len(cc.emails) != 1 || !strings.Contains(cc.emails[0].Text, "that collection date is fully booked") {
		t.Errorf("emails %+v, want one refusal giving the reason", cc.emails)
	}
}

// TestBulkyWastePaidTooLateOnTheTestClock: a payment that comes after the
// hold lapsed cannot be confirmed; staff refund it, the resident is told,
// and the lapsed reservation is cancelled by its undo.
func TestBulkyWastePaidTooLateOnTheTestClock(t *testing.T) {
	r := service(t, "bulky-waste")
	const ref = "BW-TEST-0003"
	cc := newClockCase(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), bulkyReplies(refusal(409, "lapsed", "the reservation lapsed before it was confirmed")))
	cc.message(29*time.Minute, workflows.Message{Name: "payment", Correlation: ref, Data: map[string]any{"status": "paid", "payment_ref": "PAY-LATE"}})
	cc.env.RegisterDelayedCallback(func() {
		d := cc.detail(t)
		if len(d.Tasks) != 1 || d.Tasks[0].Queue != "waste-payments" || !strings.Contains(d.Tasks[0].Title, "PAY-LATE") || !strings.Contains(d.Tasks[0].Title, "£25.00") {
			t.Fatalf("tasks %+v, want one refund of PAY-LATE (£25.00) for waste-payments", d.Tasks)
		}
		cc.complete(t, d.Tasks[0].ID, "refunded")
	}, 2*time.Hour)

	res := cc.run(t, r, ref, examples(r, map[string]any{"items": []any{"sofa"}}))
	if res.Status != workflows.StatusFailed || res.Outcome != "Collection not booked, payment refunded" {
		t.Errorf("case ended %s %q, want not booked, refunded", res.Status, res.Outcome)
	}
	if ops := cc.operations(); !slices.Equal(ops, []string{"reserve_bulky", "confirm_bulky", "cancel_bulky"}) {
		t.Errorf("calls %v, want reserve, the refused confirmation and the undo", ops)
	}
	want := []string{
		"2026-05-01 Pay for your bulky waste collection: " + ref,
		"2026-05-01 Bulky waste collection not booked: " + ref,
	}
	if got := cc.sent(); !slices.Equal(got, want) {
		t.Errorf("emails %v, want %v", got, want)
	}
}

// offeredSlot is the first collection date the waste system offers the property.
func offeredSlot(t *testing.T, waste *wastesim.Server, uprn string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	waste.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/bulky-waste/slots?uprn="+uprn, nil))
	var out struct {
		Slots []struct{ ID string } `json:"slots"`
	}
	if err := json.NewDecoder(rec.Body).Decode(&out); err != nil || len(out.Slots) == 0 {
		t.Fatalf("no slots offered for %s: %d %v", uprn, rec.Code, err)
	}
	return out.Slots[0].ID
}

// reservationsOf lists the waste system's reservations for the property.
func reservationsOf(waste *wastesim.Server, uprn string) []wastesim.Reservation {
	var out []wastesim.Reservation
	for _, r := range waste.Reservations() {
		if r.UPRN == uprn {
			out = append(out, r)
		}
	}
	return out
}

// TestBulkyWasteEndToEnd books bulky waste collections through larder serve
// by the API, the payment provider posting to the payment hook.
func TestBulkyWasteEndToEnd(t *testing.T) {
	waste := wastesim.New(wastesim.Options{})
	base, dataDir := startLarder(t, waste)
	r := service(t, "bulky-waste")

	// book sends a booking for the property and waits until it awaits payment.
	book := func(t *testing.T, uprn string) (ref, slot string) {
		t.Helper()
		slot = offeredSlot(t, waste, uprn)
		ref = startCase(t, base, "bulky-waste", examples(r, map[string]any{"uprn": uprn, "slot": slot, "items": []string{"sofa", "washing-machine", "table", "chair"}}))
		waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return waitingFor(d, "pay") != nil })
		if got := reservationsOf(waste, uprn); len(got) != 1 || got[0].Status != "reserved" || got[0].SlotID != slot {
			t.Fatalf("while awaiting payment, reservations %+v, want one reserved on %s", got, slot)
		}
		return ref, slot
	}

	t.Run("paid, the booking is confirmed and the resident told", func(t *testing.T) {
		ref, slot := book(t, "100001000001")
		if code := postHook(t, base, "bulky-waste", "payment", ref, map[string]any{"status": "paid", "payment_ref": "PAY-BW-1"}); code != http.StatusAccepted {
			t.Fatalf("payment hook: %d", code)
		}
		view := waitForCase(t, base, ref, 30*time.Second)
		if view.Status != workflows.StatusCompleted || view.Outcome != "Collection booked" {
			t.Fatalf("case ended %s %q: %+v", view.Status, view.Outcome, view.Timeline)
		}
		got := reservationsOf(waste, "100001000001")
		if len(got) != 1 || got[0].Status != "confirmed" || got[0].PaymentRef != "PAY-BW-1" {
			t.Fatalf("reservations %+v, want one confirmed, paid by PAY-BW-1", got)
		}
		day, _ := time.Parse(time.DateOnly, slot)
		mails := lettersFor(t, dataDir, ref)
		booked := slices.ContainsFunc(mails, func(m string) bool {
			return strings.Contains(m, "Bulky waste collection booked") && strings.Contains(m, day.Format("Monday 2 January 2006")) && strings.Contains(m, "£25.00") &&
				strings.Contains(m, "We will collect: sofa, washing machine, table, chair.")
		})
		if len(mails) != 2 || !booked {
			t.Errorf("want the link to pay and a confirmation with the date and price, got %d: %v", len(mails), mails)
		}
	})

	t.Run("payment failed, the reservation is cancelled and the resident told", func(t *testing.T) {
		ref, _ := book(t, "100001000002")
		if code := postHook(t, base, "bulky-waste", "payment", ref, map[string]any{"status": "failed"}); code != http.StatusAccepted {
			t.Fatalf("payment hook: %d", code)
		}
		view := waitForCase(t, base, ref, 30*time.Second)
		if view.Status != workflows.StatusFailed || view.Outcome != "Booking cancelled because we did not receive payment" {
			t.Fatalf("case ended %s %q: %+v", view.Status, view.Outcome, view.Timeline)
		}
		if got := reservationsOf(waste, "100001000002"); len(got) != 1 || got[0].Status != "cancelled" {
			t.Fatalf("reservations %+v, want the one cancelled by the undo", got)
		}
		mails := lettersFor(t, dataDir, ref)
		told := slices.ContainsFunc(mails, func(m string) bool { return strings.Contains(m, "Bulky waste collection cancelled") })
		if len(mails) != 2 || !told {
			t.Errorf("want the link to pay and the cancellation, got %d: %v", len(mails), mails)
		}
	})

	t.Run("a date not offered is refused before a case starts", func(t *testing.T) {
		var reply map[string]any
		answers := examples(r, map[string]any{"uprn": "100001000004", "slot": "2020-01-01", "items": []string{"sofa"}})
		if code := staffCall(t, http.MethodPost, base+"/api/v1/services/bulky-waste/submissions", "", answers, &reply); code != http.StatusUnprocessableEntity {
			t.Fatalf("submit with a past date: %d %v, want 422", code, reply)
		}
		if errs, _ := reply["errors"].([]any); len(errs) != 1 || fmt.Sprint(errs[0]) != "map[field:slot message:Choose one of the dates shown]" {
			t.Errorf("errors %v, want one asking for a date shown", reply["errors"])
		}
		if got := reservationsOf(waste, "100001000004"); len(got) != 0 {
			t.Errorf("reservations %+v, want none", got)
		}
	})

	t.Run("more than 5 items is refused before a case starts", func(t *testing.T) {
		var reply map[string]any
		answers := examples(r, map[string]any{"uprn": "100001000004", "slot": offeredSlot(t, waste, "100001000004"),
			"items": []string{"sofa", "mattress", "table", "chair", "fridge", "wardrobe"}})
		if code := staffCall(t, http.MethodPost, base+"/api/v1/services/bulky-waste/submissions", "", answers, &reply); code != http.StatusUnprocessableEntity {
			t.Fatalf("submit with 6 items: %d %v, want 422", code, reply)
		}
		if errs, _ := reply["errors"].([]any); len(errs) != 1 || fmt.Sprint(errs[0]) != "map[field:items message:Select no more than 5 items]" {
			t.Errorf("errors %v, want one saying at most 5 items", reply["errors"])
		}
	})
}
