package wastesim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

func subscribe(t *testing.T, srv *httptest.Server, key, body string) (reply, wastesim.Subscription) {
	t.Helper()
	rep := post(t, srv, "/api/garden-waste/subscriptions", key, body)
	var sub wastesim.Subscription
	_ = json.Unmarshal(rep.raw, &sub)
	return rep, sub
}

func getSubscription(t *testing.T, srv *httptest.Server, id string) wastesim.Subscription {
	t.Helper()
	var sub wastesim.Subscription
	if resp := call(t, srv, "GET", "/api/garden-waste/subscriptions/"+id, "", "", &sub); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET subscription %s: %d", id, resp.StatusCode)
	}
	return sub
}

// TestGardenSubscriptionStartsRenewsAndLapses follows a subscription for
// two years on the simulator's clock.
func TestGardenSubscriptionStartsRenewsAndLapses(t *testing.T) {
	s, c, srv := simWith(t, now, wastesim.Options{})
	rep, sub := subscribe(t, srv, "GW-1/subscribe", `{"uprn":"`+orchard1+`","bins":2,"payment_ref":"PAY-1"}`)
	want := wastesim.Subscription{ID: sub.ID, UPRN: orchard1, Bins: 2, Starts: "2025-03-05", Ends: "2026-03-05", Status: "active", PaymentRef: "PAY-1"}
	if rep.status != http.StatusCreated || sub != want || sub.ID != "GW-000001" {
		t.Fatalf("subscribe: %d %s, want 201 %+v", rep.status, rep.raw, want)
	}
	c.Set(time.Date(2026, 3, 5, 23, 59, 0, 0, time.UTC))
	if got := getSubscription(t, srv, sub.ID); got.Status != "active" {
		t.Errorf("on its last day: %s, want active", got.Status)
	}
	c.Set(time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC))
	if got := getSubscription(t, srv, sub.ID); got.Status != "lapsed" {
		t.Errorf("the day after it ends: %s, want lapsed", got.Status)
	}
	rep = post(t, srv, "/api/garden-waste/subscriptions/"+sub.ID+"/renew", "GW-1/renew", `{"payment_ref":"PAY-2"}`)
	var renewed wastesim.Subscription
	_ = json.Unmarshal(rep.raw, &renewed)
	if rep.status != http.StatusOK || renewed.Status != "active" || renewed.Starts != "2026-03-06" || renewed.Ends != "2027-03-06" || renewed.Renewals != 1 {
		t.Errorf("renew a lapsed subscription: %d %s, want active from 2026-03-06 to 2027-03-06", rep.status, rep.raw)
	}
	rep = post(t, srv, "/api/garden-waste/subscriptions/"+sub.ID+"/renew", "GW-2/renew", `{"payment_ref":"PAY-3"}`)
	_ = json.Unmarshal(rep.raw, &renewed)
	if rep.status != http.StatusOK || renewed.Ends != "2028-03-06" || renewed.Renewals != 2 {
		t.Errorf("renew an active subscription: %d %s, want it to end a year later, 2028-03-06", rep.status, rep.raw)
	}
	if got := s.Subscriptions(); len(got) != 1 || got[0] != renewed {
		t.Errorf("recorded %+v, want the one renewed subscription", got)
	}
	var list struct{ Subscriptions []wastesim.Subscription }
	if resp := call(t, srv, "GET", "/api/garden-waste/subscriptions", "", "", &list); resp.StatusCode != 200 || len(list.Subscriptions) != 1 {
		t.Errorf("list: %d %+v", resp.StatusCode, list.Subscriptions)
	}
}

func TestGardenSubscriptionRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"already subscribed through the API", `{"uprn":"` + orchard1 + `","bins":1}`, 409, "already_subscribed"},
		{"subscribed in the demo data", `{"uprn":"` + orchard2 + `","bins":1}`, 409, "already_subscribed"},
		{"unknown property", `{"uprn":"999999999999","bins":1}`, 404, "unknown_property"},
		{"four bins", `{"uprn":"` + station1 + `","bins":"4"}`, 422, "bad_bins"},
		{"broken JSON", `{"uprn":`, 400, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, srv := simWith(t, now, wastesim.Options{})
			if rep, _ := subscribe(t, srv, "first", `{"uprn":"`+orchard1+`","bins":1}`); rep.status != 201 {
				t.Fatalf("first subscription: %d %s", rep.status, rep.raw)
			}
			rep, _ := subscribe(t, srv, "k", tc.body)
			if rep.status != tc.status || rep.problem.Code != tc.code || rep.problem.Message == "" {
				t.Errorf("%d %s, want %d %s with a message", rep.status, rep.raw, tc.status, tc.code)
			}
			if n := len(s.Subscriptions()); n != 1 {
				t.Errorf("%d subscriptions recorded, want only the first", n)
			}
		})
	}
	_, _, srv := simWith(t, now, wastesim.Options{})
	var p problem
	if resp := call(t, srv, "GET", "/api/garden-waste/subscriptions/GW-999999", "", "", &p); resp.StatusCode != 404 || p.Code != "not_found" {
		t.Errorf("GET an unknown subscription: %d %+v, want 404 not_found", resp.StatusCode, p)
	}
	if rep := post(t, srv, "/api/garden-waste/subscriptions/GW-999999/renew", "", `{}`); rep.status != 404 || rep.problem.Code != "not_found" {
		t.Errorf("renew an unknown subscription: %d %s, want 404 not_found", rep.status, rep.raw)
	}
}

// TestGardenBinDueOnceSubscribed: a new subscriber's garden bin is shown
// subscribed at once, but a miss is not_due until its first collection.
func TestGardenBinDueOnceSubscribed(t *testing.T) {
	_, c, srv := simWith(t, now, wastesim.Options{})
	subscribe(t, srv, "", `{"uprn":"`+orchard1+`","bins":1}`)
	var prop wastesim.Property
	call(t, srv, "GET", "/api/properties/"+orchard1, "", "", &prop)
	if b := prop.Bins[2]; b.Type != "garden" || !b.Subscribed || b.SubscribedSince != "2025-03-05" || b.NextCollection != "2025-03-18" {
		t.Errorf("garden bin %+v, want subscribed since 2025-03-05, next collected 2025-03-18", b)
	}
	if resp, _, p := report(t, srv, "a", orchard1, "garden"); resp.StatusCode != 422 || p.Code != "not_due" {
		t.Errorf("miss before the first collection: %d %+v, want 422 not_due", resp.StatusCode, p)
	}
	c.Set(time.Date(2025, 3, 18, 12, 0, 0, 0, time.UTC))
	if resp, m, p := report(t, srv, "b", orchard1, "garden"); resp.StatusCode != 201 || m.CollectionDate != "2025-03-18" {
		t.Errorf("miss of the first collection: %d %+v %+v, want 201 for 2025-03-18", resp.StatusCode, m, p)
	}
}
