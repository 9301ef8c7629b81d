package workflows_test

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

const reference = "MB-TEST-0001"

var a *activities.Activities

// property is what the waste system says about the example address.
var property = map[string]any{
	"uprn":    "100001000001",
	"address": "1 Orchard Way, Larchester, LR1 1AA",
	"bins": []any{
		map[string]any{"type": "general"},
		map[string]any{"type": "recycling"},
		map[string]any{"type": "garden"},
	},
}

// caseTest runs the shipped missed-bin recipe against mocked activities.
type caseTest struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	mu     sync.Mutex
	emails []mail.Message
	raises int
}

func newCaseTest(t *testing.T) *caseTest {
	t.Helper()
	ct := &caseTest{}
	ct.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	ct.env = ct.NewTestWorkflowEnvironment()
	ct.env.RegisterActivity(&activities.Activities{})
	// Maybe: a case that fails sends nothing; tests count ct.emails instead.
	ct.env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(nil).Maybe().Run(func(args mock.Arguments) {
		ct.mu.Lock()
		defer ct.mu.Unlock()
		ct.emails = append(ct.emails, args.Get(1).(mail.Message))
	})
	return ct
}

func operation(op string) any {
	return mock.MatchedBy(func(req activities.CallRequest) bool { return req.Operation == op })
}

// onCheck answers get_property with the given property.
func (ct *caseTest) onCheck(prop map[string]any) {
	ct.env.OnActivity(a.Call, mock.Anything, operation("get_property")).Return(prop, nil)
}

// onRaise answers every report_missed attempt with out or err, counting attempts.
func (ct *caseTest) onRaise(out map[string]any, err error) {
	ct.env.OnActivity(a.Call, mock.Anything, operation("report_missed")).Return(out, err).Run(func(mock.Arguments) {
		ct.mu.Lock()
		defer ct.mu.Unlock()
		ct.raises++
	})
}

// run starts a case with the recipe's example answers, changed by overrides.
func (ct *caseTest) run(t *testing.T, overrides map[string]any) workflows.CaseView {
	t.Helper()
	r, err := recipe.LoadFile("../recipes/missed-bin.yaml", nil)
	if err != nil {
		t.Fatalf("load recipe: %v", err)
	}
	answers := map[string]any{}
	for _, f := range r.Fields() {
		answers[f.ID] = f.Example
	}
	for k, v := range overrides {
		answers[k] = v
	}
	ct.env.ExecuteWorkflow(workflows.Case, workflows.CaseInput{
		Reference:   reference,
		Recipe:      *r,
		Answers:     answers,
		SubmittedAt: time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC),
	})
	if !ct.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	return query[workflows.CaseView](t, ct.env, workflows.CaseQuery)
}

// onlyEmail returns the one email the case sent.
func (ct *caseTest) onlyEmail(t *testing.T) mail.Message {
	t.Helper()
	if len(ct.emails) != 1 {
		t.Fatalf("sent %d emails, want 1: %+v", len(ct.emails), ct.emails)
	}
	return ct.emails[0]
}

func kinds(view workflows.CaseView) string {
	var ks []string
	for _, e := range view.Timeline {
		ks = append(ks, e.Kind)
	}
	return strings.Join(ks, " ")
}

func TestCaseReportsMissedBin(t *testing.T) {
	ct := newCaseTest(t)
	ct.onCheck(property)
	ct.env.OnActivity(a.Call, mock.Anything, mock.MatchedBy(func(req activities.CallRequest) bool {
		return req.Operation == "report_missed" && req.Connector == "waste" &&
			req.Input["uprn"] == "100001000001" && req.Input["bin_type"] == "general" &&
			req.Input["reported_by"] == "Sam Resident" && req.IdempotencyKey == reference+"/raise"
	})).Return(map[string]any{"id": "MC-000001", "status": "open"}, nil)

	view := ct.run(t, nil)

	if err := ct.env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var result workflows.CaseResult
	if err := ct.env.GetWorkflowResult(&result); err != nil || result.Outcome != "Missed collection reported" {
		t.Errorf("result = %+v, %v; want outcome Missed collection reported", result, err)
	}
	m := ct.onlyEmail(t)
	if m.To != "sam@example.com" || m.Key != reference+"/confirm" {
		t.Errorf("email to %q with key %q, want sam@example.com keyed %s/confirm", m.To, m.Key, reference)
	}
	if !strings.Contains(m.Subject, reference) {
		t.Errorf("subject %q does not contain the reference", m.Subject)
	}
	for _, want := range []string{"Dear Sam Resident", "1 Orchard Way, Larchester, LR1 1AA", "MC-000001"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("email text does not contain %q:\n%s", want, m.Text)
		}
	}
	if view.Status != workflows.StatusCompleted || view.Outcome != "Missed collection reported" || len(view.CurrentSteps) != 0 {
		t.Errorf("view = %+v, want completed with outcome Missed collection reported", view)
	}
	if view.Reference != reference || view.Service != "missed-bin" || !strings.HasPrefix(view.RecipeVersion, "1+") {
		t.Errorf("view names %s %s %s", view.Reference, view.Service, view.RecipeVersion)
	}
	if got := kinds(view); got != "submitted call call email end" {
		t.Errorf("timeline kinds = %q, want submitted call call email end", got)
	}
	ct.env.AssertExpectations(t)
}

func TestCaseRefusalEmailsTheReason(t *testing.T) {
	ct := newCaseTest(t)
	ct.onCheck(property)
	ct.onRaise(nil, temporal.NewNonRetryableApplicationError("connector waste: not_due (422): not due", activities.RefusedError, nil,
		connectors.Error{Status: 422, Code: "not_due", Message: "not due"}))

	view := ct.run(t, nil)

	if err := ct.env.GetWorkflowError(); err != nil {
		t.Fatalf("a refusal is an outcome, not a failure: %v", err)
	}
	if ct.raises != 1 {
		t.Errorf("report_missed tried %d times, want 1: a refusal is not retried", ct.raises)
	}
	m := ct.onlyEmail(t)
	if m.Key != reference+"/tell_refused" || !strings.Contains(m.Subject, "could not accept") {
		t.Errorf("sent %q (%s), want the refusal email", m.Subject, m.Key)
	}
	if !strings.Contains(m.Text, "report a missed bin collection: not due.") {
		t.Errorf("refusal email does not give the system's reason:\n%s", m.Text)
	}
	if view.Status != workflows.StatusCompleted || view.Outcome != "Report not accepted" {
		t.Errorf("view = %+v, want completed with outcome Report not accepted", view)
	}
	if got := kinds(view); got != "submitted call call email end" {
		t.Errorf("timeline kinds = %q", got)
	}
	// The system's own words reach the resident only through the email
	// the designer wrote; the timeline gives them to staff.
	if e := view.Timeline[2]; e.Note != "Not accepted" || e.Detail != "" {
		t.Errorf("resident's timeline note for the refused call = %+v, want Not accepted without the system's words", e)
	}
	d := query[workflows.CaseDetail](t, ct.env, workflows.DetailQuery)
	if d.Timeline[2].Detail != "not due" {
		t.Errorf("staff's timeline detail for the refused call = %q, want the reason", d.Timeline[2].Detail)
	}
	// What the property lookup answered is summed up for staff only.
	if got := d.Timeline[1].Result; !strings.HasPrefix(got, "waste get_property") {
		t.Errorf("staff's timeline result for the lookup = %q, want it to name the call", got)
	}
	if got := view.Timeline[1].Result; got != "" {
		t.Errorf("resident's timeline carries the call's result %q", got)
	}
	ct.env.AssertExpectations(t)
}

func TestCaseBinThePropertyDoesNotHave(t *testing.T) {
	ct := newCaseTest(t)
	ct.onCheck(property)

	view := ct.run(t, map[string]any{"bin_type": "food"})

	if err := ct.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if ct.raises != 0 {
		t.Errorf("report_missed called %d times for a bin the property does not have", ct.raises)
	}
	m := ct.onlyEmail(t)
	if m.Key != reference+"/tell_refused" || !strings.Contains(m.Text, "do not show that kind of bin at 1 Orchard Way") {
		t.Errorf("sent %s:\n%s\nwant the no_such_bin email", m.Key, m.Text)
	}
	if view.Outcome != "Report not accepted" || view.Status != workflows.StatusCompleted {
		t.Errorf("view = %+v", view)
	}
	ct.env.AssertExpectations(t)
}

func TestCaseUnknownPropertyRoutesToNotFound(t *testing.T) {
	ct := newCaseTest(t)
	ct.env.OnActivity(a.Call, mock.Anything, operation("get_property")).Return(nil,
		temporal.NewNonRetryableApplicationError("no property", activities.RefusedError, nil,
			connectors.Error{Status: 404, Code: "property_not_found", Message: "no property has that UPRN"}))

	view := ct.run(t, nil)

	if err := ct.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if m := ct.onlyEmail(t); m.Key != reference+"/tell_refused" || !strings.Contains(m.Text, "could not find the address you chose") {
		t.Errorf("sent %q (%s), want the not_found email", m.Subject, m.Key)
	}
	if view.Outcome != "Report not accepted" {
		t.Errorf("outcome = %q", view.Outcome)
	}
	ct.env.AssertExpectations(t)
}

// outage makes report_missed fail every attempt as an outage.
func (ct *caseTest) outage() {
	ct.onCheck(property)
	ct.onRaise(nil, temporal.NewApplicationError("the waste system is temporarily unavailable", "ConnectorUnavailable",
		connectors.Error{Status: 503, Code: "unavailable", Message: "the waste system is temporarily unavailable"}))
}

// resolveLater answers the incident once retries are long over, checking
// first that staff can see it, and keeps what the update said.
func (ct *caseTest) resolveLater(t *testing.T, r workflows.Resolution, rejected *error) {
	ct.env.RegisterDelayedCallback(func() {
		v, err := ct.env.QueryWorkflow(workflows.DetailQuery)
		if err != nil {
			t.Errorf("detail query: %v", err)
			return
		}
		var d workflows.CaseDetail
		_ = v.Get(&d)
		if len(d.Incidents) != 1 || d.Incidents[0].ID != "raise-1" || d.Incidents[0].Resolution != nil {
			t.Errorf("incidents = %+v, want one open incident raise-1", d.Incidents)
		}
		if d.Form["email"] != workflows.Redacted || d.Form["postcode"] != "LR1 1AA" {
			t.Errorf("detail form = %v, want email redacted and postcode shown", d.Form)
		}
		ct.env.UpdateWorkflow(workflows.ResolveIncident, "bad", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) {},
			OnAccept:   func() { t.Error("resolving an unknown incident was accepted") },
			OnComplete: func(any, error) {},
		}, workflows.Resolution{IncidentID: "nope", Action: "retry", By: "alex"})
		ct.env.UpdateWorkflow(workflows.ResolveIncident, "good", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { *rejected = err },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}, r)
	}, time.Hour)
}

func TestCaseOutageRaisesIncidentStaffCancel(t *testing.T) {
	ct := newCaseTest(t)
	ct.outage()
	var rejected error
	ct.resolveLater(t, workflows.Resolution{IncidentID: "raise-1", Action: workflows.ActionCancel, By: "alex"}, &rejected)

	view := ct.run(t, nil)

	if rejected != nil {
		t.Fatalf("resolution refused: %v", rejected)
	}
	var app *temporal.ApplicationError
	if err := ct.env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != "CaseCancelled" {
		t.Errorf("workflow error = %v, want CaseCancelled", err)
	}
	if ct.raises != 10 {
		t.Errorf("report_missed tried %d times before the incident, want the recipe's max_attempts 10", ct.raises)
	}
	if len(ct.emails) != 0 {
		t.Errorf("sent %d emails for a cancelled case, want none", len(ct.emails))
	}
	if view.Status != workflows.StatusCancelled {
		t.Errorf("view = %+v, want cancelled", view)
	}
	ct.env.AssertExpectations(t)
}

func TestCaseOutageIncidentSkippedWithValue(t *testing.T) {
	ct := newCaseTest(t)
	ct.outage()
	var rejected error
	ct.resolveLater(t, workflows.Resolution{IncidentID: "raise-1", Action: workflows.ActionSkip,
		Value: map[string]any{"id": "MC-BY-PHONE"}, By: "alex"}, &rejected)

	view := ct.run(t, nil)

	if rejected != nil {
		t.Fatalf("resolution refused: %v", rejected)
	}
	if view.Status != workflows.StatusCompleted || view.Outcome != "Missed collection reported" {
		t.Fatalf("view = %+v", view)
	}
	if m := ct.onlyEmail(t); !strings.Contains(m.Text, "MC-BY-PHONE") {
		t.Errorf("confirmation does not use the value staff gave:\n%s", m.Text)
	}
	ct.env.AssertExpectations(t)
}
