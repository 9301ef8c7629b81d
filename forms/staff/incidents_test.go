package staff_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
)

// failing submits a vehicle notice while the highways system is down and
// waits for its incident.
func failing(t *testing.T, o *backOffice) (string, *workflows.Incident) {
	t.Helper()
	o.LOB.down.Store(true)
	ref := o.submit(t, "notice", map[string]any{"street": "Mill Lane"})
	d := o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	return ref, d.Incidents[0]
}

// TestIncidentResolvedThroughTheStaffAPI makes a connector fail past its
// retries, then has staff see the incident and skip the call with a value.
func TestIncidentResolvedThroughTheStaffAPI(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	if inc.Step != "log" || !strings.Contains(inc.Error, "highways system is down") || o.LOB.vehicles.Load() != 2 {
		t.Fatalf("incident %+v after %d calls, want one at log naming the outage after 2 attempts", inc, o.LOB.vehicles.Load())
	}
	path := "/incidents/" + inc.ID + "/resolve"
	var refused problem
	if code := o.postCase(t, ref, path, map[string]any{"action": "ignore", "by": "sam"}, &refused); code != http.StatusConflict ||
		!strings.Contains(refused.Title, "retry, skip or cancel") {
		t.Errorf("a bad action: %d %+v, want 409 naming the actions", code, refused)
	}
	if code := o.postCase(t, ref, "/incidents/nope-1/resolve", map[string]any{"action": "retry", "by": "sam"}, &refused); code != http.StatusConflict {
		t.Errorf("an unknown incident: %d %+v, want 409", code, refused)
	}
	var done map[string]any
	if code := o.postCase(t, ref, path, map[string]any{"action": "skip", "value": map[string]any{"id": "HW-PHONED"}, "by": "sam"}, &done); code != http.StatusOK || done["result"] != "skip" {
		t.Fatalf("skip: %d %v", code, done)
	}
	d := o.closed(t, ref)
	if d.Status != workflows.StatusCompleted || d.Outcome != "Vehicle logged" {
		t.Errorf("case ended %s %q", d.Status, d.Outcome)
	}
	if log, _ := d.Steps["log"].(map[string]any); log["id"] != "HW-PHONED" {
		t.Errorf("the skipped call's result is %v, want the value staff gave", d.Steps["log"])
	}
	if code := o.postCase(t, ref, path, map[string]any{"action": "retry", "by": "sam"}, nil); code == http.StatusOK {
		t.Error("resolving a closed incident on a finished case was accepted")
	}
	if o.LOB.vehicles.Load() != 2 {
		t.Errorf("%d calls, want no more once skipped", o.LOB.vehicles.Load())
	}
}

func TestIncidentRetriedOnceTheSystemIsBack(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	o.LOB.down.Store(false)
	if code := o.postCase(t, ref, "/incidents/"+inc.ID+"/resolve", map[string]any{"action": "retry", "by": "sam"}, nil); code != http.StatusOK {
		t.Fatalf("retry: %d", code)
	}
	d := o.closed(t, ref)
	if log, _ := d.Steps["log"].(map[string]any); d.Status != workflows.StatusCompleted || log["id"] != "HW-1" || o.LOB.vehicles.Load() != 3 {
		t.Errorf("case ended %s %q after %d calls, want completed by the third", d.Status, d.Outcome, o.LOB.vehicles.Load())
	}
	if r := d.Incidents[0].Resolution; r == nil || r.Action != "retry" || r.By != "sam" {
		t.Errorf("incident resolution %+v, want sam's retry", r)
	}
}

func TestIncidentCancelEndsTheCase(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, inc := failing(t, o)
	if code := o.postCase(t, ref, "/incidents/"+inc.ID+"/resolve", map[string]any{"action": "cancel", "by": "sam"}, nil); code != http.StatusOK {
		t.Fatalf("cancel: %d", code)
	}
	if d := o.closed(t, ref); d.Status != workflows.StatusCancelled || o.LOB.vehicles.Load() != 2 {
		t.Errorf("case ended %s %q after %d calls, want cancelled with no more calls", d.Status, d.Outcome, o.LOB.vehicles.Load())
	}
}

// TestStepThatCannotRunPausesForStaff has a designer's slip (no numeric
// rule on a number the recipe does sums with) meet a resident's answer the
// sum cannot take: the case pauses with an incident instead of failing, and
// staff skip the step.
func TestStepThatCannotRunPausesForStaff(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref := o.submit(t, "bin-size", map[string]any{"litres": "the big one"})
	d := o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	if inc := d.Incidents[0]; inc.Step != "price" || inc.Code != "step_failed" || !strings.Contains(inc.Error, "the big one") {
		t.Fatalf("incident %+v, want one at price naming the answer it could not use", inc)
	}
	if d.Status != workflows.StatusRunning {
		t.Fatalf("case is %s, want running and waiting for staff", d.Status)
	}
	if code := o.postCase(t, ref, "/incidents/"+d.Incidents[0].ID+"/resolve", map[string]any{"action": "skip", "by": "sam"}, nil); code != http.StatusOK {
		t.Fatalf("skip: %d", code)
	}
	if d := o.closed(t, ref); d.Status != workflows.StatusCompleted || d.Outcome != "Bin ordered" {
		t.Errorf("case ended %s %q", d.Status, d.Outcome)
	}
}
