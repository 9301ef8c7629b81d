package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/larder-council/larder/workflows"
)

const noticeRecipe = `id: notice
version: "1"
title: Report an abandoned vehicle
reference_prefix: AV
form:
  pages:
    - id: where
      title: Where is the vehicle?
      fields:
        - { id: street, type: text, label: Street, validate: required, example: Mill Lane }
steps:
  - id: log
    call:
      connector: highways
      operation: log_vehicle
      input: { street: "{{ form.street }}" }
      retry: { max_attempts: 2, interval: 100ms }
    next: done
  - id: done
    end:
      outcome: "Logged as {{ steps.log.id }}"
`

// TestIncidentResolvedThroughTheStaffAPI makes a connector fail past its
// retries, then has staff see the incident and skip the call with a value.
func TestIncidentResolvedThroughTheStaffAPI(t *testing.T) {
	var calls atomic.Int32
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, `{"code":"unavailable","message":"highways system is down"}`, http.StatusServiceUnavailable)
	}))
	defer down.Close()
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "notice.yaml"), []byte(strings.ReplaceAll(noticeRecipe, `"Logged as {{ steps.log.id }}"`, "Vehicle logged")), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "connectors.yaml"), []byte("connectors:\n  highways:\n    kind: http\n    http:\n      base_url: "+down.URL+
		"\n      operations:\n        log_vehicle: { method: POST, path: /vehicles }\n"), 0o600)
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: t.TempDir()})

	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/notice/submissions", "", map[string]any{"street": "Mill Lane"}, &reply); code != http.StatusCreated {
		t.Fatalf("submit: %d %v", code, reply)
	}
	ref := reply["reference"].(string)
	d := waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	inc := d.Incidents[0]
	if inc.Step != "log" || !strings.Contains(inc.Error, "highways system is down") || calls.Load() != 2 {
		t.Fatalf("incident %+v after %d calls, want one at log naming the outage after 2 attempts", inc, calls.Load())
	}
	if code := staffCall(t, http.MethodGet, base+"/api/v1/cases/"+ref+"/detail", "wrong-token", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("detail with a wrong token: %d, want 401", code)
	}
	url := base + "/api/v1/cases/" + ref + "/incidents/"
	var refused map[string]any
	if code := staffCall(t, http.MethodPost, url+inc.ID+"/resolve", staffToken, map[string]any{"action": "ignore", "by": "sam"}, &refused); code != http.StatusConflict ||
		!strings.Contains(refused["title"].(string), "retry, skip or cancel") {
		t.Errorf("a bad action: %d %v, want 409 naming the actions", code, refused)
	}
	if code := staffCall(t, http.MethodPost, url+inc.ID+"/resolve", staffToken,
		map[string]any{"action": "skip", "value": map[string]any{"id": "HW-PHONED"}, "by": "sam"}, nil); code != http.StatusOK {
		t.Fatalf("skip: %d", code)
	}
	if v := waitForCase(t, base, ref, 20e9); v.Status != workflows.StatusCompleted || v.Outcome != "Vehicle logged" {
		t.Errorf("case ended %s %q", v.Status, v.Outcome)
	}
	if code := staffCall(t, http.MethodPost, url+inc.ID+"/resolve", staffToken, map[string]any{"action": "retry", "by": "sam"}, nil); code == http.StatusOK {
		t.Error("resolving a closed incident on a finished case was accepted")
	}
}

const binSizeRecipe = `id: bin-size
version: "1"
title: Order a larger bin
reference_prefix: OB
form:
  pages:
    - id: size
      title: What size of bin?
      fields:
        - { id: litres, type: text, label: Bin size in litres, validate: required, example: "240" }
steps:
  - id: price
    set:
      fee: "{{ int(form.litres) / 10 }}"
    next: done
  - id: done
    end:
      outcome: Bin ordered
`

// TestStepThatCannotRunPausesForStaff has a designer's slip (no numeric
// rule on a number the recipe does sums with) meet a resident's answer the
// sum cannot take: the case pauses with an incident instead of failing, and
// staff skip the step.
func TestStepThatCannotRunPausesForStaff(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "bin-size.yaml"), []byte(binSizeRecipe), 0o600)
	var larder *app
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: t.TempDir(), started: func(a *app) { larder = a }})

	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/bin-size/submissions", "", map[string]any{"litres": "the big one"}, &reply); code != http.StatusCreated {
		t.Fatalf("submit: %d %v", code, reply)
	}
	ref := reply["reference"].(string)
	d := waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	if inc := d.Incidents[0]; inc.Step != "price" || inc.Code != "step_failed" || !strings.Contains(inc.Error, "the big one") {
		t.Fatalf("incident %+v, want one at price naming the answer it could not use", inc)
	}
	if d.Status != workflows.StatusRunning {
		t.Fatalf("case is %s, want running and waiting for staff", d.Status)
	}
	url := base + "/api/v1/cases/" + ref + "/incidents/" + d.Incidents[0].ID + "/resolve"
	if code := staffCall(t, http.MethodPost, url, staffToken, map[string]any{"action": "skip", "by": "sam"}, nil); code != http.StatusOK {
		t.Fatalf("skip: %d", code)
	}
	if v := waitForCase(t, base, ref, 20e9); v.Status != workflows.StatusCompleted || v.Outcome != "Bin ordered" {
		t.Errorf("case ended %s %q", v.Status, v.Outcome)
	}
	if recording() {
		recordHistory(t, larder.tc, ref, "step-incident")
	}
}
