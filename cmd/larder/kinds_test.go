package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// stepsDir holds a small recipe per step kind and one combining them all.
const stepsDir = "../../workflows/recipe/testdata/steps"

// backOffice is a line-of-business system that answers every operation
// with a record, and lets a test change an operation's reply.
type backOffice struct {
	mu      sync.Mutex
	calls   []string
	replies map[string]map[string]any
}

func (b *backOffice) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, "/ops/")
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	b.mu.Lock()
	b.calls = append(b.calls, op)
	n := len(b.calls)
	out := map[string]any{
		"id": fmt.Sprintf("%s-%d", strings.ToUpper(op), n), "status": "confirmed", "payment_id": fmt.Sprintf("PAY-%d", n),
		"address":    "1 Orchard Way, Larchester, LR1 1AA",
		"properties": []any{map[string]any{"uprn": "100001000001", "address": "1 Orchard Way, Larchester, LR1 1AA"}},
	}
	for k, v := range b.replies[op] {
		out[k] = v
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (b *backOffice) called() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// kindsRecipes copies the step-kind recipes to a folder with a
// connectors.yaml that sends every operation they use to the back office.
func kindsRecipes(t testing.TB, url string, skip ...string) (string, []*recipe.Recipe) {
	t.Helper()
	all, err := recipe.LoadDir(stepsDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ops := map[string]bool{}
	var kept []*recipe.Recipe
	missedBin, err := recipe.LoadFile(filepath.Join(recipesDir, "missed-bin.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	emails, _ := os.ReadFile(filepath.Join(recipesDir, recipe.EmailsFile))
	_ = os.WriteFile(filepath.Join(dir, recipe.EmailsFile), emails, 0o600)
	for _, r := range append(all, missedBin) {
		data, _ := os.ReadFile(r.File)
		_ = os.WriteFile(filepath.Join(dir, filepath.Base(r.File)), data, 0o600)
		for _, op := range operationsOf(r) {
			ops[op] = true
		}
		if !slices.Contains(skip, r.ID) {
			kept = append(kept, r)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: %s\n      operations:\n", url)
	for _, op := range slices.Sorted(maps.Keys(ops)) {
		fmt.Fprintf(&b, "        %s: { method: POST, path: /ops/%s }\n", op, op)
	}
	if err := os.WriteFile(filepath.Join(dir, "connectors.yaml"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, kept
}

func operationsOf(r *recipe.Recipe) []string {
	var ops []string
	for _, f := range r.Fields() {
		if f.Lookup != nil {
			ops = append(ops, f.Lookup.Operation)
		}
	}
	for _, s := range r.AllSteps() {
		if s.Call != nil {
			ops = append(ops, s.Call.Operation)
			if s.Call.Undo != nil {
				ops = append(ops, s.Call.Undo.Operation)
			}
		}
	}
	return ops
}

// drive plays staff and the back office for a case until it closes:
// every open task is completed with its first outcome, and every awaited
// message is posted to the hook.
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

// expectedOutcome is where each recipe ends when staff pick each task's
// first outcome and the awaited messages arrive.
var expectedOutcome = map[string]string{
	"missed-bin":       "Missed collection reported",
	"bulky-waste":      "Items collected",
	"step-call":        "Collection booked",
	"step-decide":      "Standard collection",
	"step-email":       "Request received",
	"step-end":         "Question received",
	"step-fail":        "No collection slot available",
	"step-parallel":    "Collection arranged",
	"step-rebook":      "Collection booked",
	"step-set":         "Priced",
	"step-subrecipe":   "Collection booked",
	"step-task":        "Request approved",
	"step-wait-timers": "Collected",
}

// replies change the back office's answers for one recipe's run.
var replies = map[string]map[string]map[string]any{
	"step-fail":  {"book_collection": {"status": "full"}},
	"missed-bin": {"get_property": {"bins": []any{map[string]any{"type": "general"}}}},
}

// TestEveryStepKindOnTheEmbeddedServer runs the recipe of each step kind,
// and the one combining them, on a real Temporal server to its expected end.
func TestEveryStepKindOnTheEmbeddedServer(t *testing.T) {
	office := &backOffice{replies: map[string]map[string]any{}}
	srv := httptest.NewServer(office)
	defer srv.Close()
	// step-wait's first wait is an hour long; the combined recipe covers
	// waiting for a message on the real server.
	dir, recipes := kindsRecipes(t, srv.URL, "step-wait")
	var larder *app
	base, _ := startLarderWith(t, larderOptions{recipesDir: dir, dataDir: t.TempDir(), started: func(a *app) { larder = a }})

	for _, r := range recipes {
		if expectedOutcome[r.ID] == "" {
			continue // a subrecipe only, run by its parent
		}
		t.Run(r.ID, func(t *testing.T) {
			office.mu.Lock()
			office.replies = replies[r.ID]
			office.mu.Unlock()
			answers := map[string]any{}
			for _, f := range r.Fields() {
				answers[f.ID] = f.Example
			}
			var reply map[string]any
			if code := staffCall(t, http.MethodPost, base+"/api/v1/services/"+r.ID+"/submissions", "", answers, &reply); code != http.StatusCreated {
				t.Fatalf("submit: %d %v", code, reply)
			}
			ref := reply["reference"].(string)
			d := drive(t, base, r.ID, ref)
			if d.Outcome != expectedOutcome[r.ID] {
				t.Errorf("ended %s with %q, want %q; timeline %+v", d.Status, d.Outcome, expectedOutcome[r.ID], d.Timeline)
			}
			if recording() {
				recordHistory(t, larder.tc, ref, r.ID)
			}
		})
	}
	if !slices.Contains(office.called(), "cancel_booking") {
		t.Error("no undo ran: the fail recipe should cancel its booking")
	}
}
