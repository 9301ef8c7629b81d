// Package web is what every audience's web code shares: the council's look
// (layout, assets, branding), problem responses, and the middleware every
// route passes through (security headers, body and rate limits, metrics,
// bearer tokens). Resident pages, the public API, staff, hooks and
// operations each live in a package of their own and use this one.
package web

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
)

// MaxBody bounds every request body; larger ones get 413. MaxUpload is the
// most a file question may take.
const (
	MaxBody   = 64 << 10
	MaxUpload = 25 << 20
)

// Problem writes an RFC 9457 problem+json reply; errs lists each bad answer.
func Problem(c *gin.Context, status int, title string, errs []forms.FieldError) {
	body := gin.H{"type": "about:blank", "title": title, "status": status}
	if errs != nil {
		body["errors"] = errs
	}
	c.Header("Content-Type", "application/problem+json")
	if status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", "5") // clients back off rather than hammer
	}
	c.Status(status)
	_ = json.NewEncoder(c.Writer).Encode(body)
	c.Abort()
}

// LimitBody refuses bodies over MaxBody with 413, whatever their
// Content-Type says; it is LimitBodyWithUploads for a site that takes no
// files.
func LimitBody(c *gin.Context) { limitBody(c, MaxBody) }

// LimitBodyWithUploads is LimitBody, except on the routes that take files,
// named as gin names them ("/services/:service/pages/:page"): there a
// multipart form may be as large as the largest file plus the rest of the
// form. The limit follows the route, not the client's Content-Type, so a
// JSON body labelled multipart is still held to MaxBody.
func LimitBodyWithUploads(routes ...string) gin.HandlerFunc {
	uploads := make(map[string]bool, len(routes))
	for _, r := range routes {
		uploads[r] = true
	}
	return func(c *gin.Context) {
		limit := int64(MaxBody)
		if uploads[c.FullPath()] && c.ContentType() == "multipart/form-data" {
			limit = MaxUpload + MaxBody
		}
		limitBody(c, limit)
	}
}

// limitBody refuses a body declared longer than limit at once, and cuts
// off one of unstated length as it is read.
func limitBody(c *gin.Context, limit int64) {
	if c.Request.ContentLength > limit {
		Problem(c, http.StatusRequestEntityTooLarge, "Request body too large", nil)
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// StrictTransport is the Strict-Transport-Security a site served over
// HTTPS sends: browsers use nothing but HTTPS for it, and its subdomains,
// for a year.
const StrictTransport = "max-age=31536000; includeSubDomains"

// HeaderOption changes what SecurityHeaders sends.
type HeaderOption func(*headerOptions)

// headerOptions is what the HeaderOptions given to SecurityHeaders chose.
type headerOptions struct{ https bool }

// ServedAt tells SecurityHeaders the address residents reach the site at
// (http.public_url): an https:// one sends StrictTransport; an http:// one
// sends none, since browsers would then refuse the site.
func ServedAt(publicURL string) HeaderOption {
	return func(o *headerOptions) { o.https = strings.HasPrefix(publicURL, "https://") }
}

// SecurityHeaders allows only this site's own styles and scripts (no
// inline script), and images from the council's logo origin when it is
// off-site; served over HTTPS (see ServedAt), it sends StrictTransport.
func SecurityHeaders(b Branding, opts ...HeaderOption) gin.HandlerFunc {
	csp := "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
	if origin := b.logoOrigin(); origin != "" {
		csp += "; img-src 'self' " + origin
	}
	var o headerOptions
	for _, opt := range opts {
		opt(&o)
	}
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if o.https {
			h.Set("Strict-Transport-Security", StrictTransport)
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", csp)
		c.Next()
	}
}

// Bearer lets a request through only with the given token. With no token
// configured the routes are closed, never open; what names them in the
// refusal ("Staff APIs").
func Bearer(token, what string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if token == "" {
			Problem(c, http.StatusServiceUnavailable, what+" are turned off: set a token to use them", nil)
			return
		}
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="larder"`)
			Problem(c, http.StatusUnauthorized, "A valid bearer token is required", nil)
			return
		}
		c.Next()
	}
}
