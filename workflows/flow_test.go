package workflows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows"
)

func TestDecideStepTakesFirstBranchThatHolds(t *testing.T) {
	for _, tc := range []struct {
		count, concession, outcome string
	}{
		{"9", "yes", "Free collection"},
		{"9", "no", "Large collection"},
		{"6", "no", "Large collection"},
		{"5", "no", "Standard collection"},
	} {
		t.Run(tc.count+"_"+tc.concession, func(t *testing.T) {
			sc := newStepCase(t)
			sc.run(t, "step-decide", map[string]any{"item_count": tc.count, "concession": tc.concession})
			sc.completed(t, tc.outcome)
			sc.env.AssertExpectations(t)
		})
	}
}

func TestParallelStepRunsBranchesAndJoins(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", map[string]any{"id": "BK-1"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "notify_crew" && req.Input["booking"] == "BK-1"
	}), map[string]any{}, nil).Once()
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once().After(2 * time.Hour)
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "close_request" && req.Input["booking"] == "BK-1" && req.Input["vehicle"] == "VAN-7"
	}), map[string]any{}, nil).Once()
	sc.env.RegisterDelayedCallback(func() {
		if got := sc.view(t).CurrentSteps; !slices.Equal(got, []string{"arrange", "crew", "vehicle"}) {
			t.Errorf("current steps at 1h = %v, want [arrange crew vehicle]", got)
		}
	}, time.Hour)

	sc.run(t, "step-parallel", nil)

	sc.completed(t, "Collection arranged")
	ops := sc.operations()
	if len(ops) != 4 || ops[3] != "close_request" {
		t.Errorf("operations = %v, want close_request once, after both branches", ops)
	}
	if got := sc.at[len(sc.at)-1]; got.Before(started.Add(2 * time.Hour)) {
		t.Errorf("close_request at %v, before the slow branch finished", got)
	}
	if len(sc.emails) != 1 || sc.emails[0].Key != stepRef+"/confirm" {
		t.Errorf("emails = %+v, want the confirmation once", sc.emails)
	}
	if got := sc.view(t).CurrentSteps; len(got) != 0 {
		t.Errorf("current steps after the end = %v", got)
	}
	sc.env.AssertExpectations(t)
}

// listensOn expects the case to add exactly these correlation keys while
// it waits, and to take them off again when the wait is over.
func (sc *stepCase) listensOn(keys ...string) {
	sc.env.OnUpsertTypedSearchAttributes(mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		got, ok := sa.GetKeywordList(workflows.CorrelationKeys)
		return ok && slices.Equal(got, keys)
	})).Return(nil).Once()
	sc.env.OnUpsertTypedSearchAttributes(mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		_, set := sa.GetKeywordList(workflows.CorrelationKeys)
		return !set && sa.Size() == 0 // the key, unset
	})).Return(nil).Once()
	// The queues the case has had tasks in are listed too.
	sc.env.OnUpsertTypedSearchAttributes(mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		_, set := sa.GetKeywordList(workflows.QueuesKey)
		return set && sa.Size() == 1
	})).Return(nil).Maybe()
}

// collectionDay is 07:00 on the example collection date.
var collectionDay = time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)

// eventAt is when the timeline says the step finished.
func eventAt(t *testing.T, v workflows.CaseView, step string) time.Time {
	t.Helper()
	for _, e := range v.Timeline {
		if e.Step == step {
			return e.At
		}
	}
	t.Fatalf("no timeline event for %s: %+v", step, v.Timeline)
	return time.Time{}
}

func TestWaitStepTimersRunOut(t *testing.T) {
	sc := newStepCase(t)
	sc.listensOn("BK-1001")
	sc.env.RegisterDelayedCallback(func() {
		w := sc.detail(t).Waiting
		if len(w) != 1 || w[0].Step != "cooling_off" || w[0].Until == nil || !w[0].Until.Equal(started.Add(time.Hour)) {
			t.Errorf("waiting = %+v, want cooling_off until %v", w, started.Add(time.Hour))
		}
	}, 30*time.Minute)
	sc.env.RegisterDelayedCallback(func() {
		w := sc.detail(t).Waiting
		if len(w) != 1 || w[0].Step != "collection_day" || w[0].Until == nil || !w[0].Until.Equal(collectionDay) {
			t.Errorf("waiting = %+v, want collection_day until %v", w, collectionDay)
		}
	}, 24*time.Hour)

	sc.run(t, "step-wait", nil)

	sc.completed(t, "Collection missed")
	d := sc.detail(t)
	for _, id := range []string{"cooling_off", "collection_day", "collected"} {
		if got := stepResult(t, d, id)["timed_out"]; got != true {
			t.Errorf("steps.%s.timed_out = %v, want true", id, got)
		}
	}
	for step, want := range map[string]time.Time{
		"cooling_off":    started.Add(time.Hour),
		"collection_day": collectionDay,
		"collected":      collectionDay.Add(72 * time.Hour),
	} {
		if got := eventAt(t, d.CaseView, step); !got.Equal(want) {
			t.Errorf("%s finished at %v, want %v", step, got, want)
		}
	}
	if len(d.Waiting) != 0 {
		t.Errorf("still waiting on %+v after the end", d.Waiting)
	}
	sc.env.AssertExpectations(t)
}

func TestWaitStepMessageRoutesToOnMessage(t *testing.T) {
	sc := newStepCase(t)
	sc.listensOn("BK-1001")
	sc.env.RegisterDelayedCallback(func() {
		w := sc.detail(t).Waiting
		if len(w) != 1 || w[0].Message != "collected" || w[0].Correlation != "BK-1001" {
			t.Errorf("waiting = %+v, want the collected message for BK-1001", w)
		}
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-9999", Data: map[string]any{"crew": "wrong"}})
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "missed", Correlation: "BK-1001"})
	}, collectionDay.Add(time.Hour).Sub(started))
	sc.env.RegisterDelayedCallback(func() {
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-1001", Data: map[string]any{"crew": "North 2"}})
	}, collectionDay.Add(2*time.Hour).Sub(started))

	sc.run(t, "step-wait", nil)

	sc.completed(t, "Items collected")
	d := sc.detail(t)
	res := stepResult(t, d, "collected")
	if msg, _ := res["message"].(map[string]any); res["timed_out"] != false || msg["crew"] != "North 2" {
		t.Errorf("steps.collected = %v, want the message from crew North 2", res)
	}
	if got := eventAt(t, d.CaseView, "collected"); !got.Equal(collectionDay.Add(2 * time.Hour)) {
		t.Errorf("message heard at %v, want when it arrived", got)
	}
	sc.env.AssertExpectations(t)
}

func TestWaitStepKeepsMessageThatCameEarly(t *testing.T) {
	sc := newStepCase(t)
	sc.listensOn("BK-1001")
	sc.env.RegisterDelayedCallback(func() {
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-1001"})
	}, 10*time.Minute)

	sc.run(t, "step-wait", nil)

	sc.completed(t, "Items collected")
	if got := eventAt(t, sc.view(t), "collected"); !got.Equal(collectionDay) {
		t.Errorf("message taken at %v, want as soon as the wait began at %v", got, collectionDay)
	}
	sc.env.AssertExpectations(t)
}

func TestSetStepAssignsVars(t *testing.T) {
	sc := newStepCase(t)

	sc.run(t, "step-set", nil)

	sc.completed(t, "Priced")
	want := map[string]any{"base_fee": float64(30), "extra": float64(16), "fee": float64(46), "summary": "5 items for £46"}
	d := sc.detail(t)
	for k, v := range want {
		if d.Vars[k] != v {
			t.Errorf("vars.%s = %#v, want %#v", k, d.Vars[k], v)
		}
	}
	var res workflows.CaseResult
	_ = sc.env.GetWorkflowResult(&res)
	if res.Vars["fee"] != float64(46) {
		t.Errorf("result vars = %v, want fee 46", res.Vars)
	}
	sc.env.AssertExpectations(t)
}

func TestSubrecipeRunsChildCase(t *testing.T) {
	sc := newStepCase(t)
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "take_payment" && req.Input["amount"] == float64(46) &&
			req.Input["email"] == "sam@example.com" && req.IdempotencyKey == stepRef+".payment/pay"
	}), map[string]any{"payment_id": "PAY-1"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "book_collection" && req.Input["payment"] == "PAY-1" && req.Input["paid"] == "Paid"
	}), map[string]any{"id": "BK-1"}, nil).Once()

	sc.run(t, "step-subrecipe", nil)

	sc.completed(t, "Collection booked")
	res := stepResult(t, sc.detail(t), "payment")
	if res["status"] != workflows.StatusCompleted || res["outcome"] != "Paid" {
		t.Errorf("steps.payment = %v, want completed with outcome Paid", res)
	}
	sc.env.AssertExpectations(t)
}

func TestSubrecipeChildFailureTakesOnError(t *testing.T) {
	sc := newStepCase(t)
	sc.on("take_payment", nil, refused("card_declined", "card declined")).Once()
	sc.on("book_collection", nil, nil).Never()

	sc.run(t, "step-subrecipe", nil)

	sc.completed(t, "Not booked: payment not taken")
	res := stepResult(t, sc.detail(t), "payment")
	if res["status"] != workflows.StatusFailed || res["outcome"] != "Payment declined" {
		t.Errorf("steps.payment = %v, want failed with the child's outcome", res)
	}
	sc.env.AssertExpectations(t)
}

// label(form.x) in a case gives the words of the option the resident
// chose, as it does on the confirmation page.
func TestCaseExpressionsGiveAnAnswersLabel(t *testing.T) {
	sc := newStepCase(t)
	sc.runRecipe(t, `id: labels
version: "1"
title: Report a missed bin collection
reference_prefix: LB
form:
  pages:
    - id: bin
      title: Which bin?
      fields:
        - id: bin_type
          type: radios
          label: Which bin was not collected?
          options:
            - { value: general, label: General waste (black bin) }
            - { value: food, label: Food waste (caddy) }
          example: general
steps:
  - id: words
    set:
      bin: "{{ label(form.bin_type) }}"
    next: done
  - id: done
    end:
      outcome: Reported
`, map[string]any{"bin_type": "food"})
	sc.completed(t, "Reported")
	if got := sc.detail(t).Vars["bin"]; got != "Food waste (caddy)" {
		t.Errorf("label(form.bin_type) = %#v, want the option's words", got)
	}
}
