package workflows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

// TestCaseKeepsAtMostMaxQueuedMessagesNobodyWaitsFor: a case keeps the
// newest workflows.MaxQueuedMessages messages no wait has taken; a flood
// of messages drops the oldest, and one sent after the flood still gets
// through.
// Security review, "And then": messages nobody waits for pile up in a
// case; bound them.
func TestCaseKeepsAtMostMaxQueuedMessagesNobodyWaitsFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flood int
		// takenAt is when the wait takes a "collected" message, after collectionDay.
		takenAt time.Duration
	}{
		{"the early message fits", workflows.MaxQueuedMessages - 1, 0},
		{"the early message is dropped", workflows.MaxQueuedMessages, 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newStepCase(t)
			sc.listensOn("BK-1001")
			sc.env.RegisterDelayedCallback(func() {
				sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-1001"})
				for i := range tc.flood {
					sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: fmt.Sprintf("BK-%d", 5000+i)})
				}
			}, 10*time.Minute)
			sc.env.RegisterDelayedCallback(func() {
				sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-1001"})
			}, collectionDay.Add(2*time.Hour).Sub(started))

			sc.run(t, "step-wait", nil)

			sc.completed(t, "Items collected")
			if got, want := eventAt(t, sc.view(t), "collected"), collectionDay.Add(tc.takenAt); !got.Equal(want) {
				t.Errorf("message taken at %v, want %v", got, want)
			}
		})
	}
}
