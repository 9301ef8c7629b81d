package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows/recipe"
)

// Defaults of a call step's retry policy and timeout.
const (
	defaultCallTimeout = 30 * time.Second
	defaultAttempts    = 5
	defaultInterval    = time.Second
	defaultMaxInterval = time.Minute
	emailTimeout       = 2*mail.SMTPTimeout + 5*time.Second
)

var a *activities.Activities

// call runs a connector operation; its result becomes steps.<id>. A refusal
// goes to on_error with steps.<id>.error set; any other final failure, or a
// refusal with no on_error, raises an incident and waits for staff.
func (c *caseRun) call(ctx workflow.Context, s recipe.Step) (string, error) {
	cs := s.Call
	key := c.in.Reference + "/" + c.instance(s.ID)
	for {
		input, err := recipe.Values(cs.Input, c.env())
		if err != nil {
			return "", fmt.Errorf("input: %w", err)
		}
		var out map[string]any
		err = c.runActivity(ctx, key, callOptions(cs), a.Call, activities.CallRequest{
			Connector: cs.Connector, Operation: cs.Operation, Input: input, IdempotencyKey: key,
		}).Get(ctx, &out)
		if err == nil {
			c.steps[s.ID] = out
			if cs.Undo != nil {
				u, err := c.undoFor(s, key)
				if err != nil {
					return "", err
				}
				c.undos = append(c.undos, u)
			}
			c.record(ctx, s.ID, "call", titleOr(s, "Called "+cs.Connector+" "+cs.Operation))
			c.timeline[len(c.timeline)-1].Result = callSummary(cs, out)
			return s.Next, nil
		}
		if temporal.IsCanceledError(err) {
			return "", err
		}
		lob, refused := lobError(err)
		c.steps[s.ID] = map[string]any{"error": map[string]any{"status": lob.Status, "code": lob.Code, "message": lob.Message}}
		if cs.OnError != "" && refused {
			c.recordDetail(ctx, s.ID, "call", "Not accepted", c.redact(lob.Message))
			return cs.OnError, nil
		}
		res, err := c.raiseIncident(ctx, s.ID, lob)
		if err != nil {
			return "", err
		}
		switch res.Action {
		case ActionSkip:
			c.steps[s.ID] = res.Value
			return s.Next, nil
		case ActionCancel:
			return "", errCancelled
		}
		// ActionRetry: go round again with the same idempotency key, so a
		// call that did land before failing is not made twice.
	}
}

func callOptions(cs *recipe.CallStep) workflow.ActivityOptions {
	timeout := cs.Timeout
	if timeout == 0 {
		timeout = defaultCallTimeout
	}
	retry := &temporal.RetryPolicy{
		InitialInterval:    defaultInterval,
		BackoffCoefficient: 2,
		MaximumInterval:    defaultMaxInterval,
		MaximumAttempts:    defaultAttempts,
	}
	if r := cs.Retry; r != nil {
		if r.MaxAttempts > 0 {
			retry.MaximumAttempts = int32(r.MaxAttempts)
		}
		if r.Interval > 0 {
			retry.InitialInterval = r.Interval
		}
		if r.MaxInterval > 0 {
			retry.MaximumInterval = r.MaxInterval
		}
	}
	return workflow.ActivityOptions{StartToCloseTimeout: timeout, RetryPolicy: retry}
}

// lobError recovers what the line-of-business system said from an activity
// error, and whether it was a refusal rather than an outage.
func lobError(err error) (connectors.Error, bool) {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		lob := connectors.Error{Message: app.Error()}
		if app.HasDetails() {
			_ = app.Details(&lob)
		}
		return lob, app.Type() == activities.RefusedError
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return connectors.Error{Code: "timeout", Message: "the system did not answer in time"}, false
	}
	return connectors.Error{Message: err.Error()}, false
}

// email renders the templates inline and sends through an activity keyed by
// case and step, so a retry never sends twice. An email refused because its
// address has had too many this hour is noted for staff, and the case goes
// on. One the relay may have taken (the connection was lost before it
// answered) is not sent again on its own: the case asks staff, who look
// for it in the relay's log and mark it sent (skip) or send it again
// (retry).
func (c *caseRun) email(ctx workflow.Context, s recipe.Step) (string, error) {
	key := c.in.Reference + "/" + c.instance(s.ID)
	for resend := false; ; resend = true {
		to, err := c.sendEmail(ctx, key, s.Email, resend)
		switch {
		case failedWith(err, activities.RecipientLimitError):
			c.recordDetail(ctx, s.ID, "email", "Email not sent", "to "+maskAddresses(to)+": "+stepErrorMessage(err))
			return s.Next, nil
		case failedWith(err, activities.MaybeSentError):
			res, err := c.raiseIncident(ctx, s.ID, connectors.Error{Code: CodeEmailUnsure, Message: "Email to " + maskAddresses(to) + ": " + stepErrorMessage(err)})
			if err != nil {
				return "", err
			}
			switch res.Action {
			case ActionSkip:
				c.recordDetail(ctx, s.ID, "email", titleOr(s, "Email sent"), "to "+maskAddresses(to)+", as staff found")
				return s.Next, nil
			case ActionCancel:
				return "", errCancelled
			}
			continue
		case err != nil:
			return "", err
		}
		c.recordDetail(ctx, s.ID, "email", titleOr(s, "Email sent"), "to "+maskAddresses(to))
		return s.Next, nil
	}
}

// failedWith says whether err is an activity's failure of the type.
func failedWith(err error, errType string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == errType
}

// sendEmail renders and sends an email, and returns whom it went to. Values
// in the HTML part are escaped; the other parts are text. Resend sends one
// that may have gone before again.
func (c *caseRun) sendEmail(ctx workflow.Context, key string, e *recipe.EmailStep, resend bool) (string, error) {
	env := c.env()
	// An address written into the recipe is the council's own; one drawn
	// from answers counts against the limit per recipient.
	m := mail.Message{Key: key, FixedRecipient: !strings.Contains(e.To, "{{"), Resend: resend}
	for _, f := range []struct {
		dst  *string
		tmpl string
	}{{&m.To, e.To}, {&m.Subject, e.Subject}, {&m.Text, e.Text}} {
		v, err := recipe.Render(f.tmpl, env)
		if err != nil {
			return "", err
		}
		*f.dst = v
	}
	html, err := recipe.RenderHTML(e.HTML, env)
	if err != nil {
		return "", err
	}
	m.HTML = html
	opts := workflow.ActivityOptions{
		// Longer than the relay's own timeout, short enough that an email a
		// crashed worker was sending is retried soon after the restart.
		StartToCloseTimeout: emailTimeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute, MaximumAttempts: 20},
	}
	return m.To, c.countEmail(ctx, c.runActivity(ctx, key, opts, a.SendEmail, m).Get(ctx, nil))
}

// maskAddresses shows whom an email went to without the address itself:
// each address's local part is cut to its first letter (s***@example.com)
// and a display name is dropped.
func maskAddresses(to string) string {
	var out []string
	for _, addr := range strings.Split(to, ",") {
		addr = strings.TrimSpace(addr)
		if l, r := strings.LastIndex(addr, "<"), strings.LastIndex(addr, ">"); l >= 0 && r > l {
			addr = addr[l+1 : r]
		}
		at := strings.LastIndex(addr, "@")
		if at <= 0 {
			if addr != "" {
				out = append(out, "***")
			}
			continue
		}
		first, _ := utf8.DecodeRuneInString(addr)
		out = append(out, string(first)+"***"+addr[at:])
	}
	return strings.Join(out, ", ")
}

// decide takes the first branch whose condition holds, else otherwise.
func (c *caseRun) decide(s recipe.Step) (string, error) {
	env := c.env()
	for i, b := range s.Decide.Branches {
		ok, err := recipe.EvalBool(b.When, env)
		if err != nil {
			return "", fmt.Errorf("branch %d: %w", i+1, err)
		}
		if ok {
			return b.Next, nil
		}
	}
	return s.Decide.Otherwise, nil
}

// set assigns variables in name order, so a later one may use an earlier.
func (c *caseRun) set(s recipe.Step) (string, error) {
	for _, name := range recipe.SortedKeys(*s.Set) {
		v, err := recipe.Value((*s.Set)[name], c.env())
		if err != nil {
			return "", fmt.Errorf("vars.%s: %w", name, err)
		}
		c.vars[name] = v
	}
	return s.Next, nil
}

// callSummary says in short what a call did and, when the system's answer
// names a record (reference, ref or id), which one: "waste report_missed:
// ref MC-000123".
func callSummary(cs *recipe.CallStep, out map[string]any) string {
	summary := cs.Connector + " " + cs.Operation
	for _, key := range []string{"reference", "ref", "id"} {
		switch v := out[key].(type) {
		case string:
			if v != "" && len(v) <= 64 {
				return summary + ": ref " + v
			}
		case float64:
			return summary + ": ref " + strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return summary
}
