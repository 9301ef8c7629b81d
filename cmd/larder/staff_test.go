package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

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
