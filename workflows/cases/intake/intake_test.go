package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// sizeRecipe closes as soon as it starts.
const sizeRecipe = `id: bin-size
version: "1"
title: Order a larger bin
reference_prefix: OB
form:
  pages:
    - id: size
      title: What size of bin?
      fields:
        - { id: litres, type: text, label: Bin size in litres, validate: required, example: "240" }
steps:
  - id: done
    end:
      outcome: Bin ordered
`

func sizes(t *testing.T) *recipe.Recipe {
	t.Helper()
	r, err := recipe.Parse("bin-size.yaml", []byte(sizeRecipe), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// env is a journal in the test's folder over a case client whose cases run
// on a worker of the test's own.
type env struct {
	cases *cases.Client
	path  string
}

func newEnv(t *testing.T, r *recipe.Recipe) *env {
	t.Helper()
	queue := casetest.Worker(t, &activities.Activities{})
	return &env{
		cases: &cases.Client{Temporal: casetest.Client(t), Namespace: "default", TaskQueue: queue,
			Secret: []byte("secret of " + queue), Recipes: []*recipe.Recipe{r}, Log: casetest.Log()},
		path: filepath.Join(t.TempDir(), "intake.db"),
	}
}

// open opens the journal; it is closed when the test ends unless the
// test closes it first.
func (e *env) open(t *testing.T) *Intake {
	t.Helper()
	in, err := Open(e.path, e.cases, casetest.Log())
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { _ = in.Close() }) })
	return in
}

// run runs the starter until the test ends or stop is called.
func run(t *testing.T, in *Intake) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.Run(ctx)
	}()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return stop
}

// waitStatus waits for the case's progress to have the status.
func waitStatus(t *testing.T, in *Intake, ref, status string) workflows.CaseView {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := in.View(context.Background(), ref)
		if err == nil && v.Status == status {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("case %s: waited 20s for %s; last %+v, %v", ref, status, v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runID is the run of the case Temporal has for the reference.
func runID(t *testing.T, tc client.Client, ref string) string {
	t.Helper()
	d, err := tc.DescribeWorkflowExecution(context.Background(), ref, "")
	if err != nil {
		t.Fatal(err)
	}
	return d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
}

// pendingEntry is the submission the journal holds for ref.
func pendingEntry(t *testing.T, in *Intake, ref string) cases.Submission {
	t.Helper()
	var s cases.Submission
	err := in.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(pendingBucket).Get(seqKey(in.pending[ref].seq))
		var e entry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		r, err := in.recipe(tx, e.Recipe)
		s = cases.Submission{Reference: e.Reference, Recipe: r, Answers: e.Answers, SubmittedAt: e.SubmittedAt, Hash: e.Hash, Keyed: e.Keyed}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func notStarted(t *testing.T, tc client.Client, ref string) {
	t.Helper()
	_, err := tc.DescribeWorkflowExecution(context.Background(), ref, "")
	var none *serviceerror.NotFound
	if !errors.As(err, &none) {
		t.Fatalf("case %s: describe gave %v; want it not started yet", ref, err)
	}
}

// TestSubmissionIsReceivedThenStarted: the resident has a reference before
// Temporal has the case, sees it "received", and then the case runs.
func TestSubmissionIsReceivedThenStarted(t *testing.T) {
	r := sizes(t)
	e := newEnv(t, r)
	in := e.open(t)
	ref, err := in.Start(context.Background(), r, map[string]any{"litres": "240"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !cases.ValidReference(ref) {
		t.Fatalf("reference %q", ref)
	}
	v := waitStatus(t, in, ref, workflows.StatusReceived)
	if v.Service != "bin-size" || len(v.Timeline) != 1 || v.Timeline[0].Note != "Submitted" {
		t.Errorf("received view %+v; want the service and one Submitted event", v)
	}
	notStarted(t, e.cases.Temporal, ref)
	if in.Pending() != 1 {
		t.Errorf("pending %d, want 1", in.Pending())
	}

	run(t, in)
	if v := waitStatus(t, in, ref, workflows.StatusCompleted); v.Outcome != "Bin ordered" {
		t.Errorf("case ended %+v", v)
	}
	if in.Pending() != 0 {
		t.Errorf("pending %d after the case started, want 0", in.Pending())
	}
}

// TestJournalKeepsSubmissionsAcrossARestart closes the journal with
// submissions waiting, one of whose cases Temporal already has (a crash
// between the start and the journal's record of it): reopened, each
// submission becomes one case.
func TestJournalKeepsSubmissionsAcrossARestart(t *testing.T) {
	r := sizes(t)
	e := newEnv(t, r)
	in := e.open(t)
	var refs []string
	for _, litres := range []string{"120", "240", "360"} {
		ref, err := in.Start(context.Background(), r, map[string]any{"litres": litres}, "")
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	first := pendingEntry(t, in, refs[0])
	if err := e.cases.StartSubmission(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	firstRun := runID(t, e.cases.Temporal, refs[0])
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}

	again := e.open(t)
	if got := again.Pending(); got != 3 {
		t.Fatalf("reopened journal holds %d, want 3", got)
	}
	waitStatus(t, again, refs[1], workflows.StatusReceived)
	run(t, again)
	for _, ref := range refs {
		waitStatus(t, again, ref, workflows.StatusCompleted)
	}
	if got := runID(t, e.cases.Temporal, refs[0]); got != firstRun {
		t.Errorf("case %s started again: run %s, want %s", refs[0], got, firstRun)
	}
	if again.Pending() != 0 {
		t.Errorf("pending %d, want 0", again.Pending())
	}
}

// TestRepeatedKeyFindsItsReference: a repeat with the same idempotency key
// and answers gets the first reference, before and after its case started
// and the day after; other answers are refused.
func TestRepeatedKeyFindsItsReference(t *testing.T) {
	r := sizes(t)
	e := newEnv(t, r)
	in := e.open(t)
	ctx := context.Background()
	answers := map[string]any{"litres": "240"}
	ref, err := in.Start(ctx, r, answers, "draft-1")
	if err != nil {
		t.Fatal(err)
	}
	if today, _ := e.cases.KeyReferences(r, "draft-1", time.Now()); ref != today {
		t.Errorf("keyed reference %s, want %s as the case client mints it", ref, today)
	}
	if again, err := in.Start(ctx, r, answers, "draft-1"); err != nil || again != ref {
		t.Errorf("repeat while received: %q, %v; want %s", again, err, ref)
	}
	if _, err := in.Start(ctx, r, map[string]any{"litres": "360"}, "draft-1"); !errors.Is(err, cases.ErrKeyReused) {
		t.Errorf("key with other answers: %v, want ErrKeyReused", err)
	}
	run(t, in)
	waitStatus(t, in, ref, workflows.StatusCompleted)
	first := runID(t, e.cases.Temporal, ref)
	if again, err := in.Start(ctx, r, answers, "draft-1"); err != nil || again != ref {
		t.Errorf("repeat after the case closed: %q, %v; want %s", again, err, ref)
	}
	in.now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	if again, err := in.Start(ctx, r, answers, "draft-1"); err != nil || again != ref {
		t.Errorf("repeat the next day: %q, %v; want %s", again, err, ref)
	}
	if got := runID(t, e.cases.Temporal, ref); got != first {
		t.Errorf("case %s started again: run %s, want %s", ref, got, first)
	}
}

// TestTakenReferenceIsDrawnAgain: a submission whose random reference
// names a case Temporal already has with other answers still becomes a
// case, under a new reference.
func TestTakenReferenceIsDrawnAgain(t *testing.T) {
	r := sizes(t)
	e := newEnv(t, r)
	in := e.open(t)
	ref, err := in.Start(context.Background(), r, map[string]any{"litres": "240"}, "")
	if err != nil {
		t.Fatal(err)
	}
	other := pendingEntry(t, in, ref)
	other.Answers = map[string]any{"litres": "1100"}
	if other.Hash, err = cases.AnswersHash(other.Answers); err != nil {
		t.Fatal(err)
	}
	if err := e.cases.StartSubmission(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	run(t, in)
	deadline := time.Now().Add(20 * time.Second)
	for in.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if in.Pending() != 0 {
		t.Fatalf("the submission is still pending")
	}
	// Visibility lags a little behind the starts.
	query := fmt.Sprintf("TaskQueue = %q", e.cases.TaskQueue)
	for {
		resp, err := e.cases.Temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatal(err)
		}
		n := len(resp.GetExecutions())
		if n == 2 {
			break
		}
		if n > 2 || time.Now().After(deadline) {
			t.Fatalf("%d cases, want the other one and the submission's under a new reference", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestFullJournalTurnsSubmissionsAway: past its bound the journal says so
// rather than growing while cases do not start.
func TestFullJournalTurnsSubmissionsAway(t *testing.T) {
	r := sizes(t)
	e := newEnv(t, r)
	in := e.open(t)
	in.max = 2
	for i := range 3 {
		_, err := in.Start(context.Background(), r, map[string]any{"litres": "240"}, "")
		if want := i < 2; (err == nil) != want {
			t.Fatalf("submission %d: %v", i+1, err)
		}
		if i == 2 && !errors.Is(err, ErrFull) {
			t.Errorf("third submission: %v, want ErrFull", err)
		}
	}
}

// TestSecondProcessCannotOpenTheJournal: two processes sharing one journal
// file would start each case twice; the second is told what to do.
func TestSecondProcessCannotOpenTheJournal(t *testing.T) {
	r := sizes(t)
	e := newEnv(t, r)
	e.open(t)
	if _, err := Open(e.path, e.cases, casetest.Log()); err == nil {
		t.Fatal("a second open of the journal succeeded")
	}
}
