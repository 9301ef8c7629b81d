package workflows_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	lobhttp "github.com/larder-council/larder/connectors/http"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// Cases on the embedded Temporal server (internal/casetest): a back office
// for their calls, a worker, and staff and hooks driving them.

// The SDK's test environment names the binary by its checksum the first
// time a case runs an activity, inside workflow code. Linking the embedded
// Temporal server makes this test binary too big to checksum within the
// deadlock detector's second on a busy machine, so it is named here.
func init() { worker.SetBinaryChecksum("larder-workflows-test") }

// backOffice is a line-of-business system that answers every operation
// with a record, with some operations' replies changed per scenario.
type backOffice struct {
	mu      sync.Mutex
	calls   []string
	replies map[string]map[string]any
	// refuse counts down the calls of an operation answered 422, a
	// refusal no retry overcomes.
	refuse map[string]int
}

func (b *backOffice) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, "/ops/")
	b.mu.Lock()
	b.calls = append(b.calls, op)
	n := len(b.calls)
	if b.refuse[op] > 0 {
		b.refuse[op]--
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]string{"code": "not_cancellable", "message": "booking is with a crew"})
		return
	}
	out := map[string]any{
		"id": fmt.Sprintf("%s-%d", strings.ToUpper(op), n), "status": "confirmed", "payment_id": fmt.Sprintf("PAY-%d", n),
		"vehicle": fmt.Sprintf("VAN-%d", n), "address": "1 Orchard Way, Larchester, LR1 1AA",
	}
	maps.Copy(out, b.replies[op])
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (b *backOffice) called() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// caseWorker starts a case worker whose one connector, waste, sends every
// operation the recipes use to office, and whose emails go to an outbox.
func caseWorker(t *testing.T, office *backOffice, recipes ...*recipe.Recipe) string {
	t.Helper()
	srv := httptest.NewServer(office)
	t.Cleanup(srv.Close)
	ops := map[string]lobhttp.Operation{}
	for _, r := range recipes {
		for _, op := range operationsOf(r) {
			ops[op] = lobhttp.Operation{Method: http.MethodPost, Path: "/ops/" + op}
		}
	}
	var conns *connectors.Registry
	if len(ops) == 0 {
		conns = connectors.NewRegistry(nil)
	} else {
		waste, err := lobhttp.New("waste", lobhttp.Config{BaseURL: srv.URL, Operations: ops})
		if err != nil {
			t.Fatal(err)
		}
		conns = connectors.NewRegistry(map[string]connectors.Connector{"waste": waste})
	}
	return casetest.Worker(t, &activities.Activities{
		Connectors: conns, Mail: &mail.Outbox{Dir: t.TempDir(), From: "Larchester Council <no-reply@larchester.example>"},
	})
}

// operationsOf lists the connector operations a recipe and its subrecipes call.
func operationsOf(r *recipe.Recipe) []string {
	var ops []string
	for _, s := range r.AllSteps() {
		if s.Call != nil {
			ops = append(ops, s.Call.Operation)
			if s.Call.Undo != nil {
				ops = append(ops, s.Call.Undo.Operation)
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(r.Subrecipes)) {
		ops = append(ops, operationsOf(r.Subrecipes[id])...)
	}
	return ops
}

// newReference makes a reference like BC-7K4Q-2PXD, unique on the test
// server, which outlives each test.
func newReference(r *recipe.Recipe) string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"
	var b [8]byte
	_, _ = rand.Read(b[:])
	ref := []byte(r.ReferencePrefix)
	for i, c := range b {
		if i%4 == 0 {
			ref = append(ref, '-')
		}
		ref = append(ref, alphabet[int(c)%len(alphabet)])
	}
	return string(ref)
}

// startCase starts a case of r with its example answers, changed by overrides.
func startCase(t *testing.T, queue string, r *recipe.Recipe, overrides map[string]any) string {
	t.Helper()
	answers := map[string]any{}
	for _, f := range r.Fields() {
		answers[f.ID] = f.Example
	}
	maps.Copy(answers, overrides)
	ref := newReference(r)
	in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: answers, SubmittedAt: time.Now().UTC()}
	if _, err := casetest.Client(t).ExecuteWorkflow(context.Background(),
		client.StartWorkflowOptions{ID: ref, TaskQueue: queue}, workflows.CaseWorkflow, in); err != nil {
		t.Fatalf("start %s: %v", r.ID, err)
	}
	return ref
}

// caseDetail asks a case for its detail.
func caseDetail(t *testing.T, ref string) (workflows.CaseDetail, error) {
	t.Helper()
	var d workflows.CaseDetail
	v, err := casetest.Client(t).QueryWorkflow(context.Background(), ref, "", workflows.DetailQuery)
	if err == nil {
		err = v.Get(&d)
	}
	return d, err
}

// waitFor polls the case's detail until ok holds, for up to a minute.
func waitFor(t *testing.T, ref, what string, ok func(workflows.CaseDetail) bool) workflows.CaseDetail {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := caseDetail(t, ref)
		if err == nil && ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("case %s: no %s within a minute (last %+v, %v)", ref, what, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func closed(d workflows.CaseDetail) bool {
	return d.Status != "" && d.Status != workflows.StatusRunning
}

// sendUpdate sends a case an update and waits for its answer.
func sendUpdate(t *testing.T, ref, name string, arg any) {
	t.Helper()
	h, err := casetest.Client(t).UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: ref, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(context.Background(), nil)
	}
	if err != nil {
		t.Fatalf("%s on %s: %v", name, ref, err)
	}
}

// sendMessage signals a case as a hook does.
func sendMessage(t *testing.T, ref string, m workflows.Message) {
	t.Helper()
	if err := casetest.Client(t).SignalWorkflow(context.Background(), ref, "", workflows.MessageSignal, m); err != nil {
		t.Fatalf("message %s to %s: %v", m.Name, ref, err)
	}
}

// drive plays staff and the back office until the case closes: each task
// is completed with its first outcome once, and each awaited message is
// sent once.
func drive(t *testing.T, ref string) workflows.CaseDetail {
	t.Helper()
	done := map[string]bool{}
	return waitFor(t, ref, "end", func(d workflows.CaseDetail) bool {
		if closed(d) {
			return true
		}
		for _, task := range d.Tasks {
			if task.Completion == nil && !done[task.ID] {
				done[task.ID] = true
				sendUpdate(t, ref, workflows.CompleteTask, workflows.Completion{TaskID: task.ID, Outcome: task.Outcomes[0].ID, By: "pat"})
			}
		}
		for _, w := range d.Waiting {
			if key := w.Step + "/" + w.Correlation; w.Message != "" && !done[key] {
				done[key] = true
				sendMessage(t, ref, workflows.Message{Name: w.Message, Correlation: w.Correlation, Data: map[string]any{"crew": "C7"}})
			}
		}
		return false
	})
}

// correlationKeys are the business keys a case lists in its search attribute.
func correlationKeys(t *testing.T, ref string) []string {
	t.Helper()
	desc, err := casetest.Client(t).DescribeWorkflowExecution(context.Background(), ref, "")
	if err != nil {
		t.Fatal(err)
	}
	p := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[workflows.CorrelationKeys.GetName()]
	var keys []string
	if p != nil {
		if err := json.Unmarshal(p.GetData(), &keys); err != nil {
			t.Fatalf("%s: %v", workflows.CorrelationKeys.GetName(), err)
		}
	}
	return keys
}
