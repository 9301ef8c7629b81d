package main

import (
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// browser is a resident's browser without JavaScript: it keeps cookies and
// does not follow redirects, so each answer's next address can be checked.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(page)
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the page's CSRF token.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, _, page := b.do(http.MethodGet, path, nil)
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("%s has no CSRF token:\n%s", path, page)
	}
	return m[1]
}

// TestSavedDraftSurvivesSIGKILL saves a resident's answers with "save and
// come back later" on `larder serve`'s embedded Redis, kills the process
// with SIGKILL two seconds later, starts it again on the same data folder,
// and checks the emailed link still brings the answers back.
func TestSavedDraftSurvivesSIGKILL(t *testing.T) {
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	defer ws.Close()
	bin := buildLarder(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	p := startProcess(t, bin, dataDir, ws.URL, "LARDER_REDIS_URL=", "LARDER_REDIS_KEY_PREFIX=larder:") // the embedded Redis

	resident := newBrowser(t, p.base)
	page := "/services/missed-bin/pages/postcode"
	if code, next, _ := resident.do(http.MethodPost, page, url.Values{"csrf_token": {resident.csrf(page)}, "postcode": {"lr1 1aa"}}); code != http.StatusSeeOther || strings.HasSuffix(next, "/postcode") {
		t.Fatalf("answering the postcode: %d to %q", code, next)
	}
	save := "/services/missed-bin/save"
	if code, _, body := resident.do(http.MethodPost, save, url.Values{"csrf_token": {resident.csrf(save)}, "email": {"sam@example.com"}}); code != http.StatusOK || !strings.Contains(body, "Your answers have been saved") {
		t.Fatalf("save and come back later: %d\n%s", code, body)
	}
	link := resumeLink(t, dataDir)

	time.Sleep(2 * time.Second) // the snapshot is at most a second old
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()

	p = startProcess(t, bin, dataDir, ws.URL, "LARDER_REDIS_URL=", "LARDER_REDIS_KEY_PREFIX=larder:")
	later := newBrowser(t, p.base) // another browser: only the link carries the draft
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	// The link opens a page that asks to continue; its button restores.
	code, next, body := later.do(http.MethodPost, u.Path, url.Values{"csrf_token": {later.csrf(u.Path)}})
	if code != http.StatusSeeOther || strings.HasSuffix(next, "/postcode") {
		t.Fatalf("the resume link after a SIGKILL: %d to %q\n%s", code, next, body)
	}
	if _, _, form := later.do(http.MethodGet, page, nil); !strings.Contains(form, `value="LR1 1AA"`) {
		t.Fatalf("the postcode answered before the kill is gone:\n%s", form)
	}
}

var resumePath = regexp.MustCompile(`https?://\S+/services/missed-bin/resume/[A-Za-z0-9_-]+`)

// resumeLink is the link in the one "save and come back later" email.
func resumeLink(t *testing.T, dataDir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "outbox", "resume*.eml"))
	if len(files) != 1 {
		t.Fatalf("want one resume email, found %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, _ := io.ReadAll(f)
	text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(raw))))
	if err != nil {
		text = raw
	}
	link := resumePath.FindString(string(text))
	if link == "" {
		t.Fatalf("no resume link in the email:\n%s", raw)
	}
	return link
}
