package activities_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
)

// waste is a connector that answers every call with out, retry and err, and
// keeps the requests it received.
type waste struct {
	out   map[string]any
	retry bool
	err   error
	got   []connectors.Request
}

func (w *waste) Call(_ context.Context, req connectors.Request) (map[string]any, bool, error) {
	w.got = append(w.got, req)
	return w.out, w.retry, w.err
}

func (w *waste) Operations() []string { return []string{"report_missed"} }

// call runs the Call activity in Temporal's test environment, so its result
// and error reach the test through the data converter as they reach a case.
func call(t *testing.T, w *waste, req activities.CallRequest) (map[string]any, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestActivityEnvironment()
	a := &activities.Activities{Connectors: connectors.NewRegistry(map[string]connectors.Connector{"waste": w})}
	env.RegisterActivity(a)
	val, err := env.ExecuteActivity(a.Call, req)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := val.Get(&out); err != nil {
		t.Fatalf("decode the activity's result: %v", err)
	}
	return out, nil
}

var report = activities.CallRequest{
	Connector:      "waste",
	Operation:      "report_missed",
	Input:          map[string]any{"uprn": "100001000002", "bin_type": "garden"},
	IdempotencyKey: "MB-7K4Q-2PXD/report",
}

// failure is what a case sees of a failed call: the error's type, whether
// Temporal may retry it, and what the system said.
type failure struct {
	kind      string
	retryable bool
	lob       connectors.Error
}

func failureOf(t *testing.T, err error) failure {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		t.Fatalf("activity error %v (%T) is not an application error", err, err)
	}
	f := failure{kind: app.Type(), retryable: !app.NonRetryable()}
	if app.HasDetails() {
		if err := app.Details(&f.lob); err != nil {
			t.Fatalf("decode the error's details: %v", err)
		}
	}
	return f
}

func TestCallPassesTheStepToTheConnector(t *testing.T) {
	w := &waste{out: map[string]any{"id": "MC-000001", "status": "open"}}
	out, err := call(t, w, report)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if out["id"] != "MC-000001" || out["status"] != "open" {
		t.Errorf("Call returned %v, want the connector's output", out)
	}
	if len(w.got) != 1 {
		t.Fatalf("connector called %d times, want once", len(w.got))
	}
	want := connectors.Request{Operation: report.Operation, Input: report.Input, IdempotencyKey: report.IdempotencyKey}
	if !reflect.DeepEqual(w.got[0], want) {
		t.Errorf("connector received %+v, want %+v", w.got[0], want)
	}
}

func TestCallFailures(t *testing.T) {
	notDue := &connectors.Error{Status: 422, Code: "not_due", Message: "2 Orchard Way was not due a collection"}
	down := &connectors.Error{Status: 503, Code: "unavailable", Message: "the waste system is temporarily unavailable"}
	for _, tc := range []struct {
		name  string
		retry bool
		err   error
		want  failure
	}{
		{
			"a refusal fails the step at once with what the system said",
			false, fmt.Errorf("connector waste: %w", notDue),
			failure{kind: activities.RefusedError, retryable: false, lob: *notDue},
		},
		{
			"an outage is retried, keeping what the system said",
			true, fmt.Errorf("connector waste: %w", down),
			failure{kind: "ConnectorUnavailable", retryable: true, lob: *down},
		},
		{
			"a refusal the system did not explain is shown as the error text",
			false, errors.New("connector waste: input uprn is missing"),
			failure{kind: activities.RefusedError, retryable: false, lob: connectors.Error{Message: "connector waste: input uprn is missing"}},
		},
		{
			"a network failure is retried",
			true, errors.New("connector waste: dial tcp 127.0.0.1:8081: connection refused"),
			failure{kind: "ConnectorUnavailable", retryable: true, lob: connectors.Error{Message: "connector waste: dial tcp 127.0.0.1:8081: connection refused"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := call(t, &waste{retry: tc.retry, err: tc.err}, report)
			if err == nil {
				t.Fatal("Call succeeded, want the connector's failure")
			}
			if got := failureOf(t, err); got != tc.want {
				t.Errorf("case sees %+v, want %+v", got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.err.Error()) {
				t.Errorf("error %q does not carry the connector's %q", err, tc.err)
			}
		})
	}
}

func TestCallUnknownConnectorIsNotRetried(t *testing.T) {
	req := report
	req.Connector = "highways"
	_, err := call(t, &waste{}, req)
	if err == nil {
		t.Fatal("Call to an undefined connector succeeded")
	}
	if got := failureOf(t, err); got.kind != "UnknownConnector" || got.retryable {
		t.Errorf("case sees %+v, want a non-retryable UnknownConnector", got)
	}
	if !strings.Contains(err.Error(), `"highways"`) {
		t.Errorf("error %q does not name the connector", err)
	}
}

// outbox is a mail sender that keeps what it is given.
type outbox struct {
	sent []mail.Message
	err  error
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.sent = append(o.sent, m)
	return o.err
}

func TestSendEmailDeliversTheMessage(t *testing.T) {
	o := &outbox{}
	a := &activities.Activities{Mail: o}
	m := mail.Message{Key: "MB-7K4Q-2PXD/confirm", To: "sam@example.com", Subject: "Missed bin reported", Text: "Your reference is MB-7K4Q-2PXD."}
	if err := a.SendEmail(context.Background(), m); err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	if len(o.sent) != 1 || o.sent[0] != m {
		t.Errorf("sender was given %+v, want exactly the message", o.sent)
	}

	o.err = errors.New("smtp: send: connection refused")
	if err := a.SendEmail(context.Background(), m); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("SendEmail with the relay down = %v, want the sender's error so Temporal retries", err)
	}
}

// Security finding 12: an email over the limit per recipient fails at once
// with its own type, so the case records why and goes on instead of
// retrying it for an hour.
func TestSendEmailOverTheRecipientLimitIsNotRetried(t *testing.T) {
	err := sendEmailFailing(fmt.Errorf("smtp: not sent: %w (at most 5 an hour)", mail.ErrRecipientLimit))
	if err == nil {
		t.Fatal("SendEmail over the limit succeeded")
	}
	if got := failureOf(t, err); got.kind != activities.RecipientLimitError || got.retryable {
		t.Errorf("case sees %+v, want a non-retryable %s", got, activities.RecipientLimitError)
	}
	if !strings.Contains(err.Error(), "too many emails to this address this hour") {
		t.Errorf("error %q does not say why the email was not sent", err)
	}
}

// An email the relay may have taken fails at once with its own type, so
// the case asks staff instead of sending it again.
func TestSendEmailThatMayHaveGoneIsNotRetried(t *testing.T) {
	err := sendEmailFailing(fmt.Errorf("smtp: %w (Message-ID <0a@larchester.example>): the connection was lost before the relay answered: EOF", mail.ErrMaybeSent))
	if got := failureOf(t, err); got.kind != activities.MaybeSentError || got.retryable {
		t.Errorf("case sees %+v, want a non-retryable %s", got, activities.MaybeSentError)
	}
}

// sendEmailFailing runs SendEmail with a sender that fails with sendErr,
// and returns what the case sees.
func sendEmailFailing(sendErr error) error {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestActivityEnvironment()
	a := &activities.Activities{Mail: &outbox{err: sendErr}}
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity(a.SendEmail, mail.Message{Key: "MB-7K4Q-2PXD/confirm", To: "sam@example.com", Subject: "Missed bin reported", Text: "Your reference is MB-7K4Q-2PXD."})
	return err
}
