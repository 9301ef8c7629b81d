package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// TestSubmissionTakenWhileTemporalIsDownSurvivesAKill proves the intake
// journal keeps its promise to a resident. With Temporal stopped, `larder
// web` (a built binary, forms.intake journal by default) still answers a
// submission 201 with its reference, and the case API and track page say
// "received". The process is then killed with SIGKILL, so nothing is
// drained; Temporal is started again, and a new `larder web` on the same
// data folder and address starts the case from the journal. The case
// completes exactly once: one workflow run under the reference, one
// confirmation email, one report to the waste system.
func TestSubmissionTakenWhileTemporalIsDownSurvivesAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	clearEnv(t)
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	// Both web processes inherit these, and the worker reads them here.
	t.Setenv("WASTE_URL", ws.URL)
	t.Setenv("LARDER_SECRET_KEY", "intake-kill-test-key-0123456789abcdef")
	bin := buildLarder(t)
	tmp := newRestartableTemporal(t)
	db := redistest.New(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	shared := []string{
		"--temporal-address", tmp.address(), "--task-queue", "intake-kill-" + hex.EncodeToString(b[:]),
		"--redis-url", db.URL, "--redis-key-prefix", db.Prefix, "--recipes-dir", recipesDir,
	}
	webData, workerData := t.TempDir(), t.TempDir()
	addr := freeAddress(t)
	base := "http://" + addr
	webArgs := append([]string{"web", "--data-dir", webData, "--http-address", addr}, shared...)

	// larder web waits for Temporal at start: start it, then stop Temporal.
	first, firstLog := startWebProcess(t, bin, base, webArgs...)
	if err := tmp.stop(); err != nil {
		t.Fatal(err)
	}
	answers := exampleAnswers(t)
	answers["uprn"] = "100001000001"
	status, reply := submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submission while Temporal is down: %d %v, want 201 from the journal\n%s", status, reply, firstLog)
	}
	ref, _ := reply["reference"].(string)
	if code, view := caseStatus(t, base, ref); code != http.StatusOK || view.Status != workflows.StatusReceived {
		t.Fatalf("case %s while Temporal is down: %d %q, want 200 %q", ref, code, view.Status, workflows.StatusReceived)
	}
	if page := getPage(t, http.DefaultClient, base+"/track/"+ref); !strings.Contains(page, "Received") {
		t.Errorf("/track/%s while Temporal is down does not say Received:\n%s", ref, page)
	}

	// SIGKILL: no drain, no clean close of the journal.
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	if err := tmp.start(); err != nil {
		t.Fatalf("start Temporal again: %v", err)
	}
	tc, err := client.Dial(client.Options{HostPort: tmp.address(), Logger: sdklog.NewStructuredLogger(casetest.Log())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	// Only the journal knows the case: the killed process never reached Temporal.
	var notFound *serviceerror.NotFound
	if _, err := tc.DescribeWorkflowExecution(context.Background(), ref, ""); !errors.As(err, &notFound) {
		t.Fatalf("Temporal knows case %s before a larder web runs again: %v", ref, err)
	}

	_, workerLog := startCommand(t, append([]string{"worker", "--data-dir", workerData}, shared...)...)
	second, secondLog := startWebProcess(t, bin, base, webArgs...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("first web's log:\n%s\nsecond web's log:\n%s\nworker's log:\n%s", firstLog, secondLog, workerLog)
		}
	})
	if !strings.Contains(secondLog.String(), `msg="intake journal holds submissions whose cases have not started; starting them" count=1`) {
		t.Errorf("the second larder web did not say it found the submission in the journal")
	}
	view := waitForCase(t, base, ref, 90*time.Second)
	if view.Status != workflows.StatusCompleted || view.Outcome != "Missed collection reported" {
		t.Errorf("case %s ended %q with outcome %q", ref, view.Status, view.Outcome)
	}

	if runs := workflowRuns(t, tc, ref); len(runs) != 1 {
		t.Errorf("Temporal holds %d runs for %s, want exactly 1: %v", len(runs), ref, runs)
	}
	if mails := emailsFor(outbox(t, workerData), ref); len(mails) != 1 {
		t.Errorf("the worker sent %d confirmation emails for %s, want exactly 1", len(mails), ref)
	}
	if n := len(waste.MissedCollections()); n != 1 {
		t.Errorf("the waste system has %d reports, want exactly 1", n)
	}

	// The journal is empty, so SIGTERM stops the second web promptly and cleanly.
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- second.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("larder web exited uncleanly on SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("larder web did not stop within 30s of SIGTERM")
	}
}

// startWebProcess runs the binary with args (a `larder web` listening at
// base) as a child process until the test ends, and waits until its
// /readyz says Temporal and Redis answer. Its log is the returned one.
func startWebProcess(t *testing.T, bin, base string, args ...string) (*exec.Cmd, *processLog) {
	t.Helper()
	log := &processLog{}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if readyWithin(base, 60*time.Second) {
		return cmd, log
	}
	t.Fatalf("larder %s not ready within 60s:\n%s", args[0], log)
	return nil, nil
}

// caseStatus is the API's answer about a case: its HTTP status and view.
func caseStatus(t *testing.T, base, ref string) (int, workflows.CaseView) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/cases/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var view workflows.CaseView
	_ = json.NewDecoder(resp.Body).Decode(&view)
	return resp.StatusCode, view
}

// workflowRuns lists every run Temporal holds under the workflow ID ref,
// once its visibility shows them all closed.
func workflowRuns(t *testing.T, tc client.Client, ref string) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s'", ref),
		})
		if err != nil {
			t.Fatal(err)
		}
		var runs []string
		open := false
		for _, e := range resp.GetExecutions() {
			runs = append(runs, e.GetExecution().GetRunId()+" "+e.GetStatus().String())
			open = open || e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
		}
		if (len(runs) > 0 && !open) || time.Now().After(deadline) {
			return runs
		}
		time.Sleep(200 * time.Millisecond)
	}
}
