package workflows_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// Security finding 11: values in an email step's html were written
// unescaped, so a resident's name could add markup, such as an image or a
// link, to the council's email. Values in the HTML part are escaped; the
// text part and the subject keep the answer as written.
func TestFinding11AnswersInAnEmailsHTMLAreEscaped(t *testing.T) {
	const name = `Sam <img src=x onerror=alert(1)> "Resident" & <a href="https://evil.example">Co</a>`
	sc := newStepCase(t)

	sc.run(t, "step-email", map[string]any{"name": name})

	sc.completed(t, "Request received")
	if len(sc.emails) != 1 {
		t.Fatalf("sent %d emails, want 1", len(sc.emails))
	}
	m := sc.emails[0]
	const escaped = `Sam &lt;img src=x onerror=alert(1)&gt; &#34;Resident&#34; &amp; &lt;a href=&#34;https://evil.example&#34;&gt;Co&lt;/a&gt;`
	if want := "<p>Dear " + escaped + ",</p>"; !strings.Contains(m.HTML, want) {
		t.Errorf("html part does not carry the name escaped:\n got %s\nwant it to contain %s", m.HTML, want)
	}
	for _, markup := range []string{"<img", "<a ", "</a>"} {
		if strings.Contains(m.HTML, markup) {
			t.Errorf("the resident's name added %q to the html part: %s", markup, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, "<strong>"+stepRef+"</strong>") {
		t.Errorf("the template's own markup was escaped too: %s", m.HTML)
	}
	if !strings.HasPrefix(m.Text, "Dear "+name+",\n") {
		t.Errorf("the text part should carry the name as written:\n%s", m.Text)
	}
}

// newMailCase is newStepCase with the email activity answered by send; the
// messages it is given are kept in sc.emails.
func newMailCase(t *testing.T, send func(mail.Message) error) *stepCase {
	t.Helper()
	sc := &stepCase{}
	sc.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	sc.env = sc.NewTestWorkflowEnvironment()
	sc.env.SetStartTime(started)
	sc.env.RegisterActivity(&activities.Activities{})
	sc.env.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	sc.env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, m mail.Message) error {
		sc.mu.Lock()
		sc.emails = append(sc.emails, m)
		sc.mu.Unlock()
		return send(m)
	})
	return sc
}

// Security finding 12: an email step whose address has had too many emails
// this hour is not retried for an hour nor left to stop the case: staff
// see why on the timeline, and the case goes on.
func TestFinding12EmailOverTheRecipientLimitIsNotedAndTheCaseGoesOn(t *testing.T) {
	sc := newMailCase(t, func(mail.Message) error {
		return temporal.NewNonRetryableApplicationError("smtp: not sent: too many emails to this address this hour (at most 5 an hour)", activities.RecipientLimitError, nil)
	})

	sc.run(t, "step-email", nil)

	sc.completed(t, "Request received")
	if n := len(sc.emails); n != 1 {
		t.Fatalf("email activity ran %d times, want once", n)
	}
	if sc.emails[0].FixedRecipient {
		t.Error("an address drawn from the form was sent as the council's own, free of the limit")
	}
	d := sc.detail(t)
	if got := kinds(d.CaseView); got != "submitted email end" {
		t.Errorf("timeline kinds = %q, want the email noted and the case ended", got)
	}
	e := d.Timeline[1]
	if e.Note != "Email not sent" || !strings.Contains(e.Detail, "s***@example.com") || !strings.Contains(e.Detail, "too many emails to this address this hour") {
		t.Errorf("staff's timeline shows %q (%q), want the email not sent, to whom and why", e.Note, e.Detail)
	}
	if strings.Contains(e.Detail, "sam@example.com") {
		t.Errorf("staff's timeline detail %q shows the whole address", e.Detail)
	}
	// The resident is told the truth: no email came.
	if got := query[workflows.CaseView](t, sc.env, workflows.CaseQuery).Timeline[1].Note; got != "Email not sent" {
		t.Errorf("resident's timeline says %q, want Email not sent", got)
	}
}

// TestEmailToAnAddressInTheRecipeIsFixed: an address the council wrote into
// the recipe is its own, and its email is not limited per recipient.
func TestEmailToAnAddressInTheRecipeIsFixed(t *testing.T) {
	r, err := recipe.Parse("permit.yaml", []byte(permitForm+`steps:
  - id: tell_team
    email:
      to: highways@larchester.example
      subject: "Skip permit for {{ form.street }}"
      text: A skip permit was asked for.
    next: done
  - id: done
    end:
      outcome: Received
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := newMailCase(t, func(mail.Message) error { return nil })
	sc.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{
		Reference: stepRef, Recipe: *r, Answers: map[string]any{"street": "Orchard Way"}, SubmittedAt: started,
	})
	sc.completed(t, "Received")
	if len(sc.emails) != 1 || !sc.emails[0].FixedRecipient {
		t.Errorf("sent %+v, want one email marked with a fixed recipient", sc.emails)
	}
}

// maybeSent is the activity's failure for an email the relay may have taken.
func maybeSent() error {
	return temporal.NewNonRetryableApplicationError("smtp: the relay may have taken this email (Message-ID <5f0c@larchester.example>): the connection was lost before the relay answered: EOF", activities.MaybeSentError, nil)
}

// An email the relay may have taken is not sent again on its own: the case
// pauses with an incident naming the Message-ID. Staff who find it did not
// arrive send it again (retry), and the activity is told to resend; staff
// who find it did arrive mark it sent (skip), and nothing more is sent.
func TestEmailThatMayHaveGoneWaitsForStaff(t *testing.T) {
	for _, tc := range []struct {
		action string
		sends  int
		detail string
	}{
		{workflows.ActionRetry, 2, "to s***@example.com"},
		{workflows.ActionSkip, 1, "to s***@example.com, as staff found"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			sc := newMailCase(t, func(m mail.Message) error {
				if m.Resend {
					return nil
				}
				return maybeSent()
			})
			var inc workflows.Incident
			var resolved *update
			sc.env.RegisterDelayedCallback(func() {
				if d := sc.detail(t); len(d.Incidents) == 1 {
					inc = *d.Incidents[0]
				}
				resolved = sc.resolve(workflows.Resolution{IncidentID: "confirm-1", Action: tc.action, By: "alex"})
			}, time.Hour)

			sc.run(t, "step-email", nil)

			sc.completed(t, "Request received")
			if inc.Code != "email_unsure" || !strings.Contains(inc.Error, "Message-ID <5f0c@larchester.example>") || !strings.Contains(inc.Error, "s***@example.com") {
				t.Errorf("incident %+v, want email_unsure naming whom and the Message-ID", inc)
			}
			if resolved == nil || !resolved.accepted {
				t.Fatalf("%s not accepted: %+v", tc.action, resolved)
			}
			if len(sc.emails) != tc.sends {
				t.Fatalf("email activity ran %d times, want %d", len(sc.emails), tc.sends)
			}
			if tc.sends == 2 && (sc.emails[0].Resend || !sc.emails[1].Resend || sc.emails[1].Key != sc.emails[0].Key) {
				t.Errorf("sends %+v, want the second a resend with the same key", sc.emails)
			}
			d := sc.detail(t)
			e := d.Timeline[len(d.Timeline)-2]
			if e.Note != "Confirmation emailed" || e.Detail != tc.detail {
				t.Errorf("timeline before the end says %q (%q), want Confirmation emailed (%q)", e.Note, e.Detail, tc.detail)
			}
		})
	}
}
