package ops_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/larder-council/larder/forms/ops"
	"github.com/larder-council/larder/forms/web"
)

// TestMetricsExposeLarderSeries has a request go through the shared
// middleware, then finds it in /metrics by route.
func TestMetricsExposeLarderSeries(t *testing.T) {
	base := serve(t, &ops.Handler{Temporal: temporal{}, Redis: closedRedis(t)}, web.Observe(slog.New(slog.DiscardHandler)))
	get(t, base+"/healthz", nil)
	web.CountSubmission("ops-test", "started")

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	text := string(b)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s, want 200 in Prometheus text format", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`larder_http_request_duration_seconds_count{route="/healthz",status="200"}`,
		`larder_submissions_total{result="started",service="ops-test"}`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
