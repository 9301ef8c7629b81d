package staff_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestClaimAndUnclaimThroughTheAPI: a task is claimed by one person at a
// time, and only its holder puts it back.
func TestClaimAndUnclaimThroughTheAPI(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	path := o.API + "/tasks/" + ref + "/check/"
	var got map[string]any
	if code := call(t, http.MethodPost, path+"claim", token, map[string]any{"by": "pat"}, &got); code != http.StatusOK || got["assignee"] != "pat" {
		t.Fatalf("pat claiming: %d %v", code, got)
	}
	if task := openTask(o.detail(t, ref)); task.Assignee != "pat" {
		t.Errorf("after the claim the task is held by %q, want pat", task.Assignee)
	}
	if code := call(t, http.MethodPost, path+"claim", token, map[string]any{"by": "pat"}, &got); code != http.StatusOK {
		t.Errorf("pat claiming again: %d %v, want 200 with nothing changed", code, got)
	}
	var p problem
	if code := call(t, http.MethodPost, path+"claim", token, map[string]any{"by": "sam"}, &p); code != http.StatusConflict || !strings.Contains(p.Title, "pat") {
		t.Errorf("sam claiming pat's task: %d %+v, want 409 naming pat", code, p)
	}
	if code := call(t, http.MethodPost, path+"unclaim", token, map[string]any{"by": "sam"}, &p); code != http.StatusConflict {
		t.Errorf("sam releasing pat's task: %d %+v, want 409", code, p)
	}
	if code := call(t, http.MethodPost, path+"claim", token, map[string]any{"by": " "}, &p); code != http.StatusBadRequest {
		t.Errorf("claiming by nobody: %d %+v, want 400", code, p)
	}
	if code := call(t, http.MethodPost, path+"unclaim", token, map[string]any{"by": "pat"}, &got); code != http.StatusOK || got["assignee"] != "" {
		t.Fatalf("pat releasing: %d %v", code, got)
	}
	if task := openTask(o.detail(t, ref)); task.Assignee != "" {
		t.Errorf("after release the task is held by %q, want nobody", task.Assignee)
	}
}
