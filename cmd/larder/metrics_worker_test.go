package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/redistest"
)

// TestWorkerServesMetrics runs `larder worker` alone (it serves no pages)
// with worker.metrics_address set: it answers /healthz and /readyz, and
// /metrics, limited by metrics.token as on the web, shows the Temporal
// SDK's worker metrics, which only a worker makes.
func TestWorkerServesMetrics(t *testing.T) {
	cfg, err := defaults().parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	db := redistest.New(t)
	cfg.DataDir, cfg.RecipesDir = t.TempDir(), recipesDir
	cfg.Redis.URL, cfg.Redis.KeyPrefix = db.URL, db.Prefix
	cfg.Worker.MetricsAddress = "127.0.0.1:0"
	cfg.Metrics.Token = "metrics-test-token-0123"
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	stopped := make(chan error, 1)
	go func() {
		stopped <- runApp(ctx, cfg, roles{worker: true}, casetest.Log(), func(a *app) {
			addr := ""
			if a.http != nil {
				addr = a.http.Addr
			}
			started <- addr
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("larder worker stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("larder worker did not shut down within 30s")
		}
	})
	var base string
	select {
	case addr := <-started:
		if addr == "" {
			t.Fatal("larder worker serves nothing with worker.metrics_address set")
		}
		base = "http://" + addr
	case err := <-stopped:
		t.Fatalf("larder worker did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("larder worker did not start within 60s")
	}

	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path, ""); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	if code, _ := get("/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /metrics without metrics.token: %d, want 401", code)
	}
	code, body := get("/metrics", cfg.Metrics.Token)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics with metrics.token: %d", code)
	}
	for _, want := range []string{"temporal_num_pollers{", `poller_type="workflow_task"`, "temporal_worker_task_slots_available{"} {
		if !strings.Contains(body, want) {
			t.Errorf("the worker's /metrics lacks %s", want)
		}
	}
	if code, _ := get("/", ""); code != http.StatusNotFound {
		t.Errorf("GET / on the worker: %d, want 404 (it serves no pages)", code)
	}
}
