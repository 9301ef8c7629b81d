package resident

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// sessionCookieOf is the session cookie a reply sets, or nil.
func sessionCookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Security finding 13: any 32-character session cookie was accepted, so
// someone who planted one in a resident's browser could read, with the
// same cookie, what the resident typed.
func TestFinding13MadeUpSessionIDIsNotAdopted(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	planted := "Zm9yZ2VkLXNlc3Npb24taWQtMzItY2hh" // 32 characters, never issued
	page := l.URL + "/services/missed-bin/pages/postcode"

	req := httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: planted})
	w := httptest.NewRecorder()
	l.Config.Handler.ServeHTTP(w, req)
	fresh := sessionCookieOf(w.Result(), sessionCookie)
	if fresh == nil || fresh.Value == planted {
		t.Fatalf("a made-up session id was kept (Set-Cookie %v); want a fresh one issued", w.Result().Header["Set-Cookie"])
	}
	if strings.Contains(w.Body.String(), l.Handler.csrfToken(planted)) {
		t.Errorf("the page carries the made-up session's form token")
	}

	// A resident whose browser was given the made-up id answers a question;
	// whoever planted it sees nothing of it.
	victim := newResident(t, l.URL)
	u, _ := url.Parse(page)
	victim.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}})
	if got := victim.post("/services/missed-bin/pages/postcode", url.Values{"postcode": {"LR2 7QT"}}); got.Path != "/services/missed-bin/pages/address" {
		t.Fatalf("the resident's answer landed on %s", got.Path)
	}
	for _, c := range victim.http.Jar.Cookies(u) {
		if c.Name == sessionCookie && c.Value == planted {
			t.Errorf("the resident's browser still holds the planted session")
		}
	}
	spy := newResident(t, l.URL)
	spy.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: planted, Path: "/"}, {Name: draftsCookie, Value: "missed-bin", Path: "/"}})
	mustNotSay(t, "the postcode page with the planted session", spy.get("/services/missed-bin/pages/postcode"), "LR2 7QT")

	// An id the server issued is kept from page to page.
	mine := newResident(t, l.URL)
	first := mine.get("/services/missed-bin/pages/postcode")
	if sessionCookieOf(&http.Response{Header: first.Header}, sessionCookie) == nil {
		t.Fatal("no session cookie on a first visit")
	}
	if again := mine.get("/services/missed-bin/pages/postcode"); sessionCookieOf(&http.Response{Header: again.Header}, sessionCookie) != nil {
		t.Errorf("an issued session was replaced on the next page")
	}
}

// Security finding 13: over HTTPS the session cookie is a __Host- cookie,
// which a neighbouring subdomain cannot set.
func TestFinding13SessionCookieIsHostPrefixedOverHTTPS(t *testing.T) {
	l := serve(t, &Handler{SecureCookies: true}, 0, nil)
	req := httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)
	w := httptest.NewRecorder()
	l.Config.Handler.ServeHTTP(w, req)
	c := sessionCookieOf(w.Result(), hostSessionCookie)
	if c == nil || !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly {
		t.Fatalf("over HTTPS the session cookie is %v; want __Host-larder_session, Secure, HttpOnly, Path=/, no Domain", w.Result().Header["Set-Cookie"])
	}
	if sessionCookieOf(w.Result(), sessionCookie) != nil {
		t.Errorf("over HTTPS the plain larder_session cookie was set as well")
	}
	// The cookie is read back under the same name.
	req = httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)
	req.AddCookie(&http.Cookie{Name: hostSessionCookie, Value: c.Value})
	w = httptest.NewRecorder()
	l.Config.Handler.ServeHTTP(w, req)
	if got := sessionCookieOf(w.Result(), hostSessionCookie); got != nil {
		t.Errorf("the issued __Host- session was replaced by %s", got.Value)
	}
	if !strings.Contains(w.Body.String(), l.Handler.csrfToken(c.Value)) {
		t.Errorf("the second page does not carry the session's form token")
	}
}

// Over HTTPS the cookie listing a browser's saved forms is a __Host-
// cookie too, and is read back under that name.
func TestDraftsCookieIsHostPrefixedOverHTTPS(t *testing.T) {
	l := serve(t, &Handler{SecureCookies: true}, 0, nil)
	do := func(req *http.Request, cookies ...*http.Cookie) *http.Response {
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		l.Config.Handler.ServeHTTP(w, req)
		return w.Result()
	}
	session := sessionCookieOf(do(httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)), hostSessionCookie)
	if session == nil {
		t.Fatal("no session cookie over HTTPS")
	}
	form := url.Values{"csrf_token": {l.Handler.csrfToken(session.Value)}, "postcode": {"LR1 1AA"}}
	post := httptest.NewRequest(http.MethodPost, "/services/missed-bin/pages/postcode", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := do(post, session)
	drafts := sessionCookieOf(res, hostDraftsCookie)
	if drafts == nil || !drafts.Secure || drafts.Path != "/" || drafts.Domain != "" {
		t.Fatalf("after a page is saved over HTTPS the cookies are %v; want __Host-larder_drafts, Secure, Path=/, no Domain", res.Header["Set-Cookie"])
	}
	if sessionCookieOf(res, draftsCookie) != nil {
		t.Errorf("over HTTPS the plain larder_drafts cookie was set as well")
	}
	page := do(httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil), session, drafts)
	if body, _ := io.ReadAll(page.Body); !strings.Contains(string(body), `value="LR1 1AA"`) {
		t.Errorf("the saved answer is not on the page again: the __Host- drafts cookie was not read")
	}
}
