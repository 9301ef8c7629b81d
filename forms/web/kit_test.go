package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func init() { gin.SetMode(gin.TestMode) }

// newSite is a site with the council's look; what it logs goes to the
// returned buffer.
func newSite(t *testing.T, b Branding) (*Site, *bytes.Buffer) {
	t.Helper()
	var logged bytes.Buffer
	site, err := NewSite(b, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return site, &logged
}

// newEngine is a gin engine that believes no proxy, as production's does
// unless told otherwise, so a request's address is its RemoteAddr.
func newEngine(t *testing.T) *gin.Engine {
	t.Helper()
	r := gin.New()
	if err := r.SetTrustedProxies(nil); err != nil {
		t.Fatal(err)
	}
	return r
}

// reached answers 200 "reached", so a test sees a request got past the
// middleware in front of it.
func reached(c *gin.Context) { c.String(http.StatusOK, "reached") }

// request sends a request to h; header is name, value pairs.
func request(h http.Handler, method, path string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func get(h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	return request(h, http.MethodGet, path, nil, header...)
}

func pageHas(t *testing.T, html string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("page lacks %s", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", html)
	}
}

func pageLacks(t *testing.T, html string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(html, w) {
			t.Errorf("page should not have %s", w)
		}
	}
}
