package ops_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/ops"
)

// TestMetricsCanBeLimitedToTokenOrAddresses: with metrics.token or
// metrics.allow set, /metrics answers only a caller with the token or
// from an allowed range; others get 401 (a token would do) or 403.
func TestMetricsCanBeLimitedToTokenOrAddresses(t *testing.T) {
	// Security review, And then: /metrics can be limited to an address
	// range or token.
	const token = "metrics-token-0123456789"
	allow, err := ops.ParseAllow([]string{"10.0.0.0/24", "192.0.2.9"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		h            ops.Handler
		from, bearer string
		want         int
	}{
		{"open: anyone", ops.Handler{}, "198.51.100.1", "", http.StatusOK},
		{"range: inside", ops.Handler{MetricsAllow: allow}, "10.0.0.7", "", http.StatusOK},
		{"range: the one address", ops.Handler{MetricsAllow: allow}, "192.0.2.9", "", http.StatusOK},
		{"range: outside", ops.Handler{MetricsAllow: allow}, "198.51.100.1", "", http.StatusForbidden},
		{"range: outside, any token", ops.Handler{MetricsAllow: allow}, "198.51.100.1", token, http.StatusForbidden},
		{"token: none", ops.Handler{MetricsToken: token}, "10.0.0.7", "", http.StatusUnauthorized},
		{"token: wrong", ops.Handler{MetricsToken: token}, "10.0.0.7", token + "x", http.StatusUnauthorized},
		{"token: right", ops.Handler{MetricsToken: token}, "198.51.100.1", token, http.StatusOK},
		{"both: inside without token", ops.Handler{MetricsToken: token, MetricsAllow: allow}, "10.0.0.7", "", http.StatusOK},
		{"both: outside with token", ops.Handler{MetricsToken: token, MetricsAllow: allow}, "198.51.100.1", token, http.StatusOK},
		{"both: outside without token", ops.Handler{MetricsToken: token, MetricsAllow: allow}, "198.51.100.1", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gin.SetMode(gin.TestMode)
			r := gin.New()
			// The test stands behind a proxy it trusts, which names the caller.
			if err := r.SetTrustedProxies([]string{"192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
			h := tc.h
			h.Routes(r)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.RemoteAddr = "192.0.2.1:4000"
			req.Header.Set("X-Forwarded-For", tc.from)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.want {
				t.Errorf("/metrics from %s: %d, want %d", tc.from, w.Code, tc.want)
			}
			if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without a WWW-Authenticate challenge")
			}
		})
	}
}

func TestParseAllowRefusesWhatIsNotARange(t *testing.T) {
	got, err := ops.ParseAllow([]string{"10.0.0.9/24", "::ffff:10.1.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("10.1.1.1/32")}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParseAllow: %v, want %v", got, want)
	}
	if _, err := ops.ParseAllow([]string{"intranet"}); err == nil || err.Error() != `metrics.allow: "intranet" is not an IP address or CIDR range (use 10.0.0.10 or 10.0.0.0/24)` {
		t.Errorf("ParseAllow(intranet): %v", err)
	}
}
