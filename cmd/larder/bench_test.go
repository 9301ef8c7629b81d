package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

var bench *activities.Activities

// handWrittenMissedBin is the missed-bin service as a developer would write
// it directly against the Temporal SDK, with the same activities: check the
// property, raise the report, email the resident.
func handWrittenMissedBin(ctx workflow.Context, in workflows.CaseInput) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 8},
	})
	var property map[string]any
	if err := workflow.ExecuteActivity(ctx, bench.Call, activities.CallRequest{
		Connector: "waste", Operation: "get_property", Input: map[string]any{"uprn": in.Answers["uprn"]}, IdempotencyKey: in.Reference + "/check",
	}).Get(ctx, &property); err != nil {
		return "", err
	}
	bins, _ := property["bins"].([]any)
	if !slices.ContainsFunc(bins, func(b any) bool { m, _ := b.(map[string]any); return m["type"] == in.Answers["bin_type"] }) {
		return "Report not accepted", nil
	}
	var report map[string]any
	if err := workflow.ExecuteActivity(ctx, bench.Call, activities.CallRequest{
		Connector: "waste", Operation: "report_missed", IdempotencyKey: in.Reference + "/raise",
		Input: map[string]any{"uprn": in.Answers["uprn"], "bin_type": in.Answers["bin_type"], "reported_by": in.Answers["name"]},
	}).Get(ctx, &report); err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(ctx, bench.SendEmail, mail.Message{
		Key: in.Reference + "/confirm", To: fmt.Sprint(in.Answers["email"]), Subject: "Missed bin reported: " + in.Reference,
		Text: fmt.Sprintf("Your reference is %s; the waste team logged it as %v.", in.Reference, report["id"]),
	}).Get(ctx, nil); err != nil {
		return "", err
	}
	return "Missed collection reported", nil
}

// BenchmarkHistoryEvents runs the missed-bin recipe through Larder's
// interpreter and the hand-written workflow above on the embedded Temporal
// server, and reports the history events each case needs, side by side:
//
//	go test ./cmd/larder -run '^$' -bench HistoryEvents -benchtime 20x
func BenchmarkHistoryEvents(b *testing.B) {
	office := &backOffice{replies: replies["missed-bin"]}
	srv := httptest.NewServer(office)
	defer srv.Close()
	dir, recipes := kindsRecipes(b, srv.URL)
	var larder *app
	startLarderWith(b, larderOptions{recipesDir: dir, dataDir: b.TempDir(), started: func(a *app) { larder = a }})
	conns, err := registry.LoadFile(filepath.Join(dir, "connectors.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	w := worker.New(larder.tc, "bench-hand-written", worker.Options{})
	w.RegisterWorkflowWithOptions(handWrittenMissedBin, workflow.RegisterOptions{Name: "hand-written-missed-bin"})
	w.RegisterActivity(&activities.Activities{Connectors: conns, Mail: &mail.Outbox{Dir: b.TempDir(), From: "bench@larder.example"}})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	var missedBin *recipe.Recipe
	for _, r := range recipes {
		if r.ID == "missed-bin" {
			missedBin = r
		}
	}
	answers := map[string]any{}
	for _, f := range missedBin.Fields() {
		answers[f.ID] = f.Example
	}

	run := func(name, queue string, i int) (int, time.Duration) {
		ref := fmt.Sprintf("MB-%s-%d-%d", name, i, time.Now().UnixNano())
		start := time.Now()
		in := workflows.CaseInput{Reference: ref, Recipe: *missedBin, Answers: answers, SubmittedAt: time.Now()}
		wf := workflows.CaseWorkflow
		if queue == "bench-hand-written" {
			wf = "hand-written-missed-bin"
		}
		run, err := larder.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: ref, TaskQueue: queue}, wf, in)
		if err != nil {
			b.Fatal(err)
		}
		if err := run.Get(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		events := 0
		it := larder.tc.GetWorkflowHistory(context.Background(), ref, "", false, 0)
		for it.HasNext() {
			if _, err := it.Next(); err != nil {
				b.Fatal(err)
			}
			events++
		}
		return events, took
	}
	var larderEvents, handEvents int
	var larderTime, handTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		e, d := run("L", larder.cfg.Temporal.TaskQueue, i)
		larderEvents, larderTime = larderEvents+e, larderTime+d
		e, d = run("H", "bench-hand-written", i)
		handEvents, handTime = handEvents+e, handTime+d
	}
	b.ReportMetric(float64(larderEvents)/float64(b.N), "larder-events/case")
	b.ReportMetric(float64(handEvents)/float64(b.N), "hand-written-events/case")
	b.ReportMetric(float64(larderTime.Milliseconds())/float64(b.N), "larder-ms/case")
	b.ReportMetric(float64(handTime.Milliseconds())/float64(b.N), "hand-written-ms/case")
	if larderEvents > handEvents {
		b.Errorf("the interpreter needs %d history events for %d cases, the hand-written workflow %d", larderEvents, b.N, handEvents)
	}
}
