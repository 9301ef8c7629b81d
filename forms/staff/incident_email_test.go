package staff_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/workflows"
)

// TestEmailThatMayHaveGoneIsResolvedOnItsIncidentPage: the mail relay is
// lost after a permit's confirmation went and before it answered. The
// case does not send it again; it pauses with an incident whose page names
// the Message-ID and offers to send it again or mark it as sent. Staff who
// find the relay did not take it send it again; staff who find it did mark
// it sent. Either way the resident has one email, and the case goes on to
// its task.
func TestEmailThatMayHaveGoneIsResolvedOnItsIncidentPage(t *testing.T) {
	for _, tc := range []struct {
		action, button, flash string
		taken                 bool // whether the relay took the first
	}{
		{"retry", "Send it again", "The email is being sent again", false},
		{"skip", "Mark as sent", "The email is marked as sent", true},
	} {
		t.Run(tc.action, func(t *testing.T) {
			relay := connectortest.NewSMTPRelay(t)
			relay.HangUpBeforeAnswering(tc.taken)
			db := redistest.New(t)
			smtp, err := mail.NewSMTP("smtp://"+relay.Addr, "Larchester Council <no-reply@larchester.example>", db.Client)
			if err != nil {
				t.Fatal(err)
			}
			smtp.KeyPrefix = db.Prefix
			o := newBackOffice(t, withCases, withMail(smtp))
			ref := o.submit(t, "permit", map[string]any{"full_name": "Robin Ashworth", "email": "sam@example.com", "postcode": "LR1 1AA"})
			d := o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
			inc := d.Incidents[0]
			if inc.Step != "confirm" || inc.Code != workflows.CodeEmailUnsure || !regexp.MustCompile(`Message-ID <[0-9a-f]{32}@larchester\.example>`).MatchString(inc.Error) {
				t.Fatalf("incident %+v, want one at confirm, email_unsure, naming the Message-ID", inc)
			}
			time.Sleep(100 * time.Millisecond) // the case would send again now if it were going to
			if n, want := len(relay.Received()), map[bool]int{true: 1}[tc.taken]; n != want {
				t.Fatalf("relay received %d messages before staff decided, want %d", n, want)
			}

			alex := o.signIn(t, "alex")
			at := "/staff/cases/" + ref + "/incidents/" + inc.ID
			got := alex.get(at)
			says(t, "the incident", got, "may have taken this email", "s***@example.com", "Message-ID", "relay's log",
				"Send it again", "Mark as sent", "Cancel case", `action="`+at+`/retry"`, `action="`+at+`/skip"`)
			doesNotSay(t, "the incident", got, "Skip the step", `name="value"`)

			got = alex.postFrom(at, at+"/"+tc.action, url.Values{})
			if got.Status != http.StatusOK || got.Path != "/staff/cases/"+ref {
				t.Fatalf("%s: landed on %s (%d), want the case page", tc.button, got.Path, got.Status)
			}
			says(t, "after "+tc.button, got, tc.flash)
			o.waitForTask(t, ref, "decide")
			if n := len(relay.To("sam@example.com")); n != 1 {
				t.Errorf("the resident has %d emails, want 1", n)
			}
			d = o.detail(t, ref)
			if r := d.Incidents[0].Resolution; r == nil || r.Action != tc.action || r.By != "alex" {
				t.Errorf("incident resolution %+v, want alex's %s", r, tc.action)
			}
		})
	}
}
