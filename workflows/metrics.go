package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows/recipe"
)

// Names of the metrics a case reports through the SDK's metrics handler,
// which the worker exports (see larder's /metrics). Counters gain _total
// there and the step duration _seconds.
const (
	// CasesStartedMetric counts cases started, by service.
	CasesStartedMetric = "larder_cases_started"
	// CasesClosedMetric counts cases closed, by service, status
	// (completed, failed, cancelled) and outcome (the end or fail step's).
	CasesClosedMetric = "larder_cases_closed"
	// StepDurationMetric times each run of a step, by service and kind
	// (call, email, task, decide, parallel, wait, set, subrecipe, end,
	// fail), in workflow time: from the workflow task that started the
	// step to the one that finished it.
	StepDurationMetric = "larder_step_duration"
	// EmailsMetric counts the emails a case sent or gave up on, by service
	// and result: sent, limited (the address has had its emails for the
	// hour) or failed (left to staff as an incident).
	EmailsMetric = "larder_emails"
)

// The handler workflow.GetMetricsHandler gives says nothing while the case
// replays its history, so a case a worker picks up again is not counted
// again.

// countCaseStarted counts a case of the service starting.
func countCaseStarted(ctx workflow.Context, service string) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"service": service}).Counter(CasesStartedMetric).Inc(1)
}

// countCaseClosed counts a case of the service closing as res says.
func countCaseClosed(ctx workflow.Context, service string, res CaseResult) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		"service": service, "status": res.Status, "outcome": res.Outcome,
	}).Counter(CasesClosedMetric).Inc(1)
}

// observeStep times a run of step s that began at began.
func (c *caseRun) observeStep(ctx workflow.Context, s recipe.Step, began time.Time) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		"service": c.in.Recipe.ID, "kind": s.Kind(),
	}).Timer(StepDurationMetric).Record(workflow.Now(ctx).Sub(began))
}

// countEmail counts an email by what came of sending it, and returns err.
// A case cancelled while it was sending is not counted.
func (c *caseRun) countEmail(ctx workflow.Context, err error) error {
	result := "sent"
	switch {
	case temporal.IsCanceledError(err):
		return err
	case failedWith(err, activities.RecipientLimitError):
		result = "limited"
	case failedWith(err, activities.MaybeSentError):
		result = "unsure"
	case err != nil:
		result = "failed"
	}
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{
		"service": c.in.Recipe.ID, "result": result,
	}).Counter(EmailsMetric).Inc(1)
	return err
}
