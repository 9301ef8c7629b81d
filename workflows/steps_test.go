package workflows_test

import (
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/mail"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// stepsDir holds one small recipe per step kind, and all.yaml with every kind.
const stepsDir = "recipe/testdata/steps"

// stepRef is the reference of every case in these tests.
const stepRef = "BK-TEST-0001"

// started is when every case in these tests starts, on the test clock.
var started = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// wasteConnectors is connectors.yaml for the step recipes: one connector, waste.
type wasteConnectors map[string][]string

func (w wasteConnectors) Operations(name string) ([]string, bool) {
	ops, ok := w[name]
	return ops, ok
}

var stepConnectors = wasteConnectors{"waste": {
	"get_property", "find_properties", "book_collection", "cancel_booking", "notify_crew",
	"reserve_vehicle", "release_vehicle", "close_request", "take_payment", "refund_payment",
}}

// stepRecipe loads the step recipes as a folder, so subrecipes resolve, and
// returns the one with the given id.
func stepRecipe(t *testing.T, id string) *recipe.Recipe {
	t.Helper()
	rs, err := recipe.LoadDir(stepsDir, stepConnectors)
	if err != nil {
		t.Fatalf("load %s: %v", stepsDir, err)
	}
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no recipe %q in %s", id, stepsDir)
	return nil
}

// stepCase runs one step recipe against mocked activities on the test clock.
type stepCase struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	mu     sync.Mutex
	emails []mail.Message
	calls  []activities.CallRequest
	at     []time.Time
}

func newStepCase(t *testing.T) *stepCase {
	t.Helper()
	sc := &stepCase{}
	sc.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	sc.env = sc.NewTestWorkflowEnvironment()
	sc.env.SetStartTime(started)
	sc.env.RegisterActivity(&activities.Activities{})
	// A subrecipe starts its child by name.
	sc.env.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	sc.env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(nil).Maybe().Run(func(args mock.Arguments) {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.emails = append(sc.emails, args.Get(1).(mail.Message))
	})
	return sc
}

// on answers every call of op with out and err, recording each attempt.
func (sc *stepCase) on(op string, out map[string]any, err error) *testsuite.MockCallWrapper {
	return sc.onMatch(operation(op), out, err)
}

// onMatch answers calls the matcher accepts, recording each attempt.
func (sc *stepCase) onMatch(req any, out map[string]any, err error) *testsuite.MockCallWrapper {
	return sc.env.OnActivity(a.Call, mock.Anything, req).Return(out, err).Run(func(args mock.Arguments) {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		sc.calls = append(sc.calls, args.Get(1).(activities.CallRequest))
		sc.at = append(sc.at, sc.env.Now())
	})
}

// operations lists the operations called, in order, one per attempt.
func (sc *stepCase) operations() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var ops []string
	for _, c := range sc.calls {
		ops = append(ops, c.Operation)
	}
	return ops
}

// run starts recipe id with its example answers, changed by overrides, and
// runs it to the end.
func (sc *stepCase) run(t *testing.T, id string, overrides map[string]any) {
	t.Helper()
	r := stepRecipe(t, id)
	answers := map[string]any{}
	for _, f := range r.Fields() {
		answers[f.ID] = f.Example
	}
	for k, v := range overrides {
		answers[k] = v
	}
	sc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{
		Reference: stepRef, Recipe: *r, Answers: answers, SubmittedAt: started,
	})
	if !sc.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
}

func (sc *stepCase) view(t *testing.T) workflows.CaseView {
	t.Helper()
	v, err := sc.env.QueryWorkflow(workflows.CaseQuery)
	if err != nil {
		t.Fatalf("query %s: %v", workflows.CaseQuery, err)
	}
	var view workflows.CaseView
	if err := v.Get(&view); err != nil {
		t.Fatal(err)
	}
	return view
}

func (sc *stepCase) detail(t *testing.T) workflows.CaseDetail {
	t.Helper()
	v, err := sc.env.QueryWorkflow(workflows.DetailQuery)
	if err != nil {
		t.Fatalf("query %s: %v", workflows.DetailQuery, err)
	}
	var d workflows.CaseDetail
	if err := v.Get(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// completed checks the case completed with the outcome.
func (sc *stepCase) completed(t *testing.T, outcome string) {
	t.Helper()
	if err := sc.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var res workflows.CaseResult
	if err := sc.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusCompleted || res.Outcome != outcome {
		t.Errorf("result = %s %q, want completed %q", res.Status, res.Outcome, outcome)
	}
}

// stepResult is steps.<id> as the detail query shows it.
func stepResult(t *testing.T, d workflows.CaseDetail, id string) map[string]any {
	t.Helper()
	m, ok := d.Steps[id].(map[string]any)
	if !ok {
		t.Fatalf("steps.%s = %#v, want a result", id, d.Steps[id])
	}
	return m
}

// update is what the complete-task update said.
type update struct {
	rejected  error
	accepted  bool
	completed bool
	result    any
	err       error
}

// complete sends the complete-task update now.
func (sc *stepCase) complete(c workflows.Completion) *update {
	u := &update{}
	sc.env.UpdateWorkflow(workflows.CompleteTask, "", &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { u.rejected = err },
		OnAccept:   func() { u.accepted = true },
		OnComplete: func(v any, err error) { u.completed, u.result, u.err = true, v, err },
	}, c)
	return u
}

func (u *update) mustReject(t *testing.T, what, want string) {
	t.Helper()
	switch {
	case u == nil || (u.rejected == nil && !u.accepted):
		t.Errorf("%s: never answered, want refused by the validator", what)
	case u.rejected == nil:
		t.Errorf("%s: accepted, want refused by the validator", what)
	default:
		if !strings.Contains(u.rejected.Error(), want) {
			t.Errorf("%s: refused with %q, want it to say %q", what, u.rejected, want)
		}
	}
}

func refused(code, msg string) error {
	return temporal.NewNonRetryableApplicationError("connector waste: "+msg, activities.RefusedError, nil,
		connectors.Error{Status: 422, Code: code, Message: msg})
}

func outage() error {
	return temporal.NewApplicationError("the waste system is temporarily unavailable", "ConnectorUnavailable",
		connectors.Error{Status: 503, Code: "unavailable", Message: "the waste system is temporarily unavailable"})
}

func TestStepRecipesLoad(t *testing.T) {
	rs, err := recipe.LoadDir(stepsDir, stepConnectors)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 14 {
		t.Errorf("loaded %d recipes, want 14", len(rs))
	}
	all := stepRecipe(t, "bulky-waste")
	seen := map[string]bool{}
	var visit func([]recipe.Step)
	visit = func(steps []recipe.Step) {
		for _, s := range steps {
			seen[s.Kind()] = true
			if s.Parallel != nil {
				for _, b := range s.Parallel.Branches {
					visit(b.Steps)
				}
			}
		}
	}
	visit(all.Steps)
	for _, k := range recipe.StepKinds {
		if !seen[k] {
			t.Errorf("all.yaml has no %s step", k)
		}
	}
	if all.Subrecipes["bulky-fee"] == nil || stepRecipe(t, "step-subrecipe").Subrecipes["bulky-fee"] == nil {
		t.Error("the loader did not attach the bulky-fee snapshot to the recipes that run it")
	}
}

func TestCallStepRetriesOutageWithTheSameKey(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", nil, outage()).Twice()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "book_collection" && req.Connector == "waste" &&
			req.Input["uprn"] == "100001000001" && req.Input["items"] == "Sofa, fridge"
	}), map[string]any{"id": "BK-1"}, nil).Once()

	sc.run(t, "step-call", nil)

	sc.completed(t, "Collection booked")
	if len(sc.calls) != 3 {
		t.Fatalf("book_collection tried %d times, want 3", len(sc.calls))
	}
	for _, c := range sc.calls {
		if c.IdempotencyKey != stepRef+"/book" {
			t.Errorf("attempt keyed %q, want %s/book on every attempt", c.IdempotencyKey, stepRef)
		}
	}
	if gap := sc.at[1].Sub(sc.at[0]); gap != 2*time.Second {
		t.Errorf("first retry after %v, want the recipe's interval 2s", gap)
	}
	if gap := sc.at[2].Sub(sc.at[1]); gap != 4*time.Second {
		t.Errorf("second retry after %v, want 4s (doubled)", gap)
	}
	if got := stepResult(t, sc.detail(t), "book")["id"]; got != "BK-1" {
		t.Errorf("steps.book.id = %v, want BK-1", got)
	}
	sc.env.AssertExpectations(t)
}

func TestCallStepRefusalTakesOnError(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", nil, refused("too_many_items", "too many items")).Once()
	sc.on("cancel_booking", nil, nil).Never()

	sc.run(t, "step-call", nil)

	sc.completed(t, "Booking not accepted")
	e, _ := stepResult(t, sc.detail(t), "book")["error"].(map[string]any)
	if e["code"] != "too_many_items" || e["message"] != "too many items" || e["status"] != float64(422) {
		t.Errorf("steps.book.error = %v, want the system's refusal", e)
	}
	sc.env.AssertExpectations(t)
}

func TestCallStepOutageBeyondMaxAttemptsRaisesIncident(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", nil, outage()).Times(3)
	var resolved *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Incidents) != 1 || d.Incidents[0].ID != "book-1" || d.Incidents[0].Code != "unavailable" {
			t.Errorf("incidents = %+v, want one open incident book-1", d.Incidents)
		}
		resolved = &update{}
		sc.env.UpdateWorkflow(workflows.ResolveIncident, "", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { resolved.rejected = err },
			OnAccept:   func() { resolved.accepted = true },
			OnComplete: func(any, error) {},
		}, workflows.Resolution{IncidentID: "book-1", Action: workflows.ActionSkip, Value: map[string]any{"id": "BK-BY-PHONE"}, By: "alex"})
	}, time.Hour)

	sc.run(t, "step-call", nil)

	if resolved == nil || !resolved.accepted {
		t.Fatalf("resolution not accepted: %+v", resolved)
	}
	sc.completed(t, "Collection booked")
	if got := stepResult(t, sc.detail(t), "book")["id"]; got != "BK-BY-PHONE" {
		t.Errorf("steps.book.id = %v, want the value staff gave", got)
	}
	sc.env.AssertExpectations(t)
}

func TestEmailStepRendersEveryPart(t *testing.T) {
	sc := newStepCase(t)

	sc.run(t, "step-email", nil)

	sc.completed(t, "Request received")
	if len(sc.emails) != 1 {
		t.Fatalf("sent %d emails, want 1", len(sc.emails))
	}
	m := sc.emails[0]
	if m.Key != stepRef+"/confirm" || m.To != "sam@example.com" || m.Subject != "Bulky waste request "+stepRef {
		t.Errorf("sent %q to %q keyed %q", m.Subject, m.To, m.Key)
	}
	if !strings.HasPrefix(m.Text, "Dear Sam Resident,\n") || !strings.Contains(m.Text, "request "+stepRef+".") {
		t.Errorf("text not rendered:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, "<strong>"+stepRef+"</strong>") {
		t.Errorf("html not rendered: %s", m.HTML)
	}
	if got := kinds(sc.view(t)); got != "submitted email end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

func TestTaskStepCompletedByStaff(t *testing.T) {
	sc := newStepCase(t)
	taskID := stepRef + "/review"
	var unknown, badOutcome, nobody, good *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Tasks) != 1 {
			t.Fatalf("tasks = %+v, want one", d.Tasks)
		}
		task := d.Tasks[0]
		if task.ID != taskID || task.Queue != "waste-team" || task.Title != "Check bulky items for "+stepRef ||
			!strings.Contains(task.Instructions, "listed: Sofa, fridge.") || task.Completion != nil || task.Escalated {
			t.Errorf("task = %+v", task)
		}
		if task.DueAt == nil || !task.DueAt.Equal(started.Add(48*time.Hour)) {
			t.Errorf("task due %v, want 48h after it opened", task.DueAt)
		}
		if len(task.Fields) != 1 || task.Fields[0].ID != "crew_notes" {
			t.Errorf("task fields = %+v, want crew_notes", task.Fields)
		}
		if !slices.Equal(d.CurrentSteps, []string{"review"}) {
			t.Errorf("current steps = %v, want [review]", d.CurrentSteps)
		}
		unknown = sc.complete(workflows.Completion{TaskID: stepRef + "/nope", Outcome: "approve", By: "alex"})
		badOutcome = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "maybe", By: "alex"})
		nobody = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "approve"})
		good = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "approve", By: "alex",
			Values: map[string]any{"crew_notes": "Fridge is in the front garden"}})
	}, 2*time.Hour)

	sc.run(t, "step-task", nil)

	unknown.mustReject(t, "unknown task", `no task "`+stepRef+`/nope"`)
	badOutcome.mustReject(t, "outcome the task does not offer", `has no outcome "maybe"`)
	nobody.mustReject(t, "completion without who", "say who")
	if good.rejected != nil || !good.completed || good.err != nil || good.result != "approve" {
		t.Errorf("completion: %+v, want accepted with result approve", good)
	}
	sc.completed(t, "Request approved")
	d := sc.detail(t)
	res := stepResult(t, d, "review")
	if res["outcome"] != "approve" || res["by"] != "alex" {
		t.Errorf("steps.review = %v", res)
	}
	if v, _ := res["values"].(map[string]any); v["crew_notes"] != "Fridge is in the front garden" {
		t.Errorf("steps.review.values = %v", res["values"])
	}
	if c := d.Tasks[0].Completion; c == nil || !c.At.Equal(started.Add(2*time.Hour)) {
		t.Errorf("completion = %+v, want stamped at the time of the update", c)
	}
	if len(sc.emails) != 0 {
		t.Errorf("sent %d emails for a task done in time, want no escalation", len(sc.emails))
	}
	sc.env.AssertExpectations(t)
}

func TestTaskStepEscalatesAndStaysOpen(t *testing.T) {
	sc := newStepCase(t)
	taskID := stepRef + "/review"
	sc.env.RegisterDelayedCallback(func() {
		if task := sc.detail(t).Tasks[0]; task.Escalated || task.Queue != "waste-team" || len(sc.emails) != 0 {
			t.Errorf("before 24h: task %+v, %d emails; want not escalated", task, len(sc.emails))
		}
	}, 23*time.Hour)
	var done *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		task := d.Tasks[0]
		if !task.Escalated || task.Queue != "waste-supervisors" || task.Completion != nil {
			t.Errorf("after 24h: task = %+v, want escalated to waste-supervisors and still open", task)
		}
		if !slices.Equal(d.CurrentSteps, []string{"review"}) {
			t.Errorf("current steps = %v, want [review]: escalating does not close the task", d.CurrentSteps)
		}
		sc.mu.Lock()
		sent := slices.Clone(sc.emails)
		sc.mu.Unlock()
		if len(sent) != 1 {
			t.Fatalf("sent %d emails, want the escalation", len(sent))
		}
		if m := sent[0]; m.To != "waste-supervisors@larchester.gov.uk" || m.Key != taskID+"/escalation" ||
			m.Subject != "Overdue bulky waste check "+stepRef {
			t.Errorf("escalation email %q to %q keyed %q", m.Subject, m.To, m.Key)
		}
		done = sc.complete(workflows.Completion{TaskID: taskID, Outcome: "reject", By: "sup"})
	}, 25*time.Hour)

	sc.run(t, "step-task", nil)

	if done == nil || !done.completed || done.rejected != nil {
		t.Fatalf("completing the escalated task: %+v", done)
	}
	sc.completed(t, "Request rejected")
	if len(sc.emails) != 1 {
		t.Errorf("sent %d emails, want one escalation", len(sc.emails))
	}
	if got := kinds(sc.view(t)); got != "submitted task escalated task end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

func TestDecideStepTakesFirstBranchThatHolds(t *testing.T) {
	for _, tc := range []struct {
		count, concession, outcome string
	}{
		{"9", "yes", "Free collection"},
		{"9", "no", "Large collection"},
		{"6", "no", "Large collection"},
		{"5", "no", "Standard collection"},
	} {
		t.Run(tc.count+"_"+tc.concession, func(t *testing.T) {
			sc := newStepCase(t)
			sc.run(t, "step-decide", map[string]any{"item_count": tc.count, "concession": tc.concession})
			sc.completed(t, tc.outcome)
			sc.env.AssertExpectations(t)
		})
	}
}

func TestParallelStepRunsBranchesAndJoins(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", map[string]any{"id": "BK-1"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "notify_crew" && req.Input["booking"] == "BK-1"
	}), map[string]any{}, nil).Once()
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once().After(2 * time.Hour)
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "close_request" && req.Input["booking"] == "BK-1" && req.Input["vehicle"] == "VAN-7"
	}), map[string]any{}, nil).Once()
	sc.env.RegisterDelayedCallback(func() {
		if got := sc.view(t).CurrentSteps; !slices.Equal(got, []string{"arrange", "crew", "vehicle"}) {
			t.Errorf("current steps at 1h = %v, want [arrange crew vehicle]", got)
		}
	}, time.Hour)

	sc.run(t, "step-parallel", nil)

	sc.completed(t, "Collection arranged")
	ops := sc.operations()
	if len(ops) != 4 || ops[3] != "close_request" {
		t.Errorf("operations = %v, want close_request once, after both branches", ops)
	}
	if got := sc.at[len(sc.at)-1]; got.Before(started.Add(2 * time.Hour)) {
		t.Errorf("close_request at %v, before the slow branch finished", got)
	}
	if len(sc.emails) != 1 || sc.emails[0].Key != stepRef+"/confirm" {
		t.Errorf("emails = %+v, want the confirmation once", sc.emails)
	}
	if got := sc.view(t).CurrentSteps; len(got) != 0 {
		t.Errorf("current steps after the end = %v", got)
	}
	sc.env.AssertExpectations(t)
}

// listensOn expects the case to add exactly these correlation keys.
func (sc *stepCase) listensOn(keys ...string) {
	sc.env.OnUpsertTypedSearchAttributes(mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		got, ok := sa.GetKeywordList(workflows.CorrelationKeys)
		return ok && slices.Equal(got, keys)
	})).Return(nil).Once()
}

// collectionDay is 07:00 on the example collection date.
var collectionDay = time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)

// eventAt is when the timeline says the step finished.
func eventAt(t *testing.T, v workflows.CaseView, step string) time.Time {
	t.Helper()
	for _, e := range v.Timeline {
		if e.Step == step {
			return e.At
		}
	}
	t.Fatalf("no timeline event for %s: %+v", step, v.Timeline)
	return time.Time{}
}

func TestWaitStepTimersRunOut(t *testing.T) {
	sc := newStepCase(t)
	sc.listensOn("BK-1001")
	sc.env.RegisterDelayedCallback(func() {
		w := sc.detail(t).Waiting
		if len(w) != 1 || w[0].Step != "cooling_off" || w[0].Until == nil || !w[0].Until.Equal(started.Add(time.Hour)) {
			t.Errorf("waiting = %+v, want cooling_off until %v", w, started.Add(time.Hour))
		}
	}, 30*time.Minute)
	sc.env.RegisterDelayedCallback(func() {
		w := sc.detail(t).Waiting
		if len(w) != 1 || w[0].Step != "collection_day" || w[0].Until == nil || !w[0].Until.Equal(collectionDay) {
			t.Errorf("waiting = %+v, want collection_day until %v", w, collectionDay)
		}
	}, 24*time.Hour)

	sc.run(t, "step-wait", nil)

	sc.completed(t, "Collection missed")
	d := sc.detail(t)
	for _, id := range []string{"cooling_off", "collection_day", "collected"} {
		if got := stepResult(t, d, id)["timed_out"]; got != true {
			t.Errorf("steps.%s.timed_out = %v, want true", id, got)
		}
	}
	for step, want := range map[string]time.Time{
		"cooling_off":    started.Add(time.Hour),
		"collection_day": collectionDay,
		"collected":      collectionDay.Add(72 * time.Hour),
	} {
		if got := eventAt(t, d.CaseView, step); !got.Equal(want) {
			t.Errorf("%s finished at %v, want %v", step, got, want)
		}
	}
	if len(d.Waiting) != 0 {
		t.Errorf("still waiting on %+v after the end", d.Waiting)
	}
	sc.env.AssertExpectations(t)
}

func TestWaitStepMessageRoutesToOnMessage(t *testing.T) {
	sc := newStepCase(t)
	sc.listensOn("BK-1001")
	sc.env.RegisterDelayedCallback(func() {
		w := sc.detail(t).Waiting
		if len(w) != 1 || w[0].Message != "collected" || w[0].Correlation != "BK-1001" {
			t.Errorf("waiting = %+v, want the collected message for BK-1001", w)
		}
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-9999", Data: map[string]any{"crew": "wrong"}})
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "missed", Correlation: "BK-1001"})
	}, collectionDay.Add(time.Hour).Sub(started))
	sc.env.RegisterDelayedCallback(func() {
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-1001", Data: map[string]any{"crew": "North 2"}})
	}, collectionDay.Add(2*time.Hour).Sub(started))

	sc.run(t, "step-wait", nil)

	sc.completed(t, "Items collected")
	d := sc.detail(t)
	res := stepResult(t, d, "collected")
	if msg, _ := res["message"].(map[string]any); res["timed_out"] != false || msg["crew"] != "North 2" {
		t.Errorf("steps.collected = %v, want the message from crew North 2", res)
	}
	if got := eventAt(t, d.CaseView, "collected"); !got.Equal(collectionDay.Add(2 * time.Hour)) {
		t.Errorf("message heard at %v, want when it arrived", got)
	}
	sc.env.AssertExpectations(t)
}

func TestWaitStepKeepsMessageThatCameEarly(t *testing.T) {
	sc := newStepCase(t)
	sc.listensOn("BK-1001")
	sc.env.RegisterDelayedCallback(func() {
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-1001"})
	}, 10*time.Minute)

	sc.run(t, "step-wait", nil)

	sc.completed(t, "Items collected")
	if got := eventAt(t, sc.view(t), "collected"); !got.Equal(collectionDay) {
		t.Errorf("message taken at %v, want as soon as the wait began at %v", got, collectionDay)
	}
	sc.env.AssertExpectations(t)
}

func TestSetStepAssignsVars(t *testing.T) {
	sc := newStepCase(t)

	sc.run(t, "step-set", nil)

	sc.completed(t, "Priced")
	want := map[string]any{"base_fee": float64(30), "extra": float64(16), "fee": float64(46), "summary": "5 items for £46"}
	d := sc.detail(t)
	for k, v := range want {
		if d.Vars[k] != v {
			t.Errorf("vars.%s = %#v, want %#v", k, d.Vars[k], v)
		}
	}
	var res workflows.CaseResult
	_ = sc.env.GetWorkflowResult(&res)
	if res.Vars["fee"] != float64(46) {
		t.Errorf("result vars = %v, want fee 46", res.Vars)
	}
	sc.env.AssertExpectations(t)
}

func TestSubrecipeRunsChildCase(t *testing.T) {
	sc := newStepCase(t)
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "take_payment" && req.Input["amount"] == float64(46) &&
			req.Input["email"] == "sam@example.com" && req.IdempotencyKey == stepRef+".payment/pay"
	}), map[string]any{"payment_id": "PAY-1"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "book_collection" && req.Input["payment"] == "PAY-1" && req.Input["paid"] == "Paid"
	}), map[string]any{"id": "BK-1"}, nil).Once()

	sc.run(t, "step-subrecipe", nil)

	sc.completed(t, "Collection booked")
	res := stepResult(t, sc.detail(t), "payment")
	if res["status"] != workflows.StatusCompleted || res["outcome"] != "Paid" {
		t.Errorf("steps.payment = %v, want completed with outcome Paid", res)
	}
	sc.env.AssertExpectations(t)
}

func TestSubrecipeChildFailureTakesOnError(t *testing.T) {
	sc := newStepCase(t)
	sc.on("take_payment", nil, refused("card_declined", "card declined")).Once()
	sc.on("book_collection", nil, nil).Never()

	sc.run(t, "step-subrecipe", nil)

	sc.completed(t, "Not booked: payment not taken")
	res := stepResult(t, sc.detail(t), "payment")
	if res["status"] != workflows.StatusFailed || res["outcome"] != "Payment declined" {
		t.Errorf("steps.payment = %v, want failed with the child's outcome", res)
	}
	sc.env.AssertExpectations(t)
}

func TestEndStepClosesCase(t *testing.T) {
	sc := newStepCase(t)

	sc.run(t, "step-end", nil)

	sc.completed(t, "Question received")
	v := sc.view(t)
	if v.Status != workflows.StatusCompleted || v.Outcome != "Question received" || len(v.CurrentSteps) != 0 {
		t.Errorf("view = %+v", v)
	}
	if got := kinds(v); got != "submitted end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

// failedWith checks the case failed as a fail step does.
func (sc *stepCase) failedWith(t *testing.T, outcome string) {
	t.Helper()
	var app *temporal.ApplicationError
	err := sc.env.GetWorkflowError()
	if !errors.As(err, &app) || app.Type() != "CaseFailed" || !app.NonRetryable() {
		t.Fatalf("workflow error = %v, want a non-retryable CaseFailed", err)
	}
	var res workflows.CaseResult
	if err := app.Details(&res); err != nil || res.Status != workflows.StatusFailed || res.Outcome != outcome {
		t.Errorf("failure details = %+v, %v; want failed with %q", res, err, outcome)
	}
	if v := sc.view(t); v.Status != workflows.StatusFailed || v.Outcome != outcome {
		t.Errorf("view = %s %q, want failed %q", v.Status, v.Outcome, outcome)
	}
}

func TestFailStepUndoesCallsNewestFirst(t *testing.T) {
	sc := newStepCase(t)
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-1", "status": "full"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "cancel_booking" && req.Input["booking"] == "BK-1" && req.IdempotencyKey == stepRef+"/book/undo"
	}), map[string]any{}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "release_vehicle" && req.Input["vehicle"] == "VAN-7" && req.IdempotencyKey == stepRef+"/reserve/undo"
	}), map[string]any{}, nil).Once()

	sc.run(t, "step-fail", nil)

	sc.failedWith(t, "No collection slot available")
	want := []string{"reserve_vehicle", "book_collection", "cancel_booking", "release_vehicle"}
	if got := sc.operations(); !slices.Equal(got, want) {
		t.Errorf("operations = %v, want %v", got, want)
	}
	d := sc.detail(t)
	if d.Reason != "Booking BK-1 came back full" {
		t.Errorf("reason = %q", d.Reason)
	}
	if got := kinds(d.CaseView); got != "submitted call call undo undo failed" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

func TestFailStepUndoThatFailsDoesNotStopTheOthers(t *testing.T) {
	sc := newStepCase(t)
	sc.on("reserve_vehicle", map[string]any{"vehicle": "VAN-7"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-1", "status": "full"}, nil).Once()
	sc.on("cancel_booking", nil, refused("already_cancelled", "booking already cancelled")).Once()
	sc.on("release_vehicle", map[string]any{}, nil).Once()

	sc.run(t, "step-fail", nil)

	sc.failedWith(t, "No collection slot available")
	v := sc.view(t)
	var notes []string
	for _, e := range v.Timeline {
		if e.Kind == "undo" {
			notes = append(notes, e.Step+": "+e.Note)
		}
	}
	if len(notes) != 2 || !strings.HasPrefix(notes[0], "book: Could not undo") || !strings.HasPrefix(notes[1], "reserve: Undone") {
		t.Errorf("undo timeline = %q, want book not undone, then reserve undone", notes)
	}
	sc.env.AssertExpectations(t)
}

func TestFailStepUndoesEachPassOfALoop(t *testing.T) {
	sc := newStepCase(t)
	sc.on("book_collection", map[string]any{"id": "BK-1"}, nil).Once()
	sc.on("book_collection", map[string]any{"id": "BK-2"}, nil).Once()
	sc.on("cancel_booking", map[string]any{}, nil).Twice()
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/check", Outcome: "rebook", By: "alex"})
	}, time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/check-2", Outcome: "give_up", By: "alex"})
	}, 2*time.Hour)

	sc.run(t, "step-rebook", nil)

	sc.failedWith(t, "Collection abandoned")
	var undone []string
	for _, c := range sc.calls {
		if c.Operation == "cancel_booking" {
			undone = append(undone, c.IdempotencyKey+" "+c.Input["booking"].(string))
		}
	}
	want := []string{stepRef + "/book-2/undo BK-2", stepRef + "/book/undo BK-1"}
	if !slices.Equal(undone, want) {
		t.Errorf("cancelled %q, want %q: each undo sees the result of the call it undoes", undone, want)
	}
	sc.env.AssertExpectations(t)
}

// onBulkyWaste answers the calls of all.yaml up to the task.
func (sc *stepCase) onBulkyWaste() {
	sc.on("get_property", map[string]any{"uprn": "100001000001", "address": "1 Orchard Way, Larchester, LR1 1AA"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "book_collection" && req.Input["items"] == "Sofa, fridge, wardrobe, two chairs"
	}), map[string]any{"id": "BK-77"}, nil).Once()
}

func TestAllStepsBulkyWasteCollected(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "take_payment" && req.Input["amount"] == float64(46)
	}), map[string]any{"payment_id": "PAY-1"}, nil).Once()
	sc.listensOn("BK-77")
	var done *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Tasks) != 1 || !d.Tasks[0].Escalated || d.Tasks[0].Queue != "waste-managers" ||
			d.Tasks[0].Title != "Schedule bulky collection BK-77" {
			t.Errorf("tasks at 50h = %+v, want the escalated scheduling task", d.Tasks)
		}
		done = sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "scheduled", By: "sup"})
	}, 50*time.Hour)
	// The case is still waiting for the crew, so a second completion reaches the validator.
	var again *update
	sc.env.RegisterDelayedCallback(func() {
		again = sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "cannot_collect", By: "other"})
	}, 60*time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		sc.env.SignalWorkflow(workflows.MessageSignal, workflows.Message{Name: "collected", Correlation: "BK-77"})
	}, 80*time.Hour)

	sc.run(t, "bulky-waste", nil)

	if done == nil || !done.completed || done.err != nil {
		t.Fatalf("task completion: %+v", done)
	}
	again.mustReject(t, "second completion", `task "`+stepRef+`/supervise" was already completed by sup`)
	sc.completed(t, "Items collected")
	want := []string{"get_property", "take_payment", "book_collection"}
	if got := sc.operations(); !slices.Equal(got, want) {
		t.Errorf("operations = %v, want %v", got, want)
	}
	var keys []string
	for _, m := range sc.emails {
		keys = append(keys, m.Key)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{stepRef + "/confirm", stepRef + "/supervise/escalation"}) {
		t.Errorf("emails keyed %v, want the confirmation and the escalation", keys)
	}
	d := sc.detail(t)
	if d.Vars["fee"] != float64(46) || stepResult(t, d, "payment")["outcome"] != "Paid" {
		t.Errorf("vars = %v, steps.payment = %v", d.Vars, d.Steps["payment"])
	}
	if got := kinds(d.CaseView); got != "submitted call subrecipe email call task escalated task wait end" &&
		got != "submitted call subrecipe call email task escalated task wait end" {
		t.Errorf("timeline kinds = %q", got)
	}
	sc.env.AssertExpectations(t)
}

func TestAllStepsConcessionSkipsPayment(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.on("take_payment", nil, nil).Never()
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "scheduled", By: "sup"})
	}, time.Hour)

	sc.run(t, "bulky-waste", map[string]any{"concession": "yes"})

	sc.completed(t, "Collection overdue, we will be in touch")
	if got := stepResult(t, sc.detail(t), "await_collection")["timed_out"]; got != true {
		t.Errorf("steps.await_collection.timed_out = %v, want true after seven days", got)
	}
	sc.env.AssertExpectations(t)
}

func TestAllStepsCrewCannotCollectFails(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.on("take_payment", map[string]any{"payment_id": "PAY-1"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "cancel_booking" && req.Input["booking"] == "BK-77"
	}), map[string]any{}, nil).Once()
	// The fee was taken by the child case; the parent's failure refunds it.
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "refund_payment" && req.Input["payment"] == "PAY-1"
	}), map[string]any{}, nil).Once()
	sc.env.RegisterDelayedCallback(func() {
		sc.complete(workflows.Completion{TaskID: stepRef + "/supervise", Outcome: "cannot_collect", By: "sup",
			Values: map[string]any{"reason": "Items are inside a locked garage"}})
	}, time.Hour)

	sc.run(t, "bulky-waste", nil)

	sc.failedWith(t, "We could not collect your items")
	if got := sc.detail(t).Reason; got != "Items are inside a locked garage" {
		t.Errorf("reason = %q, want the supervisor's", got)
	}
	sc.env.AssertExpectations(t)
}

func TestCancelledCaseUndoesCallsAndRefundsChildPayment(t *testing.T) {
	sc := newStepCase(t)
	sc.onBulkyWaste()
	sc.on("take_payment", map[string]any{"payment_id": "PAY-9"}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "cancel_booking" && req.Input["booking"] == "BK-77"
	}), map[string]any{}, nil).Once()
	sc.onMatch(mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "refund_payment" && req.Input["payment"] == "PAY-9"
	}), map[string]any{}, nil).Once()
	// Staff cancel the case while the scheduling task is open.
	sc.env.RegisterDelayedCallback(func() { sc.env.CancelWorkflow() }, 10*time.Hour)

	sc.run(t, "bulky-waste", nil)

	if err := sc.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error = %v, want cancelled", err)
	}
	if v := sc.view(t); v.Status != workflows.StatusCancelled {
		t.Errorf("status = %s, want cancelled", v.Status)
	}
	var undone []string
	for _, c := range sc.calls {
		if c.Operation == "cancel_booking" || c.Operation == "refund_payment" {
			undone = append(undone, c.Operation)
		}
	}
	if strings.Join(undone, ",") != "cancel_booking,refund_payment" {
		t.Errorf("undos ran as %v, want the booking cancelled, then the payment refunded", undone)
	}
	sc.env.AssertExpectations(t)
}
