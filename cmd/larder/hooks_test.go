package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

const gardenRecipe = `id: garden
version: "1"
title: Report a garden waste collection
reference_prefix: GW
form:
  pages:
    - id: booking
      title: Your booking
      fields:
        - { id: booking, type: text, label: Booking number, validate: required, example: GB-5521 }
steps:
  - id: collected
    wait:
      message: collected
      correlation: "{{ form.booking }}"
      for: 72h
    next: check
  - id: check
    task:
      queue: waste-team
      title: Check the collection
      outcomes:
        - { id: done, label: Done, next: finished }
  - id: finished
    end:
      outcome: Collected
`

// TestHookFindsCaseByBusinessKeyOnlyWhileItWaits posts a message by the
// booking number, then posts it again once the case has moved on: the
// second finds no case listening, rather than piling up in one that will
// never read it.
func TestHookFindsCaseByBusinessKeyOnlyWhileItWaits(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "garden.yaml"), []byte(gardenRecipe), 0o600)
	var larder *app
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: t.TempDir(), started: func(a *app) { larder = a }})

	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/garden/submissions", "", map[string]any{"booking": "GB-5521"}, &reply); code != http.StatusCreated {
		t.Fatalf("submit: %d %v", code, reply)
	}
	ref := reply["reference"].(string)
	waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })

	hook := base + "/hooks/garden/collected"
	message := map[string]any{"correlation": "GB-5521", "data": map[string]any{"crew": "C7"}}
	var delivered map[string]any
	// The search attribute is visible a moment after the case sets it.
	for i := 0; i < 50; i++ {
		if staffCall(t, http.MethodPost, hook, hooksToken, message, &delivered) == http.StatusAccepted {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, _ := delivered["delivered"].([]any); len(got) != 1 || got[0] != ref {
		t.Fatalf("delivered = %v, want %s", delivered, ref)
	}
	task := openTask(waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return openTask(d) != nil }))

	var code int
	for i := 0; i < 50; i++ {
		if code = staffCall(t, http.MethodPost, hook, hooksToken, message, nil); code == http.StatusNotFound {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != http.StatusNotFound {
		t.Errorf("the same message after the wait: %d, want 404 as no case listens for GB-5521 now", code)
	}

	staffCall(t, http.MethodPost, base+"/api/v1/cases/"+ref+"/tasks/"+strings.TrimPrefix(task.ID, ref+"/")+"/complete",
		staffToken, map[string]any{"outcome": "done", "by": "pat", "values": map[string]any{}}, nil)
	if v := waitForCase(t, base, ref, 20*time.Second); v.Outcome != "Collected" {
		t.Errorf("case ended %s %q", v.Status, v.Outcome)
	}
	if recording() {
		recordHistory(t, larder.tc, ref, "wait-forget-key")
	}
}
