package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/internal/redistest"
)

func TestStaffPagesAskToSignInFirst(t *testing.T) {
	o := newBackOffice(t)
	v := o.visitor(t)
	for path, next := range map[string]string{
		"/staff/":                             "/staff/",
		"/staff/?queue=waste-team&page=2":     "/staff/?queue=waste-team&page=2",
		"/staff/tasks/BK-2345-6789/check":     "/staff/tasks/BK-2345-6789/check",
		"/staff/search?q=LR1+1AA":             "/staff/search?q=LR1+1AA",
		"/staff/cases/BK-2345-6789":           "/staff/cases/BK-2345-6789",
		"/staff/tasks/BK-2345-6789/check?x=1": "/staff/tasks/BK-2345-6789/check?x=1",
	} {
		got := v.get(path)
		if want := "/staff/sign-in?next=" + url.QueryEscape(next); got.Path != want {
			t.Errorf("%s before signing in landed on %s, want %s", path, got.Path, want)
		}
		says(t, path, got, "Sign in to the back office")
	}
	// A post without a session does nothing and asks to sign in too.
	if got := v.send("/staff/tasks/BK-2345-6789/check/claim", url.Values{"from": {""}}); !strings.HasPrefix(got.Path, "/staff/sign-in?next=") {
		t.Errorf("a claim before signing in landed on %s", got.Path)
	}
	// Signing in goes on to where the user was going.
	got := v.postFrom("/staff/sign-in?next="+url.QueryEscape("/staff/?queue=tree-team"), "/staff/sign-in",
		url.Values{"username": {"pat"}, "password": {"pat-test-password"}, "next": {"/staff/?queue=tree-team"}})
	if got.Path != "/staff/?queue=tree-team" {
		t.Errorf("after signing in pat landed on %s, want the inbox of the tree team", got.Path)
	}
	says(t, "the inbox after signing in", got, "Pat Jones", "Sign out", ">Inbox<")
}

func TestSignInGoesOnlyToStaffPagesOfThisSite(t *testing.T) {
	o := newBackOffice(t)
	for _, next := range []string{"https://evil.example/staff/", "//evil.example/staff/", `/\evil.example/`,
		"/services/missed-bin", "/staff/../services", "javascript:alert(1)", "/staff/sign-out"} {
		v := o.visitor(t)
		got := v.postFrom("/staff/sign-in", "/staff/sign-in", url.Values{"username": {"pat"}, "password": {"pat-test-password"}, "next": {next}})
		if got.Path != "/staff/" {
			t.Errorf("signing in with next=%q landed on %s, want the inbox", next, got.Path)
		}
	}
}

func TestSignInMistakes(t *testing.T) {
	o := newBackOffice(t)
	v := o.visitor(t)
	empty := v.post("/staff/sign-in", url.Values{"username": {"  "}, "password": {""}})
	if empty.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty sign-in: %d, want 422", empty.Status)
	}
	says(t, "empty sign-in", empty, "<title>Error: Sign in", "There is a problem",
		`<a href="#username">Enter your username</a>`, `<a href="#password">Enter your password</a>`,
		`id="username-error"`, `id="password-error"`, "govuk-input--error")

	for name, values := range map[string]url.Values{
		"a wrong password":   {"username": {"pat"}, "password": {"not-pats-password"}},
		"an unknown user":    {"username": {"mallory"}, "password": {"pat-test-password"}},
		"another's password": {"username": {"pat"}, "password": {"sam-test-password"}},
	} {
		got := v.post("/staff/sign-in", values)
		says(t, name, got, `<a href="#username">Enter a correct username and password</a>`)
		doesNotSay(t, name, got, values.Get("password"), "Enter your password", "Sign out")
		if !strings.HasPrefix(got.Path, "/staff/sign-in") {
			t.Errorf("%s landed on %s", name, got.Path)
		}
	}
	// The username typed stays in its box; the inbox stays closed.
	says(t, "after a mistake", v.post("/staff/sign-in", url.Values{"username": {"pat"}, "password": {"nope"}}), `value="pat"`)
	if got := v.get("/staff/"); !strings.HasPrefix(got.Path, "/staff/sign-in") {
		t.Errorf("after mistakes the inbox opened at %s", got.Path)
	}
}

func TestRepeatedFailuresLockTheUsernameOut(t *testing.T) {
	o := newBackOffice(t)
	v := o.visitor(t)
	var got page
	for range 5 {
		got = v.post("/staff/sign-in", url.Values{"username": {"jo"}, "password": {"guess"}})
	}
	says(t, "the fifth failure", got, "Too many failed attempts; try again in 15 minutes")
	if got.Status != http.StatusTooManyRequests {
		t.Errorf("locked out: %d, want 429", got.Status)
	}
	got = v.post("/staff/sign-in", url.Values{"username": {"jo"}, "password": {"jo-test-password"}})
	says(t, "the right password while locked out", got, "Too many failed attempts")
	if strings.HasPrefix(got.Path, "/staff/?") || got.Path == "/staff/" {
		t.Error("the right password signed a locked-out user in")
	}
	// Another user is not locked out.
	o.signIn(t, "pat")
}

func TestSessionCookieIsNewAtEachSignIn(t *testing.T) {
	o := newBackOffice(t)
	o.Handler.SecureCookies = true
	v := o.visitor(t)
	v.get("/staff/sign-in")
	planted := &http.Cookie{Name: "larder_staff", Value: "planted-by-someone-else", Path: "/staff"}
	req, _ := http.NewRequest(http.MethodPost, o.URL+"/staff/sign-in", strings.NewReader(url.Values{
		"username": {"pat"}, "password": {"pat-test-password"}, "csrf": {v.token},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range v.http.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	req.AddCookie(planted)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/" {
		t.Fatalf("signing in: %d to %q, want 303 to the inbox", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "larder_staff" {
			session = c
		}
	}
	switch {
	case session == nil:
		t.Fatal("no session cookie after signing in")
	case session.Value == planted.Value || len(session.Value) < 32:
		t.Errorf("session id %q: want a new random one", session.Value)
	case !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode || session.Path != "/staff":
		t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/staff", session)
	}
}

func TestSignOutEndsTheSession(t *testing.T) {
	o := newBackOffice(t)
	pat := o.signIn(t, "pat")
	u, _ := url.Parse(o.URL + "/staff/")
	before := pat.http.Jar.Cookies(u)

	// A sign-out from another site (no token) is refused.
	if got := pat.send("/staff/sign-out", url.Values{"csrf": {"made-up"}}); got.Status != http.StatusForbidden {
		t.Errorf("a forged sign-out: %d, want 403", got.Status)
	}
	says(t, "still signed in", pat.get("/staff/"), "Sign out")

	got := pat.post("/staff/sign-out", url.Values{})
	if !strings.HasPrefix(got.Path, "/staff/sign-in") {
		t.Errorf("signing out landed on %s", got.Path)
	}
	says(t, "after signing out", got, "You have signed out")
	doesNotSay(t, "after signing out", got, "Pat Jones")
	if got := pat.get("/staff/"); !strings.HasPrefix(got.Path, "/staff/sign-in") {
		t.Errorf("after signing out the inbox opened at %s", got.Path)
	}
	// The old cookie, replayed, opens nothing.
	replay := o.visitor(t)
	replay.http.Jar.SetCookies(u, before)
	if got := replay.get("/staff/"); !strings.HasPrefix(got.Path, "/staff/sign-in") {
		t.Errorf("a signed-out session's cookie opened %s", got.Path)
	}
}

func TestSignInFormFromAnotherSiteIsRefused(t *testing.T) {
	o := newBackOffice(t)
	v := o.visitor(t)
	for name, token := range map[string]string{"no token": "", "a made-up token": "bm90LWEtdG9rZW4"} {
		got := v.send("/staff/sign-in", url.Values{"username": {"pat"}, "password": {"pat-test-password"}, "csrf": {token}})
		if got.Status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, got.Status)
		}
		says(t, name, got, "This form has expired")
	}
	if got := v.get("/staff/"); !strings.HasPrefix(got.Path, "/staff/sign-in") {
		t.Error("a forged sign-in signed the browser in")
	}
}

func TestFormPostedAfterTheSessionEndedComesBackToItsPage(t *testing.T) {
	o := newBackOffice(t)
	v := o.visitor(t)
	req, _ := http.NewRequest(http.MethodPost, o.URL+"/staff/tasks/BK-2345-6789/check/note", strings.NewReader("note=hello&csrf=old"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", o.URL+"/staff/tasks/BK-2345-6789/check")
	got := v.do(req)
	if want := "/staff/sign-in?next=" + url.QueryEscape("/staff/tasks/BK-2345-6789/check"); got.Path != want {
		t.Errorf("a note posted after the session ended landed on %s, want %s", got.Path, want)
	}
	req, _ = http.NewRequest(http.MethodPost, o.URL+"/staff/tasks/BK-2345-6789/check/note", strings.NewReader("note=hello"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "https://evil.example/staff/tasks/x/y")
	if got := v.do(req); got.Path != "/staff/sign-in?next="+url.QueryEscape("/staff/") {
		t.Errorf("a post from another site's page landed on %s, want the sign-in to the inbox", got.Path)
	}
}

func TestSignInWhileRedisIsDownShowsNoError(t *testing.T) {
	o := newBackOffice(t)
	pat := o.signIn(t, "pat")
	dir := directory(t, &redistest.DB{Client: brokenRedis(t), Prefix: "x:"}, nil)
	o.Handler.Identity = dir
	o.Handler.Sessions = &access.Sessions{Redis: brokenRedis(t), Prefix: "x:"}
	pages := map[string]page{
		"signing in":    o.visitor(t).post("/staff/sign-in", url.Values{"username": {"jo"}, "password": {"jo-test-password"}}),
		"the inbox":     pat.get("/staff/"),
		"signing out":   pat.send("/staff/sign-out", url.Values{"csrf": {"x"}}),
		"the sign-in":   o.visitor(t).get("/staff/sign-in"),
		"a task's page": pat.get("/staff/tasks/BK-2345-6789/check"),
	}
	for what, got := range pages {
		if what == "the sign-in" {
			if got.Status != http.StatusOK {
				t.Errorf("the sign-in form with Redis down: %d, want it shown", got.Status)
			}
			continue
		}
		if got.Status != http.StatusServiceUnavailable {
			t.Errorf("%s with Redis down: %d, want 503", what, got.Status)
		}
		says(t, what, got, "Sorry, there is a problem with the service")
		doesNotSay(t, what, got, "127.0.0.1", "dial", "redis", "session")
	}
}

func TestSignInPageOfSomeoneSignedInGoesOn(t *testing.T) {
	o := newBackOffice(t)
	pat := o.signIn(t, "pat")
	if got := pat.get("/staff/sign-in?next=" + url.QueryEscape("/staff/?status=overdue")); got.Path != "/staff/?status=overdue" {
		t.Errorf("the sign-in page, signed in, landed on %s", got.Path)
	}
}
