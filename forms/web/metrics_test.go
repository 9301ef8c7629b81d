package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// sample is the metric's sample with the labels: a histogram's count of
// observations or a counter's value; 0 when it has none yet.
func sample(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// observed is how many requests the duration histogram has counted for
// the route and status.
func observed(t *testing.T, route, status string) float64 {
	t.Helper()
	return sample(t, "larder_http_request_duration_seconds", map[string]string{"route": route, "status": status})
}

func TestObserveCountsEachRequestByRoute(t *testing.T) {
	var logged bytes.Buffer
	r := newEngine(t)
	r.Use(Observe(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	r.GET("/observe-test/:reference", reached)
	r.GET("/observe-test-broken", func(c *gin.Context) { c.Status(http.StatusBadGateway) })

	route := "/observe-test/:reference"
	before := observed(t, route, "200")
	get(r, "/observe-test/MB-7K4Q-2PXD")
	get(r, "/observe-test/MB-2PXD-7K4Q")
	if got := observed(t, route, "200") - before; got != 2 {
		t.Errorf("two requests to %s counted %v times; want 2, labelled by route, not by reference", route, got)
	}
	if n := observed(t, "/observe-test/MB-7K4Q-2PXD", "200"); n != 0 {
		t.Error("a path with a reference became a label; every case would add a series")
	}

	unmatched := observed(t, "unmatched", "404")
	get(r, "/no-such-page")
	if got := observed(t, "unmatched", "404") - unmatched; got != 1 {
		t.Errorf("a request matching no route counted %v times under unmatched", got)
	}
	if logged.Len() != 0 {
		t.Errorf("answered requests should log below warn:\n%s", logged.String())
	}
	get(r, "/observe-test-broken")
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "status=502") {
		t.Errorf("a 5xx should be logged as a warning; log:\n%s", logged.String())
	}
}

func TestCountSubmission(t *testing.T) {
	labels := map[string]string{"service": "count-test", "result": "started"}
	before := sample(t, "larder_submissions_total", labels)
	CountSubmission("count-test", "started")
	CountSubmission("count-test", "invalid")
	if got := sample(t, "larder_submissions_total", labels) - before; got != 1 {
		t.Errorf("one submission started counted %v times", got)
	}
}
