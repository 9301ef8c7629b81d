package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
)

// problemBody is an RFC 9457 problem as Problem writes it.
type problemBody struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Errors []forms.FieldError `json:"errors"`
}

func decodeProblem(t *testing.T, body string) problemBody {
	t.Helper()
	var p problemBody
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not problem+json: %v\n%s", err, body)
	}
	return p
}

func TestProblem(t *testing.T) {
	r := newEngine(t)
	r.GET("/invalid", func(c *gin.Context) {
		Problem(c, http.StatusUnprocessableEntity, "Check your answers", []forms.FieldError{{Field: "email", Message: "Enter an email address"}})
	}, reached)
	r.GET("/down", func(c *gin.Context) { Problem(c, http.StatusServiceUnavailable, "Try again shortly", nil) })
	r.GET("/down-a-while", func(c *gin.Context) {
		c.Header("Retry-After", "120")
		Problem(c, http.StatusServiceUnavailable, "Down for maintenance", nil)
	})

	w := get(r, "/invalid")
	p := decodeProblem(t, w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || w.Header().Get("Content-Type") != "application/problem+json" ||
		p.Type != "about:blank" || p.Title != "Check your answers" || p.Status != 422 ||
		len(p.Errors) != 1 || p.Errors[0].Field != "email" {
		t.Errorf("422: %d %s %+v", w.Code, w.Header().Get("Content-Type"), p)
	}
	if strings.Contains(w.Body.String(), "reached") {
		t.Error("a problem must stop the handlers after it")
	}
	if w.Header().Get("Retry-After") != "" {
		t.Error("only unavailable answers say when to retry")
	}
	if strings.Contains(get(r, "/down").Body.String(), `"errors"`) {
		t.Error("a problem without field errors lists none")
	}
	if got := get(r, "/down").Header().Get("Retry-After"); got != "5" {
		t.Errorf("503 Retry-After %q, want 5 so clients back off", got)
	}
	if got := get(r, "/down-a-while").Header().Get("Retry-After"); got != "120" {
		t.Errorf("503 Retry-After %q, want the handler's own 120 kept", got)
	}
}

func TestLimitBody(t *testing.T) {
	r := newEngine(t)
	r.Use(LimitBody)
	r.POST("/submit", func(c *gin.Context) {
		b, err := c.GetRawData()
		if err != nil {
			c.String(http.StatusRequestEntityTooLarge, "read: %v", err)
			return
		}
		c.String(http.StatusOK, "read %d", len(b))
	})

	if w := request(r, http.MethodPost, "/submit", strings.NewReader(strings.Repeat("a", MaxBody)), "Content-Type", "application/json"); w.Code != http.StatusOK {
		t.Errorf("a body of exactly MaxBody: %d %s", w.Code, w.Body)
	}
	w := request(r, http.MethodPost, "/submit", strings.NewReader(strings.Repeat("a", MaxBody+1)), "Content-Type", "application/json")
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("Content-Type") != "application/problem+json" ||
		decodeProblem(t, w.Body.String()).Title != "Request body too large" {
		t.Errorf("a body one byte over MaxBody: %d %s", w.Code, w.Body)
	}
	// A body that does not say its length is cut off as it is read.
	chunked := struct{ *strings.Reader }{strings.NewReader(strings.Repeat("a", MaxBody+1))}
	if w := request(r, http.MethodPost, "/submit", chunked, "Content-Type", "application/json"); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("an over-long body of unstated length: %d %s", w.Code, w.Body)
	}
	// With no route named as taking files, a multipart form is held to it too.
	if w := request(r, http.MethodPost, "/submit", strings.NewReader(strings.Repeat("a", MaxBody+1)), "Content-Type", "multipart/form-data; boundary=x"); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a multipart form one byte over MaxBody: %d %s", w.Code, w.Body)
	}
}

// Security finding 2: the body limit followed the client's Content-Type, so
// a 2 MiB JSON body labelled multipart/form-data was read in full by a
// route that takes no files. The limit follows the route.
func TestFinding2BodyLimitFollowsTheRouteNotTheContentType(t *testing.T) {
	r := newEngine(t)
	r.Use(LimitBodyWithUploads("/services/:service/pages/:page"))
	read := func(c *gin.Context) {
		b, err := c.GetRawData()
		if err != nil {
			c.String(http.StatusRequestEntityTooLarge, "read: %v", err)
			return
		}
		c.String(http.StatusOK, "read %d", len(b))
	}
	r.POST("/services/:service/pages/:page", read)
	r.POST("/api/v1/services/:service/submissions", read)

	const multipart = "multipart/form-data; boundary=x"
	big := strings.Repeat(" ", 2<<20) + `{"name":"Sam"}`
	w := request(r, http.MethodPost, "/api/v1/services/missed-bin/submissions", strings.NewReader(big), "Content-Type", multipart)
	if w.Code != http.StatusRequestEntityTooLarge || decodeProblem(t, w.Body.String()).Title != "Request body too large" || strings.Contains(w.Body.String(), "read") {
		t.Errorf("2 MiB labelled multipart to a route that takes no files: %d %s, want 413 before it is read", w.Code, w.Body)
	}
	streamed := struct{ *strings.Reader }{strings.NewReader(big)}
	if w := request(r, http.MethodPost, "/api/v1/services/missed-bin/submissions", streamed, "Content-Type", multipart); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("the same, of unstated length: %d %s, want 413 once MaxBody is read", w.Code, w.Body)
	}
	// The route that takes files takes a form with one, as large as the
	// largest file, and only as a multipart form.
	file := strings.Repeat("a", 2*MaxBody)
	if w := request(r, http.MethodPost, "/services/fly-tipping/pages/photo", strings.NewReader(file), "Content-Type", multipart); w.Code != http.StatusOK {
		t.Errorf("a form with a file, over MaxBody but under MaxUpload: %d %s", w.Code, w.Body)
	}
	for _, ct := range []string{"application/x-www-form-urlencoded", "application/json"} {
		if w := request(r, http.MethodPost, "/services/fly-tipping/pages/photo", strings.NewReader(file), "Content-Type", ct); w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s over MaxBody to the route that takes files: %d, want 413", ct, w.Code)
		}
	}
	if w := request(r, http.MethodPost, "/services/fly-tipping/pages/photo", strings.NewReader(strings.Repeat("a", MaxUpload+MaxBody+1)), "Content-Type", multipart); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a form over MaxUpload: %d, want 413", w.Code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       Branding
		wantCSP string
	}{
		{"no logo", Branding{}, "default-src 'self'; form-action 'self'; frame-ancestors 'none'"},
		{"logo on this site", Branding{LogoURL: "/logo.svg"}, "default-src 'self'; form-action 'self'; frame-ancestors 'none'"},
		{"logo elsewhere", Branding{LogoURL: "https://www.larchester.gov.uk/images/logo.svg"},
			"default-src 'self'; form-action 'self'; frame-ancestors 'none'; img-src 'self' https://www.larchester.gov.uk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newEngine(t)
			r.Use(SecurityHeaders(tc.b))
			r.GET("/", reached)
			h := get(r, "/").Header()
			if got := h.Get("Content-Security-Policy"); got != tc.wantCSP {
				t.Errorf("Content-Security-Policy %q, want %q", got, tc.wantCSP)
			}
			for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
				if got := h.Get(name); got != want {
					t.Errorf("%s %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestBearer(t *testing.T) {
	open := newEngine(t)
	open.GET("/api", Bearer("s3cret-token", "Staff APIs"), reached)
	off := newEngine(t)
	off.GET("/api", Bearer("", "Staff APIs"), reached)

	w := get(off, "/api", "Authorization", "Bearer ")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(decodeProblem(t, w.Body.String()).Title, "Staff APIs are turned off") {
		t.Errorf("no token configured: %d %s; want 503 saying the APIs are off", w.Code, w.Body)
	}
	for name, auth := range map[string]string{
		"none": "", "wrong": "Bearer s3cret-tokeN", "prefix of it": "Bearer s3cret", "basic": "Basic s3cret-token", "no scheme": "s3cret-token",
	} {
		w := get(open, "/api", "Authorization", auth)
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Bearer realm="larder"` || strings.Contains(w.Body.String(), "reached") {
			t.Errorf("%s token: %d %q %s; want 401 with a challenge", name, w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
		}
	}
	if w := get(open, "/api", "Authorization", "Bearer s3cret-token"); w.Code != http.StatusOK || w.Body.String() != "reached" {
		t.Errorf("the right token: %d %s", w.Code, w.Body)
	}
}
