package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// maxLocalTimeout is the longest attempt a call or email may take and still
// run as a local activity. A longer one is scheduled as an activity, so a
// worker that dies during it hands it on without waiting for the attempt.
const maxLocalTimeout = time.Minute

// localWindow bounds all the attempts of a local activity; its retry
// policy's attempts end it long before.
var localWindow = 7 * 24 * time.Hour

// runActivity runs fn, the activity of the step instance named by key (its
// idempotency key), under opts. In cases on localCallsChange an attempt
// that fits maxLocalTimeout runs as a local activity: in the worker that
// runs the case, in the same workflow task, recorded as one marker. Its
// effects stay once-only under crashes as an activity's do: a worker that
// dies before the workflow task completes leaves no marker, so the next
// worker runs the attempt again with the same idempotency key, which the
// connector and the mailer honour.
func (c *caseRun) runActivity(ctx workflow.Context, key string, opts workflow.ActivityOptions, fn any, args ...any) workflow.Future {
	if c.localCalls && opts.StartToCloseTimeout <= maxLocalTimeout {
		return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout:    opts.StartToCloseTimeout,
			ScheduleToCloseTimeout: localWindow,
			RetryPolicy:            opts.RetryPolicy,
		}), fn, args...)
	}
	opts.ActivityID = c.activityID(key)
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), fn, args...)
}
