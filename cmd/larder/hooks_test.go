package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/internal/embeddedtemporal"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
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
	// Another service waits for a message of the same name on the same key.
	renewal := strings.NewReplacer("id: garden", "id: garden-renewal", "reference_prefix: GW", "reference_prefix: GR").Replace(gardenRecipe)
	_ = os.WriteFile(filepath.Join(dir, "garden-renewal.yaml"), []byte(renewal), 0o600)
	var larder *app
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: t.TempDir(), started: func(a *app) { larder = a }})

	ref := submitAndWait(t, base, "garden")
	other := submitAndWait(t, base, "garden-renewal")
	older := startWithoutService(t, larder, filepath.Join(dir, "garden.yaml"))
	waitForDetail(t, base, older, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })

	hook := base + "/hooks/garden/collected"
	message := map[string]any{"correlation": "GB-5521", "data": map[string]any{"crew": "C7"}}
	// A search attribute is visible a moment after the case sets it.
	waitListed(t, larder, "LarderCorrelation = 'GB-5521' AND ExecutionStatus = 'Running'", 3)
	var delivered map[string]any
	if code := staffCall(t, http.MethodPost, hook, hooksToken, message, &delivered); code != http.StatusAccepted {
		t.Fatalf("hook: %d %v", code, delivered)
	}
	if got, _ := delivered["delivered"].([]any); len(got) != 2 || !slices.Contains(got, any(ref)) || !slices.Contains(got, any(older)) {
		t.Fatalf("delivered = %v, want %s and the older %s, not the other service's %s", delivered, ref, older, other)
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

// submitAndWait submits a garden recipe's example and waits for its wait.
func submitAndWait(t *testing.T, base, service string) string {
	t.Helper()
	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/"+service+"/submissions", "", map[string]any{"booking": "GB-5521"}, &reply); code != http.StatusCreated {
		t.Fatalf("submit %s: %d %v", service, code, reply)
	}
	ref := reply["reference"].(string)
	waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return len(d.Waiting) == 1 })
	return ref
}

// startWithoutService starts a case as Larder did before cases carried
// the service they belong to.
func startWithoutService(t *testing.T, larder *app, file string) string {
	t.Helper()
	r, err := recipe.LoadFile(file, connectors.NewRegistry(nil))
	if err != nil {
		t.Fatal(err)
	}
	const ref = "GW-2345-6789"
	in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: map[string]any{"booking": "GB-5521"}, SubmittedAt: time.Now()}
	if _, err := larder.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: ref, TaskQueue: larder.cfg.Temporal.TaskQueue}, workflows.CaseWorkflow, in); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestDataFolderFromBeforeServiceKeysGetsThem starts Larder on a data folder
// whose namespace was made with only the correlation attribute, as earlier
// versions made it: serve registers the service attribute, so new cases
// start.
func TestDataFolderFromBeforeServiceKeysGetsThem(t *testing.T) {
	dataDir := t.TempDir()
	old, err := embeddedtemporal.New(embeddedtemporal.Config{
		DatabaseFile: filepath.Join(dataDir, "temporal.db"),
		SearchAttributes: map[string]enumspb.IndexedValueType{
			workflows.CorrelationKeys.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	if err := old.Stop(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "garden.yaml"), []byte(gardenRecipe), 0o600)
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: dataDir})

	submitAndWait(t, base, "garden")
}

// waitListed waits until Temporal's visibility lists n cases for the query.
func waitListed(t *testing.T, larder *app, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := larder.tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err == nil && len(resp.Executions) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility lists %d cases for %s, want %d (err %v)", len(resp.GetExecutions()), query, n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
