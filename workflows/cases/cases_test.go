package cases_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// permitRecipe waits on a task for highways staff; %VERSION% is its version.
const permitRecipe = `id: permit
version: "%VERSION%"
title: Apply for a skip permit
reference_prefix: SP
form:
  pages:
    - id: where
      title: Where will the skip go?
      fields:
        - { id: street, type: text, label: Street, validate: required, example: Orchard Way }
        - { id: phone, type: phone, label: Phone, sensitive: true, example: "01632 960001" }
steps:
  - id: review
    task:
      queue: highways
      title: "Review skip permit on {{ form.street }}"
      outcomes:
        - { id: approve, label: Approve, next: approved }
        - { id: refuse, label: Refuse, next: refused }
  - id: approved
    end:
      outcome: Approved on version %VERSION%
  - id: refused
    end:
      outcome: Refused
`

// binSizeRecipe finishes at once, unless the size is not a number: then
// its sum cannot run and the case pauses with an incident.
const binSizeRecipe = `id: bin-size
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
  - id: price
    set:
      fee: "{{ int(form.litres) / 10 }}"
    next: done
  - id: done
    end:
      outcome: Bin ordered
`

// gardenRecipe waits for payment, by the case's reference, then for the
// waste system to say the booking was collected, by its booking number.
const gardenRecipe = `id: garden
version: "1"
title: Report a garden waste collection
reference_prefix: GW
form:
  pages:
    - id: booking
      title: Your booking
      fields:
        - { id: booking, type: text, label: Booking number, validate: required, example: GB-5521 }
steps:
  - id: paid
    wait:
      message: paid
      for: 72h
    next: collected
  - id: collected
    wait:
      message: collected
      correlation: "{{ form.booking }}"
      for: 72h
    next: note
  - id: note
    set:
      crew: "{{ steps.collected.message.crew }}"
    next: finished
  - id: finished
    end:
      outcome: Collected
`

// parse loads a recipe held in the test.
func parse(t testing.TB, name, yaml string) *recipe.Recipe {
	t.Helper()
	r, err := recipe.Parse(name+".yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatalf("recipe %s: %v", name, err)
	}
	return r
}

func permit(t testing.TB, version string) *recipe.Recipe {
	return parse(t, "permit", strings.ReplaceAll(permitRecipe, "%VERSION%", version))
}

// env is a test's case client over a case worker of its own, which the
// test may stop early to see what residents get when no worker answers.
type env struct {
	cases *cases.Client
	stop  func()
}

// newEnv starts a case worker on a task queue no other test uses and
// returns a case client starting cases on it, knowing the recipes.
func newEnv(t *testing.T, recipes ...*recipe.Recipe) *env {
	t.Helper()
	return newEnvWith(t, &activities.Activities{}, recipes...)
}

// newEnvWith is newEnv with the worker's activities given.
func newEnvWith(t *testing.T, acts *activities.Activities, recipes ...*recipe.Recipe) *env {
	t.Helper()
	tc := casetest.Client(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	queue := "cases-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "-" + hex.EncodeToString(b[:])
	w := worker.New(tc, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	w.RegisterActivity(acts)
	if err := w.Start(); err != nil {
		t.Fatalf("start case worker: %v", err)
	}
	stop := sync.OnceFunc(w.Stop)
	t.Cleanup(stop)
	return &env{
		cases: &cases.Client{
			Temporal: tc, Namespace: "default", TaskQueue: queue,
			Secret: []byte("secret of " + queue), Recipes: recipes, Log: casetest.Log(),
		},
		stop: stop,
	}
}

// start starts a case of r or fails the test.
func (e *env) start(t *testing.T, r *recipe.Recipe, answers map[string]any) string {
	t.Helper()
	ref, err := e.cases.Start(context.Background(), r, answers, "")
	if err != nil {
		t.Fatalf("start %s: %v", r.ID, err)
	}
	return ref
}

// waitDetail asks for the case's detail until ok holds of it.
func (e *env) waitDetail(t *testing.T, ref string, ok func(workflows.CaseDetail) bool) workflows.CaseDetail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := e.cases.Detail(context.Background(), ref)
		if err == nil && ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("case %s: waited 20s; last detail %+v, err %v", ref, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitClosed waits for the case to leave running and returns its view.
func (e *env) waitClosed(t *testing.T, ref string) workflows.CaseView {
	t.Helper()
	return e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning }).CaseView
}

// openTask is the case's task still waiting for staff, if any.
func openTask(d workflows.CaseDetail) *workflows.Task {
	for _, task := range d.Tasks {
		if task.Completion == nil {
			return task
		}
	}
	return nil
}

func hasOpenTask(d workflows.CaseDetail) bool { return openTask(d) != nil }
