// Package casetest runs cases for tests on a real Temporal server: the
// embedded one Larder ships, started once per test binary in memory, with a
// case worker per test on a task queue of its own, so tests never see each
// other's cases or activities.
package casetest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/internal/embeddedtemporal"
	"github.com/larder-council/larder/workflows"
)

var (
	once    sync.Once
	shared  client.Client
	srvErr  error
	queueNo atomic.Int64
)

// Log is where test processes log: nowhere, or standard error when
// LARDER_TEST_LOG is set.
func Log() *slog.Logger {
	var w io.Writer = io.Discard
	if os.Getenv("LARDER_TEST_LOG") != "" {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// Client is a client of the test binary's embedded Temporal server, which
// starts on first use and lives until the binary exits.
func Client(t testing.TB) client.Client {
	t.Helper()
	once.Do(func() {
		srv, err := embeddedtemporal.New(embeddedtemporal.Config{
			Address: "127.0.0.1:0", Namespace: "default", LogLevel: "error",
			SearchAttributes: workflows.SearchAttributes,
		})
		if err != nil {
			srvErr = err
			return
		}
		if err := srv.Start(); err != nil {
			srvErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for {
			shared, srvErr = client.DialContext(ctx, client.Options{
				HostPort: srv.HostPort(), Namespace: "default",
				Logger: sdklog.NewStructuredLogger(Log().With("component", "temporal-client")),
			})
			if srvErr == nil || ctx.Err() != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	if srvErr != nil {
		t.Fatalf("embedded temporal for tests: %v", srvErr)
	}
	return shared
}

// Worker starts a case worker with the activities on a new task queue,
// stopped when the test ends, and returns the queue's name.
func Worker(t testing.TB, acts *activities.Activities) string {
	t.Helper()
	tc := Client(t)
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	queue := fmt.Sprintf("test-%s-%d", name, queueNo.Add(1))
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	w.RegisterActivity(acts)
	if err := w.Start(); err != nil {
		t.Fatalf("start case worker: %v", err)
	}
	t.Cleanup(w.Stop)
	return queue
}
