package resident

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// forgedTokens are the tokens a post from another site might carry: none,
// one made up, and a real one from another resident's session.
func forgedTokens(t *testing.T, base string) map[string]string {
	other := newResident(t, base)
	other.readToken("/services/missed-bin/pages/postcode")
	return map[string]string{"no token": "", "a made-up token": "bm90LWEtdG9rZW4", "another session's token": other.token}
}

// refused checks a post was turned away as a stale form.
func refused(t *testing.T, what string, got reply) {
	t.Helper()
	if got.Status != http.StatusForbidden {
		t.Errorf("%s: %d, want 403", what, got.Status)
	}
	mustSay(t, what, got, "Your session has expired", "Go back, reload the page and try again.")
}

func TestAnswerWithoutItsFormsTokenIsRefused(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	r.readToken("/services/missed-bin/pages/postcode")
	for name, token := range forgedTokens(t, l.URL) {
		got := r.send("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR9 9ZZ"}, "csrf_token": {token}})
		refused(t, name, got)
	}
	mustNotSay(t, "the postcode page after forged posts", r.get("/services/missed-bin/pages/postcode"), "LR9 9ZZ")
	// The same post with the page's own token goes through.
	if got := r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}}); got.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("with the page's token, the answer landed on %s", got.Path)
	}
}

func TestSendWithoutItsFormsTokenStartsNoCase(t *testing.T) {
	cases := &fakeCases{}
	l := serve(t, &Handler{Cases: cases}, 0, nil)
	r := newResident(t, l.URL)
	fillMissedBin(t, r)
	for name, token := range forgedTokens(t, l.URL) {
		got := r.send("/services/missed-bin/check", url.Values{"csrf_token": {token}})
		refused(t, name, got)
	}
	if n := len(cases.Started()); n != 0 {
		t.Fatalf("forged sends started %d cases", n)
	}
	if got := r.post("/services/missed-bin/check", url.Values{}); !strings.HasPrefix(got.Path, "/services/missed-bin/done/") || len(cases.Started()) != 1 {
		t.Fatalf("with the page's token, the send landed on %s and started %d cases", got.Path, len(cases.Started()))
	}
}

func TestResumeLinkRequestWithoutItsFormsTokenSendsNoEmail(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	r.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR1 1AA"}, "save": {"1"}})
	for name, token := range forgedTokens(t, l.URL) {
		got := r.send("/services/missed-bin/save", url.Values{"email": {"attacker@example.com"}, "csrf_token": {token}})
		refused(t, name, got)
	}
	if sent, _ := os.ReadDir(l.Outbox); len(sent) != 0 {
		t.Fatalf("forged requests sent %d emails", len(sent))
	}
	mustSay(t, "with the page's token", r.post("/services/missed-bin/save", url.Values{"email": {"sam@example.com"}}), "Your answers have been saved")
}

// TestCachedPageCarriesEachSessionsToken shows a question page, kept once
// rendered, to two sessions twice: each sees its own token every time.
func TestCachedPageCarriesEachSessionsToken(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	sids := []string{l.Handler.newSessionID(), l.Handler.newSessionID()}
	for range 2 { // the second visit is served from the cache
		for _, sid := range sids {
			req := httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
			w := httptest.NewRecorder()
			l.Config.Handler.ServeHTTP(w, req)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, `value="`+l.Handler.csrfToken(sid)+`"`) || strings.Contains(body, csrfPlaceholder) {
				t.Fatalf("session %s did not get its own CSRF token (%d):\n%s", sid, w.Code, body)
			}
		}
	}
}
