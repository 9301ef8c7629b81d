package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows"
)

const permitRecipe = `id: permit
version: "%VERSION%"
title: Apply for a skip permit
reference_prefix: SP
form:
  pages:
    - id: where
      title: Where will the skip go?
      fields:
        - id: street
          type: text
          label: Street
          validate: required,max=100
          example: Orchard Way
steps:
  - id: review
    task:
      queue: highways
      title: "Review skip permit on {{ form.street }}"
      outcomes:
        - { id: approve, label: Approve, next: approved }
  - id: approved
    end:
      outcome: Approved on version %VERSION%
`

func writePermit(t *testing.T, dir, version string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "permit.yaml"), []byte(strings.ReplaceAll(permitRecipe, "%VERSION%", version)), 0o600); err != nil {
		t.Fatal(err)
	}
}

func submitPermit(t *testing.T, base string) string {
	t.Helper()
	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/permit/submissions", "", map[string]any{"street": "Orchard Way"}, &reply); code != http.StatusCreated {
		t.Fatalf("submit: %d %v", code, reply)
	}
	return reply["reference"].(string)
}

// TestCaseFinishesOnTheVersionItStartedOn deploys version 2 of a recipe
// while a version 1 case waits on a task, then completes both.
func TestCaseFinishesOnTheVersionItStartedOn(t *testing.T) {
	recipes, data := t.TempDir(), t.TempDir()
	conns, err := os.ReadFile(filepath.Join(recipesDir, "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(recipes, "connectors.yaml"), conns, 0o600)

	writePermit(t, recipes, "1")
	base, stop := startLarderWith(t, larderOptions{recipesDir: recipes, dataDir: data})
	old := submitPermit(t, base)
	waitForDetail(t, base, old, func(d workflows.CaseDetail) bool { return openTask(d) != nil })
	stop()

	writePermit(t, recipes, "2")
	base, _ = startLarderWith(t, larderOptions{recipesDir: recipes, dataDir: data})
	var svc map[string]any
	staffCall(t, http.MethodGet, base+"/api/v1/services/permit", "", nil, &svc)
	if v, _ := svc["version"].(string); !strings.HasPrefix(v, "2+") {
		t.Fatalf("deployed version = %q, want 2", v)
	}
	fresh := submitPermit(t, base)
	for _, ref := range []string{old, fresh} {
		d := waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return openTask(d) != nil })
		task := strings.TrimPrefix(openTask(d).ID, ref+"/")
		if code := staffCall(t, http.MethodPost, base+"/api/v1/cases/"+ref+"/tasks/"+task+"/complete", staffToken,
			map[string]any{"outcome": "approve", "by": "pat"}, nil); code != http.StatusOK {
			t.Fatalf("complete %s: %d", ref, code)
		}
	}
	if v := waitForCase(t, base, old, 20e9); v.Outcome != "Approved on version 1" || !strings.HasPrefix(v.RecipeVersion, "1+") {
		t.Errorf("case started on v1 finished %q on %s", v.Outcome, v.RecipeVersion)
	}
	if v := waitForCase(t, base, fresh, 20e9); v.Outcome != "Approved on version 2" {
		t.Errorf("case started on v2 finished %q", v.Outcome)
	}
}
