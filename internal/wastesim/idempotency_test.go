package wastesim_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/larder-council/larder/internal/wastesim"
)

// TestEveryWriteHonoursIdempotencyKey repeats each write with its key, as
// a retried call does: the repeat gets the first reply, marked replayed,
// and the system's records are as after the first.
func TestEveryWriteHonoursIdempotencyKey(t *testing.T) {
	type records struct{ missed, bulky, garden int }
	count := func(s *wastesim.Server) records {
		return records{len(s.MissedCollections()), len(s.Reservations()), len(s.Subscriptions())}
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, srv *httptest.Server)
		path  string
		body  string
		// state reads what a second run of the write would change.
		state func(s *wastesim.Server) any
	}{
		{name: "report a missed bin", path: "/api/missed-collections", body: `{"uprn":"` + orchard1 + `","bin_type":"general"}`},
		{name: "reserve bulky waste", path: "/api/bulky-waste/reservations", body: `{"uprn":"` + orchard1 + `","slot_id":"2025-03-06","items":["sofa"]}`},
		{
			name: "confirm a reservation", setup: reserveOne, path: "/api/bulky-waste/reservations/BW-000001/confirm", body: `{"payment_ref":"PAY-1"}`,
			state: func(s *wastesim.Server) any { return s.Reservations()[0].PaymentRef },
		},
		{
			name: "cancel a reservation", setup: reserveOne, path: "/api/bulky-waste/reservations/BW-000001/cancel",
			state: func(s *wastesim.Server) any { return s.Reservations()[0].Status },
		},
		{name: "subscribe to garden waste", path: "/api/garden-waste/subscriptions", body: `{"uprn":"` + orchard1 + `","bins":1}`},
		{
			name: "renew a subscription", setup: subscribeOne, path: "/api/garden-waste/subscriptions/GW-000001/renew", body: `{"payment_ref":"PAY-2"}`,
			state: func(s *wastesim.Server) any { return s.Subscriptions()[0].Ends },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, srv := simWith(t, now, wastesim.Options{})
			if tc.setup != nil {
				tc.setup(t, srv)
			}
			first := post(t, srv, tc.path, "REF-1/step", tc.body)
			if first.status >= 300 || first.replayed {
				t.Fatalf("first: %d %s (replayed %v)", first.status, first.raw, first.replayed)
			}
			before := count(s)
			var state any
			if tc.state != nil {
				state = tc.state(s)
			}
			again := post(t, srv, tc.path, "REF-1/step", tc.body)
			if again.status != first.status || string(again.raw) != string(first.raw) || !again.replayed {
				t.Errorf("repeat: %d %s (replayed %v), want the first reply %d %s marked Idempotent-Replayed", again.status, again.raw, again.replayed, first.status, first.raw)
			}
			if after := count(s); after != before {
				t.Errorf("records after the repeat %+v, want %+v", after, before)
			}
			if tc.state != nil {
				if got := tc.state(s); got != state {
					t.Errorf("the repeat changed the record: %v, want %v", got, state)
				}
			}
		})
	}
}

// TestRepeatedRefusalIsReplayed: the same request meets the same answer,
// even once the reason for the refusal has gone.
func TestRepeatedRefusalIsReplayed(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{BulkyCapacity: 1})
	reserveOne(t, srv)
	body := `{"uprn":"` + orchard2 + `","slot_id":"2025-03-06","items":["sofa"]}`
	if rep, _ := reserve(t, srv, "REF-2/reserve", body); rep.problem.Code != "slot_full" {
		t.Fatalf("first: %d %s, want slot_full", rep.status, rep.raw)
	}
	post(t, srv, "/api/bulky-waste/reservations/BW-000001/cancel", "", "")
	if rep, _ := reserve(t, srv, "REF-2/reserve", body); rep.problem.Code != "slot_full" || !rep.replayed {
		t.Errorf("repeat: %d %s, want the first slot_full replayed", rep.status, rep.raw)
	}
	if rep, _ := reserve(t, srv, "REF-3/reserve", body); rep.status != 201 {
		t.Errorf("a new key: %d %s, want 201 now the place is free", rep.status, rep.raw)
	}
}

func reserveOne(t *testing.T, srv *httptest.Server) {
	t.Helper()
	if rep, _ := reserve(t, srv, "", `{"uprn":"`+orchard1+`","slot_id":"2025-03-06","items":["sofa"]}`); rep.status != 201 {
		t.Fatalf("reserve: %d %s", rep.status, rep.raw)
	}
}

func subscribeOne(t *testing.T, srv *httptest.Server) {
	t.Helper()
	if rep := post(t, srv, "/api/garden-waste/subscriptions", "", `{"uprn":"`+orchard1+`","bins":1}`); rep.status != 201 {
		var p json.RawMessage = rep.raw
		t.Fatalf("subscribe: %d %s", rep.status, p)
	}
}
