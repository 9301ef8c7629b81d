package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// View is the case's progress as its resident may see it. When no worker
// answers, residents still get the case's status from Temporal's record.
func (c *Client) View(ctx context.Context, ref string) (workflows.CaseView, error) {
	var view workflows.CaseView
	err := c.ask(ctx, ref, workflows.CaseQuery, &view)
	if err == nil || errors.Is(err, ErrNoCase) {
		return view, err
	}
	summary, serr := c.summary(ctx, ref)
	if serr != nil {
		return view, err
	}
	c.log().WarnContext(ctx, "case progress from its status only", "reference", ref, "err", err)
	return summary, nil
}

// Detail is the case as staff see it: tasks, incidents, waits, answers
// (sensitive ones redacted), variables and step results.
func (c *Client) Detail(ctx context.Context, ref string) (workflows.CaseDetail, error) {
	var d workflows.CaseDetail
	return d, c.ask(ctx, ref, workflows.DetailQuery, &d)
}

// SensitiveDetail is Detail with the answers to sensitive questions, for
// staff whose role may see them.
func (c *Client) SensitiveDetail(ctx context.Context, ref string) (workflows.CaseDetail, error) {
	var d workflows.CaseDetail
	return d, c.ask(ctx, ref, workflows.SensitiveDetailQuery, &d)
}

// Recipe is the recipe snapshot the case runs: the version it started
// with, whatever the service's recipe is now.
func (c *Client) Recipe(ctx context.Context, ref string) (*recipe.Recipe, error) {
	var r recipe.Recipe
	if err := c.ask(ctx, ref, workflows.RecipeQuery, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ask runs a query on the case with the reference and decodes its answer.
func (c *Client) ask(ctx context.Context, ref, query string, out any) error {
	if !ValidReference(ref) {
		return ErrNoCase
	}
	v, err := c.query(ctx, ref, query)
	if err != nil {
		return err
	}
	if err := v.Get(out); err != nil {
		return fmt.Errorf("query case: %w", err)
	}
	return nil
}

// query asks a case a question. A case paused on a task or a call is still
// tied to the worker that last ran it; if that worker has gone (a crash or a
// restart), the server either waits for it or says no poller has been seen,
// so on either answer the tie is cut and the query goes to any worker.
func (c *Client) query(ctx context.Context, ref, name string) (converter.EncodedValue, error) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := c.Temporal.QueryWorkflow(qctx, ref, "", name)
	cancel()
	if err == nil {
		return v, nil
	}
	if !workerGone(err) {
		return nil, notFound(err)
	}
	// A closed case has no tie to cut and answers NotFound here; the query
	// is asked again either way.
	_, _ = c.Temporal.WorkflowService().ResetStickyTaskQueue(ctx, &workflowservice.ResetStickyTaskQueueRequest{
		Namespace: c.Namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: ref},
	})
	qctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if v, err = c.Temporal.QueryWorkflow(qctx, ref, "", name); err != nil {
		return nil, notFound(err)
	}
	return v, nil
}

// workerGone reports whether a query failed because the worker the case is
// tied to did not answer: a deadline on either side, or matching's "no
// poller seen for task queue recently".
func workerGone(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var precondition *serviceerror.FailedPrecondition
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) || errors.As(err, &precondition)
}

// summary is what Temporal itself records of a case, for when no worker
// answers the case's query (workers restarting, or all down): its status
// and, once it has closed, its outcome. No timeline.
func (c *Client) summary(ctx context.Context, ref string) (workflows.CaseView, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	d, err := c.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	if err != nil {
		return workflows.CaseView{}, notFound(err)
	}
	view := workflows.CaseView{
		Reference: ref, Status: workflows.StatusRunning, SummaryOnly: true,
		CurrentSteps: []string{}, Timeline: []workflows.Event{},
	}
	if r := c.recipeByPrefix(ref); r != nil {
		view.Service = r.ID
	}
	status := d.GetWorkflowExecutionInfo().GetStatus()
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return view, nil
	}
	// A closed case's result is in its history: reading it needs no worker.
	var res workflows.CaseResult
	var app *temporal.ApplicationError
	if err := c.Temporal.GetWorkflow(ctx, ref, "").Get(ctx, &res); errors.As(err, &app) && app.HasDetails() {
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
