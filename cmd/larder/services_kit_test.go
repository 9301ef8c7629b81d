package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	netmail "net/mail"
	"path/filepath"
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
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// What the service tests share: a shipped recipe with its example answers,
// sending it by the API, posting a payment provider's message to a hook,
// and, for what takes a year, a case on Temporal's test clock.

// service loads the shipped recipe with the id (with emails.yaml beside it).
func service(t *testing.T, id string) *recipe.Recipe {
	t.Helper()
	r, err := recipe.LoadFile(filepath.Join(recipesDir, id+".yaml"), nil)
	if err != nil {
		t.Fatalf("load %s: %v", id, err)
	}
	return r
}

// examples are the recipe's example answers, with changes.
func examples(r *recipe.Recipe, changes map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range r.Fields() {
		if f.Example != "" {
			out[f.ID] = f.Example
		}
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

// startCase sends answers to the service by the API and returns the case
// reference, failing unless the case started.
func startCase(t *testing.T, base, id string, answers map[string]any) string {
	t.Helper()
	var reply map[string]any
	if code := staffCall(t, http.MethodPost, base+"/api/v1/services/"+id+"/submissions", "", answers, &reply); code != http.StatusCreated {
		t.Fatalf("submit %s: %d %v", id, code, reply)
	}
	ref, _ := reply["reference"].(string)
	if ref == "" {
		t.Fatalf("submit %s: no reference in %v", id, reply)
	}
	return ref
}

// postHook posts a message as a line-of-business system would and returns
// the status.
func postHook(t *testing.T, base, id, message, correlation string, data map[string]any) int {
	t.Helper()
	return staffCall(t, http.MethodPost, base+"/hooks/"+id+"/"+message, hooksToken,
		map[string]any{"correlation": correlation, "data": data}, nil)
}

// waitingFor is the case's wait at the step, or nil.
func waitingFor(d workflows.CaseDetail, step string) *workflows.Waiting {
	i := slices.IndexFunc(d.Waiting, func(w workflows.Waiting) bool { return w.Step == step })
	if i < 0 {
		return nil
	}
	return &d.Waiting[i]
}

// acts is how tests name the activities they mock, as the workflow does.
var acts *activities.Activities

// clockCase runs a shipped recipe on Temporal's test clock, which skips
// ahead to the next timer whenever the case only waits: a year passes in
// milliseconds. Connector calls are answered by replies, by operation.
type clockCase struct {
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	mu     sync.Mutex
	emails []sentEmail
	calls  []activities.CallRequest
}

// sentEmail is an email the case sent, and when on the test clock.
type sentEmail struct {
	mail.Message
	at string // date the email went, YYYY-MM-DD
}

func newClockCase(t *testing.T, start time.Time, replies map[string]func(activities.CallRequest) (map[string]any, error)) *clockCase {
	t.Helper()
	cc := &clockCase{}
	cc.SetLogger(log.NewStructuredLogger(casetest.Log()))
	cc.env = cc.NewTestWorkflowEnvironment()
	cc.env.SetStartTime(start)
	cc.env.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	cc.env.RegisterActivity(&activities.Activities{})
	cc.env.OnActivity(acts.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, m mail.Message) error {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		cc.emails = append(cc.emails, sentEmail{Message: m, at: cc.env.Now().UTC().Format("2006-01-02")})
		return nil
	}).Maybe()
	cc.env.OnActivity(acts.Call, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.CallRequest) (map[string]any, error) {
		cc.mu.Lock()
		cc.calls = append(cc.calls, req)
		cc.mu.Unlock()
		reply, ok := replies[req.Operation]
		if !ok {
			return nil, errors.New("the test has no reply for " + req.Operation)
		}
		return reply(req)
	}).Maybe()
	return cc
}

// message posts a message to the case after the delay on the test clock.
func (cc *clockCase) message(after time.Duration, m workflows.Message) {
	cc.env.RegisterDelayedCallback(func() { cc.env.SignalWorkflow(workflows.MessageSignal, m) }, after)
}

// run starts the case with the answers and runs it to its end, failed
// by a fail step or not.
func (cc *clockCase) run(t *testing.T, r *recipe.Recipe, ref string, answers map[string]any) workflows.CaseResult {
	t.Helper()
	cc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{
		Reference: ref, Recipe: *r, Answers: answers, SubmittedAt: cc.env.Now(),
	})
	if !cc.env.IsWorkflowCompleted() {
		t.Fatal("the case did not close")
	}
	var res workflows.CaseResult
	err := cc.env.GetWorkflowError()
	if err == nil {
		if err := cc.env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	// A fail step closes the case with its result as the error's details.
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != "CaseFailed" {
		t.Fatalf("the case could not run: %v", err)
	}
	if err := app.Details(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// operations lists the operations called, in order.
func (cc *clockCase) operations() []string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var out []string
	for _, c := range cc.calls {
		out = append(out, c.Operation)
	}
	return out
}

// call is the first call of the operation, failing when there is none.
func (cc *clockCase) call(t *testing.T, op string) activities.CallRequest {
	t.Helper()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, c := range cc.calls {
		if c.Operation == op {
			return c
		}
	}
	t.Fatalf("no %s call; calls: %v", op, cc.calls)
	return activities.CallRequest{}
}

// sent lists the emails' subjects with the date each went, in order.
func (cc *clockCase) sent() []string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var out []string
	for _, e := range cc.emails {
		out = append(out, fmt.Sprintf("%s %s", e.at, e.Subject))
	}
	return out
}

// plainText is an email's subject and plain-text part, decoded, as a
// resident's mail program shows them; "" when the email cannot be read.
func plainText(eml string) string {
	m, err := netmail.ReadMessage(strings.NewReader(eml))
	if err != nil {
		return ""
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	text, _ := textPart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return subject + "\n\n" + text
}

// textPart finds the text/plain part of a body, decoding it.
func textPart(contentType, encoding string, body io.Reader) (string, error) {
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = "text/plain"
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return "", err
			}
			if text, err := textPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err == nil && text != "" {
				return text, nil
			}
		}
	}
	if media != "text/plain" {
		return "", nil
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	return string(b), err
}

// lettersFor are the emails sent for the case, as plainText.
func lettersFor(t *testing.T, dataDir, ref string) []string {
	t.Helper()
	var out []string
	for _, eml := range emailsFor(outbox(t, dataDir), ref) {
		out = append(out, plainText(eml))
	}
	return out
}

// refusal is how the call activity reports the system saying no: on_error
// routes the case, with steps.<id>.error holding the code and message.
func refusal(status int, code, message string) error {
	return temporal.NewNonRetryableApplicationError("connector waste: "+message, activities.RefusedError, nil,
		connectors.Error{Status: status, Code: code, Message: message})
}

// complete has staff complete the case's task with the outcome, now.
func (cc *clockCase) complete(t *testing.T, taskID, outcome string) {
	t.Helper()
	cc.env.UpdateWorkflow(workflows.CompleteTask, "", &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { t.Errorf("completing %s refused: %v", taskID, err) },
		OnAccept:   func() {},
		OnComplete: func(any, error) {},
	}, workflows.Completion{TaskID: taskID, Outcome: outcome, By: "pat", At: cc.env.Now()})
}

// detail is the case as staff see it, now.
func (cc *clockCase) detail(t *testing.T) workflows.CaseDetail {
	t.Helper()
	v, err := cc.env.QueryWorkflow(workflows.DetailQuery)
	if err != nil {
		t.Fatalf("detail query: %v", err)
	}
	var d workflows.CaseDetail
	if err := v.Get(&d); err != nil {
		t.Fatal(err)
	}
	return d
}
