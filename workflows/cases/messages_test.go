package cases_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// TestDeliver has the payment system reach a case by its reference, then
// the waste system reach it by the booking number, as hooks do.
func TestDeliver(t *testing.T) {
	r := parse(t, "garden", gardenRecipe)
	e := newEnv(t, r)
	ctx := context.Background()
	booking := "GB/" + e.cases.NewReference(r, "")[3:] // a booking number no other test uses
	ref := e.start(t, r, map[string]any{"booking": booking})
	e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 && d.Waiting[0].Step == "paid" })

	got, err := e.cases.Deliver(ctx, "garden", workflows.Message{Name: "paid", Correlation: ref})
	if err != nil || !slices.Equal(got, []string{ref}) {
		t.Fatalf("deliver by reference: %v, %v; want [%s]", got, err, ref)
	}
	e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 && d.Waiting[0].Step == "collected" })

	// Another service's hook never reaches this case.
	if got, err := e.cases.Deliver(ctx, "bulky-waste", workflows.Message{Name: "collected", Correlation: booking}); !errors.Is(err, cases.ErrNoCase) {
		t.Errorf("another service's message by the booking number: %v, %v; want ErrNoCase", got, err)
	}
	got, err = e.cases.Deliver(ctx, "garden", workflows.Message{Name: "collected", Correlation: booking, Data: map[string]any{"crew": "Crew 4"}})
	if err != nil || !slices.Equal(got, []string{ref}) {
		t.Fatalf("deliver by booking number: %v, %v; want [%s]", got, err, ref)
	}
	d := e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning })
	if d.Outcome != "Collected" || d.Vars["crew"] != "Crew 4" {
		t.Errorf("case ended %q with vars %v; want it collected by the crew the message named", d.Outcome, d.Vars)
	}
}

// TestDeliverWhenNoCaseWaits: a message for a case that has finished, that
// does not exist, or for a key no case waits on is ErrNoCase, after
// looking for VisibilityLag at most.
func TestDeliverWhenNoCaseWaits(t *testing.T) {
	r := parse(t, "bin-size", binSizeRecipe)
	e := newEnv(t, r)
	ctx := context.Background()
	closed := e.start(t, r, map[string]any{"litres": "240"})
	e.waitClosed(t, closed)
	for _, key := range []string{closed, e.cases.NewReference(r, ""), "no booking " + closed} {
		began := time.Now()
		got, err := e.cases.Deliver(ctx, "bin-size", workflows.Message{Name: "collected", Correlation: key})
		if !errors.Is(err, cases.ErrNoCase) {
			t.Errorf("deliver to %q: %v, %v; want ErrNoCase", key, got, err)
		}
		if took := time.Since(began); took > cases.VisibilityLag+5*time.Second {
			t.Errorf("deliver to %q took %s", key, took)
		}
	}

	// A caller that gives up is not kept waiting for the rest of the lag.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.cases.Deliver(gone, "bin-size", workflows.Message{Name: "collected", Correlation: "no booking"}); err == nil || errors.Is(err, cases.ErrNoCase) {
		t.Errorf("deliver on a cancelled request: %v; want the request's own error", err)
	}
}

// TestFindByKeyQuotesTheKey looks a business key up that would break out
// of the visibility query if pasted in as it is.
func TestFindByKeyQuotesTheKey(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{`x' OR LarderService IS NULL OR 'a'='a`, `back\slash`, "GB-5521"} {
		refs, err := e.cases.FindByKey(context.Background(), "garden", key)
		if err != nil || len(refs) != 0 {
			t.Errorf("FindByKey(%q) = %v, %v; want no cases and no error", key, refs, err)
		}
	}
}
