package web

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
)

// caseSummary is what Temporal itself records of a case, for when no
// worker answers the case's query (workers restarting, or all down): its
// status and, once it has closed, its outcome. No timeline.
func (s *Server) caseSummary(ctx context.Context, ref string) (workflows.CaseView, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	d, err := s.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	if err != nil {
		return workflows.CaseView{}, queryError(err)
	}
	view := workflows.CaseView{
		Reference: ref, Status: workflows.StatusRunning, SummaryOnly: true,
		CurrentSteps: []string{}, Timeline: []workflows.Event{},
	}
	if r := s.recipeByPrefix(ref); r != nil {
		view.Service = r.ID
	}
	status := d.GetWorkflowExecutionInfo().GetStatus()
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return view, nil
	}
	// A closed case's result is in its history: reading it needs no worker.
	var res workflows.CaseResult
	var app *temporal.ApplicationError
	if err := s.Temporal.GetWorkflow(ctx, ref, "").Get(ctx, &res); errors.As(err, &app) && app.HasDetails() {
		_ = app.Details(&res) // a failed or cancelled case carries its result as the error's details
	}
	view.Status, view.Outcome = res.Status, res.Outcome
	if view.Status == "" {
		view.Status = closedStatus[status]
	}
	return view, nil
}

// closedStatus is a case's status when its result cannot be read.
var closedStatus = map[enumspb.WorkflowExecutionStatus]string{
	enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:        workflows.StatusCompleted,
	enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:         workflows.StatusCancelled,
	enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:       workflows.StatusCancelled,
	enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:           workflows.StatusFailed,
	enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:        workflows.StatusFailed,
	enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: workflows.StatusRunning,
}
