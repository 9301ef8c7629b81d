package resident

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// tinyPNG is a 1x1 PNG, for file questions.
var tinyPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// resident is a browser without JavaScript: cookies, links and form posts.
type resident struct {
	t     *testing.T
	base  string
	http  *http.Client
	token string // the CSRF token of the last form seen, as a double click resends it
}

// reply is what the browser shows after a request and its redirects.
type reply struct {
	Status int
	// Path is where the browser landed.
	Path string
	// URL is where the browser landed with its query, like
	// /services/fly-tipping/pages/who?return=check.
	URL    string
	Header http.Header
	Body   string
}

func newResident(t *testing.T, base string) *resident {
	return newResidentAt(t, base, "")
}

// newResidentAt is a resident whose requests come from addr, as the
// council's proxy tells Larder in X-Forwarded-For; "" is the test's own.
func newResidentAt(t *testing.T, base, addr string) *resident {
	jar, _ := cookiejar.New(nil)
	var rt http.RoundTripper = http.DefaultTransport
	if addr != "" {
		rt = forwardedFor{addr: addr}
	}
	return &resident{t: t, base: base, http: &http.Client{Jar: jar, Transport: rt}}
}

type forwardedFor struct{ addr string }

func (f forwardedFor) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Forwarded-For", f.addr)
	return http.DefaultTransport.RoundTrip(req)
}

func (r *resident) do(req *http.Request) reply {
	r.t.Helper()
	resp, err := r.http.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Path: resp.Request.URL.Path, URL: resp.Request.URL.RequestURI(), Header: resp.Header, Body: string(b)}
}

// peek asks for the page at path without following a redirect, and
// returns the status and where a redirect points.
func (r *resident) peek(path string) (status int, location string) {
	r.t.Helper()
	c := *r.http
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(r.base + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func (r *resident) get(path string) reply {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.base+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.do(req)
}

// post submits the form on the page at path, as a browser does after
// showing it: with the page's CSRF token.
func (r *resident) post(path string, values url.Values) reply {
	r.t.Helper()
	r.readToken(path)
	values.Set("csrf_token", r.token)
	return r.send(path, values)
}

// send posts the values as they are, with no token unless they carry one.
func (r *resident) send(path string, values url.Values) reply {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(values.Encode()))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.do(req)
}

// postFile submits a page with a file, as a browser does.
func (r *resident) postFile(path, field, name string, data []byte) reply {
	r.t.Helper()
	r.readToken(path)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf_token", r.token)
	fw, _ := w.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, r.base+path, &body)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return r.do(req)
}

// readToken shows the page at path and keeps its form's CSRF token.
func (r *resident) readToken(path string) {
	r.t.Helper()
	page := r.get(path)
	if m := csrfField.FindStringSubmatch(page.Body); m != nil {
		r.token = m[1]
	}
	if r.token == "" {
		r.t.Fatalf("no CSRF token on %s (%d):\n%s", path, page.Status, page.Body)
	}
}

// mustSay fails the test unless the page says each of want.
func mustSay(t *testing.T, what string, got reply, want ...string) {
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

// mustNotSay fails the test if the page says any of unwanted.
func mustNotSay(t *testing.T, what string, got reply, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got.Body, w) {
			t.Errorf("%s: the page (%d, %s) says %q", what, got.Status, got.Path, w)
		}
	}
}
