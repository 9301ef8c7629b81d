package staff_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// clerk is a member of staff's browser without JavaScript: cookies,
// links and form posts.
type clerk struct {
	t    *testing.T
	base string
	http *http.Client
	// token is the CSRF token of the last page with a form.
	token string
}

// page is what the browser shows after a request and its redirects.
type page struct {
	Status int
	// Path is where the browser landed, with its query.
	Path   string
	Header http.Header
	Body   string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// visitor is a browser that has not signed in.
func (o *backOffice) visitor(t *testing.T) *clerk {
	jar, _ := cookiejar.New(nil)
	return &clerk{t: t, base: o.URL, http: &http.Client{Jar: jar}}
}

// signIn is a browser signed in as username of the test's staff.yaml
// (see directory).
func (o *backOffice) signIn(t *testing.T, username string) *clerk {
	t.Helper()
	c := o.visitor(t)
	got := c.post("/staff/sign-in", url.Values{"username": {username}, "password": {username + "-test-password"}})
	if got.Status != http.StatusOK || got.Path != "/staff/" {
		t.Fatalf("%s signing in landed on %s (%d):\n%s", username, got.Path, got.Status, got.Body)
	}
	return c
}

func (c *clerk) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, Path: resp.Request.URL.RequestURI(), Header: resp.Header, Body: string(b)}
	if m := csrfInput.FindStringSubmatch(p.Body); m != nil {
		c.token = m[1]
	}
	return p
}

// get shows the page at path.
func (c *clerk) get(path string) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// post submits a form to path as a browser does after showing the page
// the form is on, with that page's CSRF token: a task's page for its
// actions, the inbox for signing out, else the page at path.
func (c *clerk) post(path string, values url.Values) page {
	c.t.Helper()
	from := path
	switch {
	case strings.HasPrefix(path, "/staff/tasks/") && strings.Count(path, "/") == 5:
		from = path[:strings.LastIndex(path, "/")]
	case path == "/staff/sign-out":
		from = "/staff/"
	}
	return c.postFrom(from, path, values)
}

// postFrom shows the page at from, then posts values to path with the
// page's CSRF token.
func (c *clerk) postFrom(from, path string, values url.Values) page {
	c.t.Helper()
	c.token = ""
	c.get(from)
	if c.token == "" {
		c.t.Fatalf("no form on %s to post to %s", from, path)
	}
	values.Set("csrf", c.token)
	return c.send(path, values)
}

// send posts the values as they are, with no token unless they carry one.
func (c *clerk) send(path string, values url.Values) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(values.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// says fails the test unless the page says each of want.
func says(t *testing.T, what string, got page, want ...string) {
	t.Helper()
	missing := false
	for _, w := range want {
		if !strings.Contains(got.Body, w) {
			t.Errorf("%s: the page (%d, %s) does not say %q", what, got.Status, got.Path, w)
			missing = true
		}
	}
	if missing {
		t.Logf("page:\n%s", got.Body)
	}
}

// doesNotSay fails the test if the page says any of unwanted.
func doesNotSay(t *testing.T, what string, got page, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got.Body, w) {
			t.Errorf("%s: the page (%d, %s) says %q", what, got.Status, got.Path, w)
		}
	}
}
