package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
)

// TestCaseProgressWhenNoWorkerAnswers stops the worker, as when every
// worker is down or restarting: a resident asking after a closed case still
// learns its status and outcome, and one asking after an open case learns
// it is in progress, instead of an error page.
func TestCaseProgressWhenNoWorkerAnswers(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "garden.yaml"), []byte(gardenRecipe), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "bin-size.yaml"), []byte(binSizeRecipe), 0o600)
	var larder *app
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: t.TempDir(), started: func(a *app) { larder = a }})

	open := submitAndWait(t, base, "garden")
	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/bin-size/submissions", "", map[string]any{"litres": "240"}, &reply); code != http.StatusCreated {
		t.Fatalf("submit: %d %v", code, reply)
	}
	closed := reply["reference"].(string)
	waitForCase(t, base, closed, 20e9)
	larder.worker.Stop()

	for ref, want := range map[string]workflows.CaseView{
		open:   {Service: "garden", Status: workflows.StatusRunning},
		closed: {Service: "bin-size", Status: workflows.StatusCompleted, Outcome: "Bin ordered"},
	} {
		var v workflows.CaseView
		if code := staffCall(t, http.MethodGet, base+"/api/v1/cases/"+ref, "", nil, &v); code != http.StatusOK {
			t.Fatalf("%s with no worker: %d, want 200 with its status", ref, code)
		}
		if !v.SummaryOnly || v.Service != want.Service || v.Status != want.Status || v.Outcome != want.Outcome {
			t.Errorf("%s with no worker: %+v, want %+v from Temporal's record", ref, v, want)
		}
	}
	resp, err := http.Get(base + "/track/" + open)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "We cannot show the steps of your case just now") || !strings.Contains(string(page), "In progress") {
		t.Errorf("track page with no worker: %d\n%s", resp.StatusCode, page)
	}
}
