package connectortest_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/larder-council/larder/connectors/connectortest"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper()           {}
func (r *recorder) Error(args ...any) { r.failures = append(r.failures, fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.Error(args...) }

func TestNoSecretInError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		leaks bool
	}{
		{"clean", errors.New("connector waste: GET /api/properties: timed out"), false},
		{"plain", errors.New("bad token s3cr3t/pw!"), true},
		{"wrapped", fmt.Errorf("connector waste: %w", errors.New("auth s3cr3t/pw! refused")), true},
		{"in a URL", errors.New(`Get "http://larder:s3cr3t%2Fpw%21@127.0.0.1/": refused`), true},
		{"nil error", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			connectortest.NoSecretInError(r, tc.err, "s3cr3t/pw!")
			if got := len(r.failures) > 0; got != tc.leaks {
				t.Errorf("failed = %v (%v), want %v", got, r.failures, tc.leaks)
			}
		})
	}
}
