package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

const recipesDir = "../../recipes"

// exampleAnswers are the missed-bin recipe's example: answers.
func exampleAnswers(t *testing.T) map[string]any {
	t.Helper()
	r, err := recipe.LoadFile(filepath.Join(recipesDir, "missed-bin.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, f := range r.Fields() {
		out[f.ID] = f.Example
	}
	return out
}

// submit posts answers and returns the status and decoded reply.
func submit(t *testing.T, base string, answers map[string]any, key string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(answers)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/services/missed-bin/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// waitForCase polls the case API until the case leaves running.
func waitForCase(t *testing.T, base, ref string, within time.Duration) workflows.CaseView {
	t.Helper()
	deadline := time.Now().Add(within)
	var view workflows.CaseView
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/v1/cases/" + ref)
		if err == nil {
			if resp.StatusCode == http.StatusOK {
				_ = json.NewDecoder(resp.Body).Decode(&view)
			}
			resp.Body.Close()
			if view.Status != "" && view.Status != workflows.StatusRunning {
				return view
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("case %s still %q after %s", ref, view.Status, within)
	return view
}

// outbox returns the .eml files written, by name.
func outbox(t *testing.T, dataDir string) map[string]string {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dataDir, "outbox", "*.eml"))
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}

// emailsFor returns the emails whose file name starts with the reference.
func emailsFor(box map[string]string, ref string) []string {
	var out []string
	for name, body := range box {
		if strings.HasPrefix(name, ref) {
			out = append(out, body)
		}
	}
	return out
}
