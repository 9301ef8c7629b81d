package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// TestGardenWasteYearOnTheTestClock runs a garden-waste case through two
// years on Temporal's test clock: paid, subscribed, reminded 30 days before
// the end, a failed renewal payment that changes nothing, a paid one that
// renews, a second reminder, and no renewal, so the subscription lapses.
func TestGardenWasteYearOnTheTestClock(t *testing.T) {
	r := service(t, "garden-waste")
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	const ref = "GW-TEST-0001"
	cc := newClockCase(t, start, map[string]func(activities.CallRequest) (map[string]any, error){
		"subscribe_garden": func(activities.CallRequest) (map[string]any, error) {
			return map[string]any{"id": "GW-000001", "starts": "2026-05-01", "ends": "2027-05-01", "status": "active"}, nil
		},
		"renew_garden": func(activities.CallRequest) (map[string]any, error) {
			return map[string]any{"id": "GW-000001", "starts": "2026-05-01", "ends": "2028-05-01", "status": "active"}, nil
		},
	})
	at := func(day string) time.Duration {
		d, _ := time.Parse(time.DateOnly, day)
		return d.Add(12 * time.Hour).Sub(start)
	}
	cc.message(time.Hour, workflows.Message{Name: "payment", Correlation: ref, Data: map[string]any{"status": "paid", "payment_ref": "PAY-1"}})
	cc.message(at("2027-04-05"), workflows.Message{Name: "renewal", Correlation: ref, Data: map[string]any{"status": "failed"}})
	cc.message(at("2027-04-10"), workflows.Message{Name: "renewal", Correlation: ref, Data: map[string]any{"status": "paid", "payment_ref": "PAY-2"}})

	res := cc.run(t, r, ref, examples(r, map[string]any{"bins": "2"}))
	if res.Status != workflows.StatusCompleted || res.Outcome != "Subscription ended" {
		t.Errorf("case ended %s %q, want completed %q", res.Status, res.Outcome, "Subscription ended")
	}
	want := []string{
		"2026-05-01 Pay for your garden waste subscription: " + ref,
		"2026-05-01 Garden waste subscription started: " + ref,
		"2027-04-01 Renew your garden waste subscription: " + ref,
		"2027-04-10 Garden waste subscription renewed: " + ref,
		"2028-04-01 Renew your garden waste subscription: " + ref,
		"2028-05-01 Your garden waste subscription has ended: " + ref,
	}
	if got := cc.sent(); !slices.Equal(got, want) {
		t.Errorf("emails sent:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if ops := cc.operations(); !slices.Equal(ops, []string{"subscribe_garden", "renew_garden"}) {
		t.Errorf("calls %v, want one subscribe and one renewal", ops)
	}
	sub := cc.call(t, "subscribe_garden").Input
	if sub["uprn"] != "100001000001" || sub["payment_ref"] != "PAY-1" || fmt.Sprint(sub["bins"]) != "2" {
		t.Errorf("subscribe input %v, want the address, 2 bins and the payment", sub)
	}
	if in := cc.call(t, "renew_garden").Input; in["id"] != "GW-000001" || in["payment_ref"] != "PAY-2" {
		t.Errorf("renew input %v, want the subscription and the renewal payment", in)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, e := range cc.emails {
		if e.To != "sam@example.com" {
			t.Errorf("email %q went to %q, not the resident", e.Subject, e.To)
		}
		if strings.Contains(e.Subject, "started") && (!strings.Contains(e.Text, "£90") || !strings.Contains(e.Text, "to 1 May 2027")) {
			t.Errorf("confirmation does not give the price and the end date:\n%s", e.Text)
		}
		if strings.Contains(e.Subject, "Renew your") && !strings.Contains(e.Text, "ends on 1 May 20") {
			t.Errorf("reminder does not say when the subscription ends:\n%s", e.Text)
		}
	}
}

// TestGardenWasteNotPaidOnTheTestClock: no payment within a day starts no
// subscription, and the resident is told.
func TestGardenWasteNotPaidOnTheTestClock(t *testing.T) {
	r := service(t, "garden-waste")
	cc := newClockCase(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), nil)
	res := cc.run(t, r, "GW-TEST-0002", examples(r, nil))
	if res.Status != workflows.StatusCompleted || !strings.Contains(res.Outcome, "not started") {
		t.Errorf("case ended %s %q, want not started", res.Status, res.Outcome)
	}
	if ops := cc.operations(); len(ops) != 0 {
		t.Errorf("calls %v, want none", ops)
	}
	if got := cc.sent(); len(got) != 2 || got[1] != "2026-05-02 Garden waste subscription not started: GW-TEST-0002" {
		t.Errorf("emails %v, want the link to pay and, a day later, not started", got)
	}
}

// TestGardenWasteEndToEnd takes a subscription through larder serve by the
// API: paid by the payment provider's hook, it is active in the waste
// system, the resident has their confirmation, and the case waits for the
// renewal reminder 30 days before the subscription ends.
func TestGardenWasteEndToEnd(t *testing.T) {
	waste := wastesim.New(wastesim.Options{})
	base, dataDir := startLarder(t, waste)
	r := service(t, "garden-waste")

	ref := startCase(t, base, "garden-waste", examples(r, map[string]any{"uprn": "100001000003", "bins": "2"}))
	waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return waitingFor(d, "pay") != nil })
	if code := postHook(t, base, "garden-waste", "payment", ref, map[string]any{"status": "paid", "payment_ref": "PAY-GW-1"}); code != http.StatusAccepted {
		t.Fatalf("payment hook: %d", code)
	}
	d := waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return waitingFor(d, "until_reminder") != nil })

	var sub *wastesim.Subscription
	for _, s := range waste.Subscriptions() {
		if s.UPRN == "100001000003" {
			if sub != nil {
				t.Fatalf("two subscriptions for one case: %+v", waste.Subscriptions())
			}
			sub = &s
		}
	}
	if sub == nil || sub.Status != "active" || sub.Bins != 2 || sub.PaymentRef != "PAY-GW-1" {
		t.Fatalf("subscription %+v, want one active for 2 bins paid by PAY-GW-1", sub)
	}
	ends, err := time.Parse(time.DateOnly, sub.Ends)
	if err != nil {
		t.Fatal(err)
	}
	w := waitingFor(d, "until_reminder")
	if want := ends.Add(-30 * 24 * time.Hour); w.Until == nil || !w.Until.Equal(want) {
		t.Errorf("case waits until %v, want the reminder on %v", w.Until, want)
	}
	if d.Status != workflows.StatusRunning || d.Vars["subscription"] != sub.ID {
		t.Errorf("case %s with vars %v, want running and holding %s", d.Status, d.Vars, sub.ID)
	}

	mails := lettersFor(t, dataDir, ref)
	confirmed := slices.ContainsFunc(mails, func(m string) bool {
		return strings.Contains(m, "Garden waste subscription started") && strings.Contains(m, ends.Format("2 January 2006"))
	})
	if len(mails) != 2 || !confirmed {
		t.Errorf("want the link to pay and a confirmation naming the end date, got %d emails: %v", len(mails), mails)
	}
}
