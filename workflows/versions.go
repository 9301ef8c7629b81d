package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// Changes to the interpreter that would break cases in flight go behind
// workflow.GetVersion, one change id each. Recorded histories in
// testdata/histories are named for the interpreter version that recorded
// them (step-call.v2.json); files without a version were recorded by v0 or
// v1, before versions were named:
//
//	v0  the first interpreter: activities numbered in order, a step that
//	    fails with nowhere to route fails the case, a wait keeps its
//	    correlation key
//	v1  stepIncidentsChange, forgetKeysChange
//	v2  stepActivityIDsChange
//	v3  inboxIndexChange
//	v4  undoIncidentsChange, boundedMessagesChange
//	v5  inboxIndexChange version 2: a case that never had a task or an
//	    incident writes no memo as it closes
//	v6  localCallsChange
//
// Every change keeps a recorded history of its old branch; the replay
// test checks that one is named for each change in changes.
const (
	// stepIncidentsChange makes a step's unrouted failure an incident
	// rather than the end of the case.
	stepIncidentsChange = "step-incidents"
	// forgetKeysChange takes a correlation key off the case once its wait
	// is over, so later messages with it find no case.
	forgetKeysChange = "forget-correlation-keys"
	// stepActivityIDsChange names each activity for the step instance that
	// runs it, so replaying a history against a recipe whose steps were
	// reordered fails instead of handing one step's result to another.
	stepActivityIDsChange = "step-activity-ids"
	// inboxIndexChange has the case write its open work to the inbox
	// index (a local activity per change), to its memo and to the
	// LarderQueues search attribute.
	inboxIndexChange = "inbox-index"
	// undoIncidentsChange raises an incident when an undo fails, where
	// the case used to note it and go on.
	undoIncidentsChange = "undo-incidents"
	// boundedMessagesChange drops the oldest message a case holds that no
	// wait has taken, once it holds more than MaxQueuedMessages.
	boundedMessagesChange = "bounded-messages"
	// localCallsChange runs quick calls, their undos and emails as local
	// activities: in the workflow task that reached them, with a marker
	// in the history instead of a round trip through the server.
	localCallsChange = "local-calls"
)

// changes lists every change id, oldest first.
var changes = []string{stepIncidentsChange, forgetKeysChange, stepActivityIDsChange, inboxIndexChange, undoIncidentsChange, boundedMessagesChange, localCallsChange}

// namesActivities asks, once per case at its start, whether the case names
// its activities for their steps: cases started before the change keep
// Temporal's sequence numbers to the end, so a case runs on one scheme.
func namesActivities(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, stepActivityIDsChange, workflow.DefaultVersion, 1) == 1
}

// activityID names the activity a step instance runs after its idempotency
// key, less the case reference: "raise", "book-2" (the second visit in a
// loop), "book/undo", "review/escalation", "payment/pay/undo" (an undo a
// child case handed up). A name used again within one visit, when staff
// retry an incident, gets "#2", "#3". It is empty, so Temporal numbers
// the activity, for cases started before stepActivityIDsChange.
func (c *caseRun) activityID(key string) string {
	if !c.namedActivities {
		return ""
	}
	name := strings.TrimLeft(strings.TrimPrefix(key, c.in.Reference), "./")
	c.activityNames[name]++
	if n := c.activityNames[name]; n > 1 {
		return fmt.Sprintf("%s#%d", name, n)
	}
	return name
}

// indexesWork asks, once per case at its start, whether the case writes
// its open work to the inbox index (version 1 on): cases started before
// the change never do, so the index never holds half of one. From
// version 2 a case that never had work closes without a memo, one history
// event fewer: Temporal's own status tells how such a case ended.
func indexesWork(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, inboxIndexChange, workflow.DefaultVersion, 2)
}

// runsCallsLocally asks, once per case at its start, whether the case runs
// quick calls and emails as local activities (see runActivity); cases started
// before the change keep scheduling activities to the end.
func runsCallsLocally(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, localCallsChange, workflow.DefaultVersion, 1) == 1
}
