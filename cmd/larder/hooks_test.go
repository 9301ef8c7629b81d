package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/larder-council/larder/internal/embeddedtemporal"
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

// What follows serves the command tests that drive cases through a running
// Larder's APIs (serve, kinds, versions, summary); the staff API's own
// tests are in forms/staff.

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

// staffCall sends a staff API request and decodes the reply into out.
func staffCall(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&buf).Encode(body)
	}
	req, _ := http.NewRequest(method, url, &buf)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// waitForDetail polls the staff detail until ok says it is what the test needs.
func waitForDetail(t *testing.T, base, ref string, ok func(workflows.CaseDetail) bool) workflows.CaseDetail {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var d workflows.CaseDetail
	for time.Now().Before(deadline) {
		d = workflows.CaseDetail{}
		if staffCall(t, http.MethodGet, base+"/api/v1/cases/"+ref+"/detail", staffToken, nil, &d) == http.StatusOK && ok(d) {
			return d
		}
		time.Sleep(100 * time.Millisecond)
	}
	var raw map[string]any
	code := staffCall(t, http.MethodGet, base+"/api/v1/cases/"+ref+"/detail", staffToken, nil, &raw)
	t.Fatalf("case %s never reached the expected state; last: %d %v", ref, code, raw)
	return d
}

// openTask returns the first open task of the detail, or nil.
func openTask(d workflows.CaseDetail) *workflows.Task {
	for _, task := range d.Tasks {
		if task.Completion == nil {
			return task
		}
	}
	return nil
}
