package main

import (
	"context"
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

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// BenchmarkHistoryEvents runs the missed-bin recipe through Larder's
// interpreter and the hand-written workflow above on the embedded Temporal
// server, and reports the history events each case needs, side by side:
//
//	go test ./cmd/larder -run '^$' -bench HistoryEvents -benchtime 20x
func BenchmarkHistoryEvents(b *testing.B) {
	srv := httptest.NewServer(&backOffice{replies: map[string]map[string]any{
		"get_property": {"bins": []any{map[string]any{"type": "general"}}},
	}})
	defer srv.Close()
	dir, missedBin := missedBinRecipes(b, srv.URL)
	var larder *app
	startLarderWith(b, larderOptions{recipesDir: dir, dataDir: b.TempDir(), started: func(a *app) { larder = a }})
	conns, err := registry.LoadFile(filepath.Join(dir, "connectors.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	w, err := startNativeWorker(larder.tc, conns, &mail.Outbox{Dir: b.TempDir(), From: "bench@larder.example"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	answers := map[string]any{}
	for _, f := range missedBin.Fields() {
		answers[f.ID] = f.Example
	}

	run := func(name, queue string, i int) (events, versionEvents int, took time.Duration) {
		ref := fmt.Sprintf("MB-%s-%d-%d", name, i, time.Now().UnixNano())
		start := time.Now()
		in := workflows.CaseInput{Reference: ref, Recipe: *missedBin, Answers: answers, SubmittedAt: time.Now()}
		wf := workflows.CaseWorkflow
		if queue == nativeQueue {
			wf = nativeWorkflow
		}
		run, err := larder.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: ref, TaskQueue: queue}, wf, in)
		if err != nil {
			b.Fatal(err)
		}
		if err := run.Get(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		took = time.Since(start)
		it := larder.tc.GetWorkflowHistory(context.Background(), ref, "", false, 0)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				b.Fatal(err)
			}
			events++
			if versionEvent(e.GetEventType(), e.GetMarkerRecordedEventAttributes().GetMarkerName(),
				e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()) {
				versionEvents++
			}
		}
		return events, versionEvents, took
	}
	var larderEvents, larderVersionEvents, handEvents int
	var larderTime, handTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		e, v, d := run("L", larder.cfg.Temporal.TaskQueue, i)
		larderEvents, larderVersionEvents, larderTime = larderEvents+e, larderVersionEvents+v, larderTime+d
		e, _, d = run("H", nativeQueue, i)
		handEvents, handTime = handEvents+e, handTime+d
	}
	b.ReportMetric(float64(larderEvents)/float64(b.N), "larder-events/case")
	b.ReportMetric(float64(larderVersionEvents)/float64(b.N), "larder-version-events/case")
	b.ReportMetric(float64(handEvents)/float64(b.N), "hand-written-events/case")
	b.ReportMetric(float64(larderTime.Milliseconds())/float64(b.N), "larder-ms/case")
	b.ReportMetric(float64(handTime.Milliseconds())/float64(b.N), "hand-written-ms/case")
	// The version marker (and the search attribute Temporal sets with it)
	// is what keeping cases in flight safe costs; a hand-written workflow
	// that changed would pay it too.
	if larderEvents-larderVersionEvents > handEvents {
		b.Errorf("the interpreter needs %d history events for %d cases besides %d for its version, the hand-written workflow %d",
			larderEvents-larderVersionEvents, b.N, larderVersionEvents, handEvents)
	}
}

// versionEvent says whether a history event records an interpreter
// version: a workflow.GetVersion marker, or the search attribute upsert
// that goes with it.
func versionEvent(kind enumspb.EventType, marker string, upserted map[string]*commonpb.Payload) bool {
	switch kind {
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		return marker == "Version"
	case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		_, ok := upserted["TemporalChangeVersion"]
		return ok
	}
	return false
}

// backOffice is a line-of-business system that answers every operation
// with a record, and lets a test change an operation's reply.
type backOffice struct {
	mu      sync.Mutex
	calls   int
	replies map[string]map[string]any
}

func (o *backOffice) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, "/ops/")
	o.mu.Lock()
	o.calls++
	out := map[string]any{"id": fmt.Sprintf("%s-%d", strings.ToUpper(op), o.calls), "status": "confirmed",
		"address": "1 Orchard Way, Larchester, LR1 1AA"}
	maps.Copy(out, o.replies[op])
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// missedBinRecipes copies the shipped missed-bin recipe and its emails to
// a folder with a connectors.yaml that sends its operations to url.
func missedBinRecipes(t testing.TB, url string) (string, *recipe.Recipe) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"missed-bin.yaml", recipe.EmailsFile} {
		data, err := os.ReadFile(filepath.Join(recipesDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := recipe.LoadFile(filepath.Join(dir, "missed-bin.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := []string{}
	for _, f := range r.Fields() {
		if f.Lookup != nil {
			ops = append(ops, f.Lookup.Operation)
		}
	}
	for _, s := range r.AllSteps() {
		if s.Call != nil {
			ops = append(ops, s.Call.Operation)
		}
	}
	var conf strings.Builder
	fmt.Fprintf(&conf, "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: %s\n      operations:\n", url)
	for _, op := range slices.Compact(slices.Sorted(slices.Values(ops))) {
		fmt.Fprintf(&conf, "        %s: { method: POST, path: /ops/%s }\n", op, op)
	}
	if err := os.WriteFile(filepath.Join(dir, "connectors.yaml"), []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, r
}
