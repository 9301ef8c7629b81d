package staff_test

import (
	"net/http"
	"testing"
)

func TestProblemPagesLeadBackToTheInbox(t *testing.T) {
	o := newBackOffice(t)
	got := o.signIn(t, "pat").get("/staff/tasks/not-a-reference/check")
	if got.Status != http.StatusNotFound {
		t.Fatalf("a task of no case: %d, want 404", got.Status)
	}
	says(t, "the page not found", got, "Page not found", `<a class="govuk-link" href="/staff/">Go to your inbox</a>`)
	doesNotSay(t, "the page not found", got, "See all council services")

	// A form from before the session started is refused the same way,
	// and the inbox link leads a signed-out user to sign in.
	expired := o.visitor(t).send("/staff/sign-in", nil)
	if expired.Status != http.StatusForbidden {
		t.Fatalf("a sign-in with no form token: %d, want 403", expired.Status)
	}
	says(t, "an expired sign-in form", expired, "This form has expired", `href="/staff/">Go to your inbox</a>`)
}
