package staff_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// TestSignInAttemptsFromOneAddressAreLimited: lockout guards each
// username; one address trying a password on many usernames is stopped
// after 20 attempts a minute, with a page saying to wait.
func TestSignInAttemptsFromOneAddressAreLimited(t *testing.T) {
	o := newBackOffice(t)
	v := o.visitor(t)
	var last page
	for i := range 21 {
		last = v.post("/staff/sign-in", url.Values{"username": {fmt.Sprintf("user%d", i)}, "password": {"Winter2026!"}})
		if i < 20 && last.Status == http.StatusTooManyRequests {
			t.Fatalf("attempt %d refused as too many", i+1)
		}
	}
	if last.Status != http.StatusTooManyRequests {
		t.Fatalf("attempt 21 in a minute: %d, want 429", last.Status)
	}
	says(t, "the 21st attempt", last, "Too many attempts to sign in", "Wait a minute")
	doesNotSay(t, "the 21st attempt", last, "Your answers have been saved")
}
