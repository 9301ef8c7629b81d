package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities/inbox"
)

// localTimeout bounds a local activity (an inbox index write, a due date
// on the calendar), retries included. The index can be rebuilt from the
// cases (`larder reindex`), so a write that cannot be made in this time is
// logged and the case goes on without it.
const localTimeout = 30 * time.Second

// localOptions retry a local activity quickly, within localTimeout.
var localOptions = workflow.LocalActivityOptions{
	ScheduleToCloseTimeout: localTimeout,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: 500 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 5 * time.Second,
	},
}

// taskEntry is the task as the inbox lists it.
func (c *caseRun) taskEntry(t *Task) inbox.Entry {
	return inbox.Entry{
		ID: t.ID, Kind: inbox.KindTask, Reference: c.in.Reference,
		Service: c.in.Recipe.ID, ServiceTitle: c.in.Recipe.Title, Step: t.Step,
		Queue: t.Queue, Title: t.Title, Assignee: t.Assignee, OpenedAt: t.OpenedAt,
		DueAt: t.DueAt, Escalated: t.Escalated, Seq: t.Seq,
	}
}

// incidentEntry is the incident as the inbox lists it: open (Seq 1) until
// resolved or the case ends (Seq 2, closed). Its title is what failed, its
// error the real one, for staff.
func (c *caseRun) incidentEntry(inc *Incident, closed bool) inbox.Entry {
	title := "Step " + inc.Step + " failed"
	if s, ok := c.in.Recipe.StepByID(inc.Step); ok && s.Title != "" {
		title = s.Title
	}
	e := inbox.Entry{
		ID: c.in.Reference + "/" + inc.ID, Kind: inbox.KindIncident, Reference: c.in.Reference,
		Service: c.in.Recipe.ID, ServiceTitle: c.in.Recipe.Title, Step: inc.Step,
		Title: title, OpenedAt: inc.RaisedAt, Error: inc.Error, Seq: 1,
	}
	if closed {
		e.Seq, e.Closed = 2, true
	}
	return e
}

// openTask puts a task just opened in the inbox. A task id used before (a
// step retried at an incident) carries on from the old task's Seq, so the
// index takes it after the old one's close.
func (c *caseRun) openTask(ctx workflow.Context, t *Task) {
	t.Seq = 1
	for _, old := range c.tasks {
		if old != t && old.ID == t.ID && old.Seq >= t.Seq {
			t.Seq = old.Seq + 1
		}
	}
	c.putWork(ctx, c.taskEntry(t))
}

// changeTask writes a change to an open task (claimed, moved).
func (c *caseRun) changeTask(ctx workflow.Context, t *Task) {
	t.Seq++
	c.putWork(ctx, c.taskEntry(t))
}

// closeTask takes a task out of the inbox: completed, or stopped with the
// case or its branch.
func (c *caseRun) closeTask(ctx workflow.Context, t *Task) {
	t.Seq++
	e := c.taskEntry(t)
	e.Closed = true
	c.putWork(ctx, e)
}

// stopTask closes a task the case stopped waiting for (the case was
// cancelled, or a parallel branch failed): no completion can reach it now.
// ctx may be cancelled, so the write goes on a disconnected context.
func (c *caseRun) stopTask(ctx workflow.Context, t *Task) {
	t.stopped = true
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	c.closeTask(dctx, t)
}

// putWork writes one change to the case's open work: the inbox index
// (through the IndexWork local activity), the case's memo of its open
// work, and the queues it has had tasks in. It never fails the case.
// Cases started before inboxIndexChange write nothing.
func (c *caseRun) putWork(ctx workflow.Context, e inbox.Entry) {
	if !c.indexes {
		return
	}
	log := workflow.GetLogger(ctx)
	i := slices.IndexFunc(c.work, func(w inbox.Entry) bool { return w.ID == e.ID })
	switch {
	case e.Closed && i >= 0:
		c.work = slices.Delete(c.work, i, i+1)
	case e.Closed:
	case i >= 0:
		c.work[i] = e
	default:
		c.work = append(c.work, e)
	}
	if e.Queue != "" && !slices.Contains(c.queues, e.Queue) {
		c.queues = append(c.queues, e.Queue)
		if err := workflow.UpsertTypedSearchAttributes(ctx, QueuesKey.ValueSet(slices.Clone(c.queues))); err != nil {
			log.Warn("queues not listed on the case", "queue", e.Queue, "error", err)
		}
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{WorkMemo: slices.Clone(c.work)}); err != nil {
		log.Warn("open work not kept in the case's memo", "work", e.ID, "error", err)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, localOptions)
	if err := workflow.ExecuteLocalActivity(lctx, a.IndexWork, e).Get(lctx, nil); err != nil {
		log.Warn("inbox index not written; `larder reindex` rebuilds it", "work", e.ID, "seq", e.Seq, "error", err)
	}
}

// closeWork ends the case's open work as the case closes: any task or
// incident still open leaves the inbox, update handlers still writing
// finish, and the memo records how the case ended.
func (c *caseRun) closeWork(ctx workflow.Context) {
	if !c.indexes {
		return
	}
	for _, t := range c.tasks {
		if t.Completion == nil && !t.stopped {
			t.stopped = true
			c.closeTask(ctx, t)
		}
	}
	for _, inc := range c.incidents {
		if inc.Resolution == nil && !inc.stopped {
			inc.stopped = true
			c.putWork(ctx, c.incidentEntry(inc, true))
		}
	}
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	if c.quietClose && len(c.tasks) == 0 && len(c.incidents) == 0 {
		// Nothing of this case was ever in the inbox or its memo, and
		// Temporal's status says how it ended.
		return
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{WorkMemo: []inbox.Entry{}, StatusMemo: c.status}); err != nil {
		workflow.GetLogger(ctx).Warn("case status not kept in its memo", "error", err)
	}
}
