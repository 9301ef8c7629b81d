package cases

import (
	"context"
	"fmt"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows"
)

// AssignTask claims, releases or reassigns a task; a refusal (someone else
// claimed it meanwhile, the task has closed) is a *RefusedError.
func (c *Client) AssignTask(ctx context.Context, ref string, a workflows.Assignment) error {
	_, err := c.update(ctx, ref, workflows.AssignTask, a)
	return err
}

// AddNote adds a note to a task; a refusal is a *RefusedError.
func (c *Client) AddNote(ctx context.Context, ref string, n workflows.TaskNote) error {
	_, err := c.update(ctx, ref, workflows.AddNote, n)
	return err
}

// openWorkPage is how many cases OpenWork asks visibility for at a time.
const openWorkPage = 1000

// OpenWork lists every open task and incident of running cases from
// Temporal's visibility, for rebuilding the inbox index: each case keeps
// its open work in its memo, so no case is asked a query. Cases started
// before cases kept it have none.
func (c *Client) OpenWork(ctx context.Context) ([]inbox.Entry, error) {
	query := fmt.Sprintf("WorkflowType = %s AND ExecutionStatus = 'Running'", quote(workflows.CaseWorkflow))
	dc := converter.GetDefaultDataConverter()
	var out []inbox.Entry
	var token []byte
	for {
		resp, err := c.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: c.Namespace, PageSize: openWorkPage, NextPageToken: token, Query: query,
		})
		if err != nil {
			return nil, fmt.Errorf("open work: list running cases: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			p := e.GetMemo().GetFields()[workflows.WorkMemo]
			if p == nil {
				continue
			}
			var work []inbox.Entry
			if err := dc.FromPayload(p, &work); err != nil {
				c.log().WarnContext(ctx, "open work of a case unreadable; left out of the inbox", "reference", e.GetExecution().GetWorkflowId(), "err", err)
				continue
			}
			out = append(out, work...)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// Reindex rebuilds the inbox index from the open work of running cases
// (OpenWork) and returns how many entries it holds now.
func (c *Client) Reindex(ctx context.Context, ix *inbox.Index) (int, error) {
	work, err := c.OpenWork(ctx)
	if err != nil {
		return 0, err
	}
	if err := ix.Replace(ctx, work); err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	return len(work), nil
}
