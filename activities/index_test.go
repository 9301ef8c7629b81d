package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/internal/redistest"
)

func TestIndexWorkPutsTheChangeInTheInbox(t *testing.T) {
	db := redistest.New(t)
	a := &activities.Activities{Index: &inbox.Index{Redis: db.Client, Prefix: db.Prefix}}
	ctx := context.Background()
	opened := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	task := inbox.Entry{
		ID: "SP-7K4Q-2PXD/review", Kind: inbox.KindTask, Reference: "SP-7K4Q-2PXD", Service: "permit",
		Step: "review", Queue: "highways", Title: "Review skip permit", OpenedAt: opened, Seq: 1,
	}
	claimed := task
	claimed.Assignee, claimed.Seq = "pat", 2
	for _, e := range []inbox.Entry{task, claimed, task} { // the open write again, late
		if err := a.IndexWork(ctx, e); err != nil {
			t.Fatalf("IndexWork seq %d: %v", e.Seq, err)
		}
	}
	got, ok, err := a.Index.Get(ctx, task.ID)
	if err != nil || !ok || got.Assignee != "pat" || got.Seq != 2 {
		t.Fatalf("index holds %+v (%v, %v), want pat's claim", got, ok, err)
	}
	closed := claimed
	closed.Seq, closed.Closed = 3, true
	if err := a.IndexWork(ctx, closed); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := a.Index.Get(ctx, task.ID); err != nil || ok {
		t.Errorf("after the close the index holds %+v (%v, %v), want nothing", got, ok, err)
	}
}

func TestIndexWorkWithoutAnIndexDoesNothing(t *testing.T) {
	a := &activities.Activities{}
	if err := a.IndexWork(context.Background(), inbox.Entry{ID: "SP-7K4Q-2PXD/review", Kind: inbox.KindTask, Queue: "highways", Seq: 1}); err != nil {
		t.Errorf("IndexWork without an index: %v, want nothing done", err)
	}
}

func TestIndexWorkSaysWhichWorkItCouldNotWrite(t *testing.T) {
	db := redistest.New(t)
	gone := &inbox.Index{Redis: db.Client, Prefix: db.Prefix}
	a := &activities.Activities{Index: gone}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := a.IndexWork(ctx, inbox.Entry{ID: "SP-7K4Q-2PXD/review", Kind: inbox.KindTask, Service: "permit", Queue: "highways", Seq: 1})
	if err == nil || !strings.Contains(err.Error(), "SP-7K4Q-2PXD/review") {
		t.Errorf("IndexWork on a Redis it cannot reach: %v, want an error naming the task", err)
	}
}

// TestIndexWorkDoesNotRetryAnEntryTheIndexCannotHold: a task with no queue
// is refused for good, so the case is not held up by retries; Redis being
// away is worth retrying.
func TestIndexWorkDoesNotRetryAnEntryTheIndexCannotHold(t *testing.T) {
	db := redistest.New(t)
	a := &activities.Activities{Index: &inbox.Index{Redis: db.Client, Prefix: db.Prefix}}
	err := a.IndexWork(context.Background(), inbox.Entry{ID: "SP-7K4Q-2PXD/review", Kind: inbox.KindTask, Seq: 1})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() {
		t.Errorf("IndexWork of a task with no queue: %v, want a non-retryable error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = a.IndexWork(ctx, inbox.Entry{ID: "SP-7K4Q-2PXD/review", Kind: inbox.KindTask, Queue: "highways", Seq: 1})
	if errors.As(err, &app) && app.NonRetryable() {
		t.Errorf("IndexWork on a Redis it cannot reach: %v, want it retried", err)
	}
}
