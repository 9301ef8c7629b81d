package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

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
