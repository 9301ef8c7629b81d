package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/embeddedtemporal"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// processLog is a command's standard error, safe to read while it writes.
type processLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *processLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *processLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// started is the log line a serve, web or worker writes once it runs.
var started = regexp.MustCompile(`msg="larder started" web=(\w+) worker=(\w+) http=(\S*)`)

// startCommand runs `larder <args>` in this process, as an operator would
// on its own machine, until the test ends; it returns the web address
// ("" for a worker) and the command's log. Stopping it must exit 0.
func startCommand(t *testing.T, args ...string) (addr string, log *processLog) {
	t.Helper()
	log = &processLog{}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- larderUntil(ctx, args, io.Discard, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("larder %s exited %d when stopped:\n%s", args[0], code, log)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("larder %s did not stop within 30s of being told to", args[0])
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := started.FindStringSubmatch(log.String()); m != nil {
			if m[3] == `""` {
				return "", log
			}
			return m[3], log
		}
		select {
		case code := <-exited:
			exited <- code // for the cleanup
			t.Fatalf("larder %s exited %d before it started:\n%s", args[0], code, log)
		case <-deadline:
			t.Fatalf("larder %s did not start within 60s:\n%s", args[0], log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sharedTemporal starts a Temporal server of the test's own, in memory,
// standing in for a council's cluster, and returns its address.
func sharedTemporal(t *testing.T) string {
	t.Helper()
	srv, err := embeddedtemporal.New(embeddedtemporal.Config{
		Address: "127.0.0.1:0", Namespace: "default", LogLevel: "error", SearchAttributes: workflows.SearchAttributes,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.HostPort()
}

// pollers counts the workers polling a task queue for cases.
func pollers(t *testing.T, tc client.Client, queue string) int {
	t.Helper()
	d, err := tc.DescribeTaskQueue(context.Background(), queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		t.Fatal(err)
	}
	return len(d.GetPollers())
}

// TestScaleOutWebAndWorkerAsSeparateProcesses runs `larder web` and
// `larder worker` apart, sharing one Temporal and one Redis, as the README
// tells operators to scale out: a case submitted to the web process waits
// until a worker runs, and the worker then completes it.
func TestScaleOutWebAndWorkerAsSeparateProcesses(t *testing.T) {
	clearEnv(t)
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	// Every web process signs with the one key, as larder web requires.
	t.Setenv("LARDER_SECRET_KEY", "scale-out-test-key-0123456789abcdef")
	temporalAddr := sharedTemporal(t)
	db := redistest.New(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	queue := "scale-out-" + hex.EncodeToString(b[:])
	shared := []string{
		"--temporal-address", temporalAddr, "--task-queue", queue,
		"--redis-url", db.URL, "--redis-key-prefix", db.Prefix,
		"--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0",
	}
	webData, workerData := t.TempDir(), t.TempDir()

	addr, webLog := startCommand(t, append([]string{"web", "--data-dir", webData}, shared...)...)
	base := "http://" + addr
	if m := started.FindStringSubmatch(webLog.String()); m[1] != "true" || m[2] != "false" {
		t.Errorf("larder web started web=%s worker=%s, want only the web server", m[1], m[2])
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("larder web not ready on the shared Temporal and Redis: %v %v", resp, err)
	}
	resp.Body.Close()

	answers := exampleAnswers(t)
	answers["uprn"] = "100001000001"
	status, reply := submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submit to larder web: %d %v", status, reply)
	}
	ref := reply["reference"].(string)

	tc, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: sdklog.NewStructuredLogger(casetest.Log())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	if n := pollers(t, tc, queue); n != 0 {
		t.Fatalf("larder web alone polls the case queue with %d workers", n)
	}
	// The resident's case page still says where the case is: running,
	// once the intake journal has started it.
	var view workflows.CaseView
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err = http.Get(base + "/api/v1/cases/" + ref)
		if err != nil {
			t.Fatal(err)
		}
		view = workflows.CaseView{}
		_ = json.NewDecoder(resp.Body).Decode(&view)
		resp.Body.Close()
		if view.Status != workflows.StatusReceived || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK || view.Status != workflows.StatusRunning || !view.SummaryOnly {
		t.Fatalf("with no worker the case is %d %q (summary only %v), want 200 running from Temporal's record", resp.StatusCode, view.Status, view.SummaryOnly)
	}
	if len(waste.MissedCollections()) != 0 || len(outbox(t, webData)) != 0 {
		t.Fatal("the case ran with no worker")
	}

	workerAddr, workerLog := startCommand(t, append([]string{"worker", "--data-dir", workerData}, shared...)...)
	if m := started.FindStringSubmatch(workerLog.String()); workerAddr != "" || m[1] != "false" || m[2] != "true" {
		t.Errorf("larder worker started web=%s worker=%s http=%q, want only a worker", m[1], m[2], workerAddr)
	}
	view = waitForCase(t, base, ref, 60*time.Second)
	if view.Status != workflows.StatusCompleted || view.Outcome != "Missed collection reported" {
		t.Fatalf("case ended %q %q, want completed by the worker", view.Status, view.Outcome)
	}
	if n := pollers(t, tc, queue); n == 0 {
		t.Error("no worker polls the case queue although larder worker runs")
	}
	// The worker, not the web process, ran the steps: the email is in its outbox.
	if mails := emailsFor(outbox(t, workerData), ref); len(mails) != 1 {
		t.Errorf("the worker's outbox holds %d emails for %s, want 1", len(mails), ref)
	}
	if mails := outbox(t, webData); len(mails) != 0 {
		t.Errorf("the web process sent %d emails itself", len(mails))
	}
	if n := len(waste.MissedCollections()); n != 1 {
		t.Errorf("the waste system has %d reports, want 1", n)
	}

	t.Run("a web process whose Redis is not there waits for it, naming it, until stopped", func(t *testing.T) {
		args := []string{"web", "--data-dir", t.TempDir(), "--temporal-address", temporalAddr, "--task-queue", queue,
			"--redis-url", "redis://" + freeAddress(t), "--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0"}
		var stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		code := larderUntil(ctx, args, io.Discard, &stderr)
		if code != 1 || !regexp.MustCompile(`level=WARN msg="redis does not answer; retrying" address=\S+ err=".*connection refused`).MatchString(stderr.String()) {
			t.Errorf("exit %d, want 1 once stopped and a line naming redis as it waited:\n%s", code, stderr.String())
		}
	})
}
