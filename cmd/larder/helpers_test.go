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

// readyWithin polls base's /readyz until it answers 200, for at most within.
func readyWithin(base string, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// waitForCase polls the case API until the case has started (left the
// intake journal: received) and left running.
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
			if view.Status != "" && view.Status != workflows.StatusReceived && view.Status != workflows.StatusRunning {
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

// drive plays staff and the back office for a case until it closes:
// every open task is completed with its first outcome, and every awaited
// message is posted to the hook. (serve_test.go drives fly-tipping with it.)
func drive(t *testing.T, base, service, ref string) workflows.CaseDetail {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var d workflows.CaseDetail
		if staffCall(t, http.MethodGet, base+"/api/v1/cases/"+ref+"/detail", staffToken, nil, &d) != http.StatusOK {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if d.Status != workflows.StatusRunning {
			return d
		}
		if task := openTask(d); task != nil {
			staffCall(t, http.MethodPost, base+"/api/v1/cases/"+ref+"/tasks/"+strings.TrimPrefix(task.ID, ref+"/")+"/complete",
				staffToken, map[string]any{"outcome": task.Outcomes[0].ID, "by": "pat", "values": map[string]any{}}, nil)
		}
		for _, w := range d.Waiting {
			if w.Message != "" {
				staffCall(t, http.MethodPost, base+"/hooks/"+service+"/"+w.Message, hooksToken,
					map[string]any{"correlation": w.Correlation, "data": map[string]any{"crew": "C7"}}, nil)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("case %s did not close within 60s", ref)
	return workflows.CaseDetail{}
}
