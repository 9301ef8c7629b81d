package web

import "testing"

// TestStrictTransportOnlyOverHTTPS: browsers are told to use HTTPS only
// when the site is served at an https:// address; over http:// the header
// would lock residents out, so it is not sent.
func TestStrictTransportOnlyOverHTTPS(t *testing.T) {
	// Security review, And then: HSTS when served over HTTPS.
	for _, tc := range []struct {
		publicURL, want string
	}{
		{"https://forms.larchester.gov.example", "max-age=31536000; includeSubDomains"},
		{"http://localhost:8080", ""},
		{"", ""},
	} {
		r := newEngine(t)
		r.Use(SecurityHeaders(Branding{}, ServedAt(tc.publicURL)))
		r.GET("/", reached)
		if got := get(r, "/").Header().Get("Strict-Transport-Security"); got != tc.want {
			t.Errorf("served at %q: Strict-Transport-Security %q, want %q", tc.publicURL, got, tc.want)
		}
	}
}
