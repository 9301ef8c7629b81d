package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// namespace is the Temporal namespace the cluster's operator makes for
// Larder; not "default", so the test sees every process honour
// temporal.namespace.
const namespace = "councils"

// cases is how many missed-bin cases the test submits.
const cases = 30

// TestMissedBinCasesCompleteOnceOnATemporalClusterWhenAWorkerIsKilled runs
// Larder as a council running it at scale does: Temporal's own server in
// its own process on PostgreSQL, two `larder worker` processes and one
// `larder web`, a real Redis (when one answers) and an SMTP relay. Missed
// bin cases are submitted through the API while the waste system is slow,
// and one worker is killed with SIGKILL while it holds cases mid-flight;
// the relay is lost before answering two emails. The other worker takes
// the cases over, and an administrator answers the emails that may have
// gone through the staff API: every case completes once, each resident
// gets one confirmation email, and the waste system records each missed
// bin once.
func TestMissedBinCasesCompleteOnceOnATemporalClusterWhenAWorkerIsKilled(t *testing.T) {
	began := time.Now()
	pg := findPostgres(t)
	p := buildPrograms(t)
	t.Logf("programs built (or found up to date) in %s", time.Since(began).Round(time.Millisecond))
	dbs := createTemporalDatabases(t, p, pg)
	temporalAddr := startTemporal(t, p, pg, dbs)
	registerNamespace(t, temporalAddr, namespace)
	t.Logf("temporal server on PostgreSQL (%s, %s) answering at %s after %s", dbs.main, dbs.visibility, temporalAddr, time.Since(began).Round(time.Millisecond))

	sim, wasteURL, bins := newWaste(t)
	if len(bins) < cases {
		t.Fatalf("the waste system has %d bins open to a missed-bin report, want at least %d", len(bins), cases)
	}
	relay := connectortest.NewSMTPRelay(t)
	rdb := redistest.New(t)
	env := []string{"WASTE_URL=" + wasteURL, "LARDER_SECRET_KEY=cluster-test-key-0123456789abcdef-0123456789", "LARDER_STAFF_TOKEN=" + staffToken}
	shared := []string{
		"--temporal-address", temporalAddr, "--temporal-namespace", namespace,
		"--redis-url", rdb.URL, "--redis-key-prefix", rdb.Prefix,
		"--smtp-url", "smtp://" + relay.Addr, "--smtp-from", "bins@larchester.example",
		"--recipes-dir", filepath.Join(p.root, "recipes"), "--http-address", "127.0.0.1:0",
	}
	run := func(name, command string) *larderProcess {
		return startLarder(t, p, name, env, append([]string{command, "--data-dir", t.TempDir()}, shared...)...)
	}
	doomed, survivor := run("larder-worker-1", "worker"), run("larder-worker-2", "worker")
	// The cases come from one address, as from a partner's system, so the
	// web process lifts the per-address limit on submissions.
	web := startLarder(t, p, "larder-web", env, append([]string{"web", "--data-dir", t.TempDir(), "--submissions-per-minute", "0"}, shared...)...)
	base := "http://" + web.addr
	t.Logf("two larder workers and a larder web (%s) running after %s", base, time.Since(began).Round(time.Millisecond))

	// Every waste-system answer takes two seconds, so each case holds its
	// worker for four and more, and both workers have cases mid-call when
	// one of them is killed (with half slow, a worker sometimes held none:
	// the intake journal starts cases as fast as they are answered).
	sim.SetFaults(wastesim.Faults{SlowRate: 1, Latency: 2 * time.Second})
	// The relay is lost before answering the first two emails: it took
	// the first and not the second. Neither is sent again on its own; the
	// administrator finds the first in the relay's log and marks it sent,
	// and has the second sent again.
	relay.HangUpBeforeAnswering(true, false)
	examples := exampleAnswers(t, filepath.Join(p.root, "recipes", "missed-bin.yaml"))
	step := len(bins) / cases // spread the cases over the streets
	emails := make([]string, cases)
	answers := make([]map[string]any, cases)
	for i := range cases {
		b := bins[i*step]
		answers[i] = map[string]any{}
		for k, v := range examples {
			answers[i][k] = v
		}
		emails[i] = fmt.Sprintf("resident-%02d@example.com", i+1)
		answers[i]["postcode"], answers[i]["uprn"], answers[i]["bin_type"], answers[i]["email"] = b.postcode, b.uprn, b.bin, emails[i]
	}
	// Six at a time: the web process checks each address with the slow
	// waste system before it accepts the case.
	order := make([]string, cases)
	submitted := make(chan error, 1)
	go func() {
		errs := make([]error, cases)
		var wg sync.WaitGroup
		next := make(chan int)
		for range 6 {
			wg.Go(func() {
				for i := range next {
					order[i], errs[i] = submit(base, answers[i])
				}
			})
		}
		for i := range cases {
			next <- i
		}
		close(next)
		wg.Wait()
		submitted <- errors.Join(errs...)
	}()

	// Kill a worker once the first missed bins are recorded: by then other
	// cases are in the middle of their calls, some on the doomed worker,
	// and more are still being submitted.
	waitFor(t, 60*time.Second, "the first missed bins recorded", func() bool { return len(sim.MissedCollections()) >= 3 })
	doomed.kill(t)
	t.Logf("killed larder-worker-1 (pid %d) with %d of %d missed bins recorded and %d emails sent, after %s",
		doomed.cmd.Process.Pid, len(sim.MissedCollections()), cases, len(relay.Received()), time.Since(began).Round(time.Millisecond))
	if err := <-submitted; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cases submitted after %s", cases, time.Since(began).Round(time.Millisecond))
	sim.SetFaults(wastesim.Faults{})
	refs := map[string]string{} // reference → the resident's email address
	for i, ref := range order {
		refs[ref] = emails[i]
	}

	admin := watch(t, base, relay, refs)
	for _, ref := range order {
		// An email the killed worker was sending is held for a minute
		// (its reservation, or its unsure mark until the administrator
		// answers), then sent: give each case three.
		view := waitForCase(t, base, ref, 3*time.Minute)
		if view.Status != workflows.StatusCompleted || view.Outcome != "Missed collection reported" {
			t.Errorf("case %s ended %q %q, want completed: Missed collection reported", ref, view.Status, view.Outcome)
		}
	}
	admin.halt()
	t.Logf("all %d cases closed after %s; of the emails that may have gone, the administrator marked %d sent and had %d sent again",
		cases, time.Since(began).Round(time.Millisecond), admin.marked.Load(), admin.resent.Load())
	if admin.marked.Load() == 0 || admin.resent.Load() == 0 {
		t.Errorf("the administrator marked %d emails sent and had %d sent again, want at least one of each from the relay's lost answers", admin.marked.Load(), admin.resent.Load())
	}
	if n := admin.other.Load(); n > 0 {
		t.Errorf("the administrator saw incidents other than emails that may have gone (%d times)", n)
	}

	// Each resident, one confirmation naming their case.
	waitFor(t, 30*time.Second, "an email to every resident", func() bool { return len(relay.Received()) >= cases })
	for ref, email := range refs {
		got := relay.To(email)
		if len(got) != 1 {
			t.Errorf("%s received %d emails about %s, want 1", email, len(got), ref)
			continue
		}
		if !strings.Contains(got[0].Data, ref) {
			t.Errorf("the email to %s does not name %s:\n%s", email, ref, got[0].Data)
		}
	}
	if n := len(relay.Received()); n != cases {
		t.Errorf("the relay received %d emails for %d cases", n, cases)
	}

	// The waste system, one record of each missed bin.
	recorded := map[string]int{}
	for _, m := range sim.MissedCollections() {
		recorded[m.UPRN+" "+m.BinType]++
	}
	for i := range cases {
		b := bins[i*step]
		if n := recorded[b.uprn+" "+b.bin]; n != 1 {
			t.Errorf("the waste system recorded the missed %s bin at %s %d times, want 1", b.bin, b.uprn, n)
		}
	}
	if n := len(sim.MissedCollections()); n != cases {
		t.Errorf("the waste system recorded %d missed bins for %d cases", n, cases)
	}

	tc, err := client.Dial(client.Options{HostPort: temporalAddr, Namespace: namespace, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	checkOneWorkflowPerCase(t, tc, refs)
	held, retaken := takenOver(t, tc, order, doomed.cmd.Process.Pid)
	t.Logf("the killed worker had worked on %d cases; %d of them were taken over by the other after it died", held, retaken)
	if retaken == 0 {
		t.Errorf("no case shows a task or activity of the killed worker retried elsewhere: it was killed holding no case mid-flight, so the test proved nothing")
	}
	select {
	case err := <-survivor.exited:
		survivor.exited <- err // for the cleanup
		t.Errorf("larder-worker-2 exited (%v) while taking over from the killed worker:\n%s", err, survivor.log.tail())
	default:
	}
	t.Logf("wall time %s", time.Since(began).Round(time.Millisecond))
}

// checkOneWorkflowPerCase checks Temporal's visibility lists one closed,
// completed workflow per case and no other.
func checkOneWorkflowPerCase(t *testing.T, tc client.Client, refs map[string]string) {
	t.Helper()
	var got map[string]enumspb.WorkflowExecutionStatus
	waitFor(t, 30*time.Second, "every case listed closed by Temporal's visibility", func() bool {
		got = map[string]enumspb.WorkflowExecutionStatus{}
		var token []byte
		for {
			resp, err := tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, NextPageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range resp.GetExecutions() {
				if _, seen := got[e.GetExecution().GetWorkflowId()]; seen {
					got[e.GetExecution().GetWorkflowId()+" (again)"] = e.GetStatus()
				} else {
					got[e.GetExecution().GetWorkflowId()] = e.GetStatus()
				}
			}
			if token = resp.GetNextPageToken(); len(token) == 0 {
				break
			}
		}
		for _, s := range got {
			if s == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return false
			}
		}
		return len(got) >= len(refs)
	})
	for id, status := range got {
		if _, ok := refs[id]; !ok {
			t.Errorf("Temporal lists a workflow %s (%s) that is no case submitted", id, status)
		} else if status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			t.Errorf("case %s's workflow is %s, want completed", id, status)
		}
	}
}

// takenOver reads each case's history and counts the cases the worker with
// the process id pid worked on, and of those the ones where a workflow
// task or an activity it held timed out and ran again elsewhere.
func takenOver(t *testing.T, tc client.Client, refs []string, pid int) (held, retaken int) {
	t.Helper()
	identity := fmt.Sprintf("%d@", pid)
	for _, ref := range refs {
		var by, again bool
		it := tc.GetWorkflowHistory(context.Background(), ref, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
				by = by || strings.HasPrefix(e.GetWorkflowTaskStartedEventAttributes().GetIdentity(), identity)
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
				a := e.GetActivityTaskStartedEventAttributes()
				by = by || strings.HasPrefix(a.GetIdentity(), identity)
				again = again || a.GetAttempt() > 1
			case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
				again = true
			}
		}
		if by || again {
			held++
		}
		if again {
			retaken++
		}
	}
	return held, retaken
}

// exampleAnswers are a recipe's example: answers.
func exampleAnswers(t *testing.T, path string) map[string]any {
	t.Helper()
	r, err := recipe.LoadFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, f := range r.Fields() {
		out[f.ID] = f.Example
	}
	return out
}

// submit posts a missed-bin case's answers to the API, as a partner's
// system does, and returns its reference.
func submit(base string, answers map[string]any) (string, error) {
	body, _ := json.Marshal(answers)
	resp, err := http.Post(base+"/api/v1/services/missed-bin/submissions", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var reply struct {
		Reference string `json:"reference"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&reply)
	if resp.StatusCode != http.StatusCreated || reply.Reference == "" {
		return "", fmt.Errorf("submit %v: %d %+v", answers, resp.StatusCode, reply)
	}
	return reply.Reference, nil
}

// waitForCase polls the case API until the case has started and left
// running, within the API's limit on lookups from one address.
func waitForCase(t *testing.T, base, ref string, within time.Duration) workflows.CaseView {
	t.Helper()
	var view workflows.CaseView
	last := "no answer"
	defer func() {
		if t.Failed() {
			t.Logf("case %s: the API's last answer was %s", ref, last)
		}
	}()
	waitFor(t, within, "case "+ref+" to close", func() bool {
		resp, err := http.Get(base + "/api/v1/cases/" + ref)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		view = workflows.CaseView{}
		body, _ := io.ReadAll(resp.Body)
		last = resp.Status + " " + string(body)
		if resp.StatusCode == http.StatusOK {
			_ = json.Unmarshal(body, &view)
		}
		closed := view.Status != "" && view.Status != workflows.StatusReceived && view.Status != workflows.StatusRunning
		// One address may look up 60 cases a minute (api.LookupsPerMinute):
		// ask about an open case once a second, and wait when told to.
		switch wait, _ := strconv.Atoi(resp.Header.Get("Retry-After")); {
		case resp.StatusCode == http.StatusTooManyRequests:
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
		case !closed:
			time.Sleep(time.Second)
		}
		return closed
	})
	return view
}

// waitFor polls ok until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
