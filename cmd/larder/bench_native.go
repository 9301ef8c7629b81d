package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows"
)

// The hand-written missed-bin workflow's name and the task queue its
// worker polls.
const (
	nativeWorkflow = "hand-written-missed-bin"
	nativeQueue    = "bench-hand-written"
)

// native is the activities the hand-written workflow calls, by method.
var native *activities.Activities

// handWrittenMissedBin is the missed-bin service as a developer would write
// it directly against the Temporal SDK, with the same activities as
// regular activities: check the property, raise the report, email the
// resident. Like the recipe, a refusal by the waste system (no such
// property, a miss already reported) is emailed to the resident instead.
func handWrittenMissedBin(ctx workflow.Context, in workflows.CaseInput) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 10},
	})
	refuse := func(err error) (string, error) {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != activities.RefusedError {
			return "", err
		}
		if err := workflow.ExecuteActivity(ctx, native.SendEmail, mail.Message{
			Key: in.Reference + "/refused", To: fmt.Sprint(in.Answers["email"]), Subject: "Missed bin not reported: " + in.Reference,
			Text: fmt.Sprintf("Your reference is %s; the waste team could not log it: %s", in.Reference, app.Error()),
		}).Get(ctx, nil); err != nil {
			return "", err
		}
		return "Report not accepted", nil
	}
	var property map[string]any
	if err := workflow.ExecuteActivity(ctx, native.Call, activities.CallRequest{
		Connector: "waste", Operation: "get_property", Input: map[string]any{"uprn": in.Answers["uprn"]}, IdempotencyKey: in.Reference + "/check",
	}).Get(ctx, &property); err != nil {
		return refuse(err)
	}
	bins, _ := property["bins"].([]any)
	if !slices.ContainsFunc(bins, func(b any) bool { m, _ := b.(map[string]any); return m["type"] == in.Answers["bin_type"] }) {
		return "Report not accepted", nil
	}
	var report map[string]any
	if err := workflow.ExecuteActivity(ctx, native.Call, activities.CallRequest{
		Connector: "waste", Operation: "report_missed", IdempotencyKey: in.Reference + "/raise",
		Input: map[string]any{"uprn": in.Answers["uprn"], "bin_type": in.Answers["bin_type"], "reported_by": in.Answers["name"]},
	}).Get(ctx, &report); err != nil {
		return refuse(err)
	}
	if err := workflow.ExecuteActivity(ctx, native.SendEmail, mail.Message{
		Key: in.Reference + "/confirm", To: fmt.Sprint(in.Answers["email"]), Subject: "Missed bin reported: " + in.Reference,
		Text: fmt.Sprintf("Your reference is %s; the waste team logged it as %v.", in.Reference, report["id"]),
	}).Get(ctx, nil); err != nil {
		return "", err
	}
	return "Missed collection reported", nil
}

// startNativeWorker starts a worker of the hand-written workflow on
// nativeQueue, with Larder's worker options and activities calling conns
// and sending by sender.
func startNativeWorker(tc client.Client, conns *connectors.Registry, sender mail.Sender) (worker.Worker, error) {
	w := worker.New(tc, nativeQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(handWrittenMissedBin, workflow.RegisterOptions{Name: nativeWorkflow})
	w.RegisterActivity(&activities.Activities{Connectors: conns, Mail: sender})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start the hand-written workflow's worker: %w", err)
	}
	return w, nil
}
