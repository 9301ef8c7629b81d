package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
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
	// mailFailures is how many more sends fail before the relay takes mail.
	mailFailures int
	calls        []activities.CallRequest
	at           []time.Time
	// activityIDs are the ids of the calls' activities, one per attempt.
	activityIDs []string
	// local says, for each attempt, whether it ran as a local activity.
	local []bool
	// index, memos and queues are what the case wrote to the inbox index,
	// its memo and its queues search attribute (see onIndex).
	index  []inbox.Entry
	memos  []map[string]any
	queues []string
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
	sc.env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, m mail.Message) error {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.mailFailures > 0 {
			sc.mailFailures--
			return errors.New("smtp: 451 try again later")
		}
		sc.emails = append(sc.emails, m)
		return nil
	}).Maybe()
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
		info := activity.GetInfo(args.Get(0).(context.Context))
		sc.activityIDs = append(sc.activityIDs, info.ActivityID)
		sc.local = append(sc.local, info.IsLocalActivity)
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
	return query[workflows.CaseView](t, sc.env, workflows.CaseQuery)
}

func (sc *stepCase) detail(t *testing.T) workflows.CaseDetail {
	t.Helper()
	return query[workflows.CaseDetail](t, sc.env, workflows.DetailQuery)
}

// query asks the case in env the named query and decodes the answer.
func query[T any](t *testing.T, env *testsuite.TestWorkflowEnvironment, name string) T {
	t.Helper()
	var out T
	v, err := env.QueryWorkflow(name)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	if err := v.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out
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
	return sc.update(workflows.CompleteTask, c)
}

// resolve sends the resolve-incident update now.
func (sc *stepCase) resolve(r workflows.Resolution) *update {
	return sc.update(workflows.ResolveIncident, r)
}

// update sends an update now and records what the case said of it.
func (sc *stepCase) update(name string, arg any) *update {
	u := &update{}
	sc.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { u.rejected = err },
		OnAccept:   func() { u.accepted = true },
		OnComplete: func(v any, err error) { u.completed, u.result, u.err = true, v, err },
	}, arg)
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
		resolved = sc.resolve(workflows.Resolution{IncidentID: "book-1", Action: workflows.ActionSkip, Value: map[string]any{"id": "BK-BY-PHONE"}, By: "alex"})
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

func TestEmailRelayThatNeverTakesItRaisesIncidentAndRetriesSameEmail(t *testing.T) {
	sc := newStepCase(t)
	sc.mailFailures = 20 // every attempt the retry policy allows
	var resolved *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Incidents) != 1 || d.Incidents[0].ID != "confirm-1" || !strings.Contains(d.Incidents[0].Error, "451 try again later") {
			t.Fatalf("incidents = %+v, want one open incident confirm-1 naming the relay's answer", d.Incidents)
		}
		resolved = sc.resolve(workflows.Resolution{IncidentID: "confirm-1", Action: workflows.ActionRetry, By: "alex"})
	}, 24*time.Hour)

	sc.run(t, "step-email", nil)

	if resolved == nil || !resolved.accepted {
		t.Fatalf("retry not accepted: %+v", resolved)
	}
	sc.completed(t, "Request received")
	if len(sc.emails) != 1 || sc.emails[0].Key != stepRef+"/confirm" {
		t.Errorf("sent %+v, want one email keyed %s/confirm as the first attempts were", sc.emails, stepRef)
	}
	if got := kinds(sc.view(t)); got != "submitted incident incident email end" {
		t.Errorf("timeline kinds = %q", got)
	}
}

func TestStepThatCannotBeEvaluatedRaisesIncidentStaffSkip(t *testing.T) {
	sc := newStepCase(t)
	var skipped *update
	sc.env.RegisterDelayedCallback(func() {
		d := sc.detail(t)
		if len(d.Incidents) != 1 || d.Incidents[0].ID != "price-1" || d.Incidents[0].Code != "step_failed" {
			t.Fatalf("incidents = %+v, want one open incident price-1", d.Incidents)
		}
		skipped = sc.resolve(workflows.Resolution{IncidentID: "price-1", Action: workflows.ActionSkip, By: "alex"})
	}, time.Hour)

	sc.run(t, "step-set", map[string]any{"item_count": "lots"})

	if skipped == nil || !skipped.accepted {
		t.Fatalf("skip not accepted: %+v", skipped)
	}
	sc.completed(t, "Priced")
	for _, e := range sc.view(t).Timeline {
		if strings.Contains(e.Note, "lots") {
			t.Errorf("the resident's timeline quotes the error: %q", e.Note)
		}
	}
}

func TestStepIncidentWithNowhereToSkipToRefusesSkip(t *testing.T) {
	sc := newStepCase(t)
	var skipped *update
	sc.env.RegisterDelayedCallback(func() {
		skipped = sc.resolve(workflows.Resolution{IncidentID: "route-1", Action: workflows.ActionSkip, By: "alex"})
	}, time.Hour)
	sc.env.RegisterDelayedCallback(func() {
		sc.resolve(workflows.Resolution{IncidentID: "route-1", Action: workflows.ActionCancel, By: "alex"})
	}, 2*time.Hour)

	sc.run(t, "step-decide", map[string]any{"item_count": "lots"})

	skipped.mustReject(t, "skip a decide", "no next step to skip to")
	if v := sc.view(t); v.Status != workflows.StatusCancelled {
		t.Errorf("status = %s, want cancelled by staff", v.Status)
	}
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

func TestStepIncidentDoesNotQuoteSensitiveAnswers(t *testing.T) {
	r, err := recipe.Parse("blue-badge.yaml", []byte(`id: blue-badge
version: "1"
title: Apply for a blue badge
reference_prefix: BB
form:
  pages:
    - id: you
      title: About you
      fields:
        - { id: ni_number, type: text, label: National Insurance number, validate: required, sensitive: true, example: QQ123456C }
steps:
  - id: check
    set:
      digits: "{{ int(form.ni_number) }}"
    next: done
  - id: done
    end:
      outcome: Applied
`), stepConnectors)
	if err != nil {
		t.Fatal(err)
	}
	sc := newStepCase(t)
	var inc workflows.Incident
	sc.env.RegisterDelayedCallback(func() {
		if d := sc.detail(t); len(d.Incidents) == 1 {
			inc = *d.Incidents[0]
		}
		sc.resolve(workflows.Resolution{IncidentID: "check-1", Action: workflows.ActionCancel, By: "alex"})
	}, time.Hour)

	sc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{
		Reference: stepRef, Recipe: *r, Answers: map[string]any{"ni_number": "QQ123456C"}, SubmittedAt: started,
	})

	if inc.ID != "check-1" || strings.Contains(inc.Error, "QQ123456C") || !strings.Contains(inc.Error, workflows.Redacted) {
		t.Errorf("incident = %+v, want check-1 with the answer redacted", inc)
	}
}
