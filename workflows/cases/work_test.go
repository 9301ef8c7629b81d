package cases_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// refused checks err is the case refusing, saying want.
func refused(t *testing.T, what string, err error, want string) {
	t.Helper()
	var r *cases.RefusedError
	if !errors.As(err, &r) || !strings.Contains(r.Reason, want) {
		t.Errorf("%s: %v, want refused saying %q", what, err, want)
	}
}

func TestAssignTaskAndAddNote(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ctx := context.Background()
	ref := e.start(t, r, map[string]any{"street": "Orchard Way"})
	id := openTask(e.waitDetail(t, ref, hasOpenTask)).ID

	if err := e.cases.AssignTask(ctx, ref, workflows.Assignment{TaskID: id, To: "pat", By: "pat"}); err != nil {
		t.Fatalf("pat claims: %v", err)
	}
	refused(t, "sam claims pat's task", e.cases.AssignTask(ctx, ref, workflows.Assignment{TaskID: id, To: "sam", By: "sam"}),
		"pat claimed this task a moment ago")
	refused(t, "an empty note", e.cases.AddNote(ctx, ref, workflows.TaskNote{TaskID: id, Text: " ", By: "pat"}), "write the note")
	refused(t, "a note on no task", e.cases.AddNote(ctx, ref, workflows.TaskNote{TaskID: ref + "/nope", Text: "Hello", By: "pat"}), "no task")
	if err := e.cases.AddNote(ctx, ref, workflows.TaskNote{TaskID: id, Text: "Skip is on the verge", By: "pat"}); err != nil {
		t.Fatalf("pat's note: %v", err)
	}
	if err := e.cases.AssignTask(ctx, ref, workflows.Assignment{TaskID: id, From: "pat", To: "alex", By: "sam"}); err != nil {
		t.Fatalf("sam passes the task to alex: %v", err)
	}
	d, err := e.cases.Detail(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if task := openTask(d); task.Assignee != "alex" || len(task.Notes) != 1 || task.Notes[0].Text != "Skip is on the verge" || task.Notes[0].By != "pat" {
		t.Errorf("task %+v, want alex's with pat's note", task)
	}

	if _, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: id, Outcome: "approve", By: "alex"}); err != nil {
		t.Fatal(err)
	}
	e.waitClosed(t, ref)
	refused(t, "a claim on a closed case", e.cases.AssignTask(ctx, ref, workflows.Assignment{TaskID: id, From: "alex", To: "pat", By: "pat"}), "has closed")
	refused(t, "a note on a closed case", e.cases.AddNote(ctx, ref, workflows.TaskNote{TaskID: id, Text: "Late", By: "pat"}), "has closed")
	if err := e.cases.AssignTask(ctx, "not a reference", workflows.Assignment{TaskID: id, To: "pat", By: "pat"}); !errors.Is(err, cases.ErrNoCase) {
		t.Errorf("a claim on no case: %v, want ErrNoCase", err)
	}
}

// waitOpenWork asks for open work until ok holds of the entries of ref.
func waitOpenWork(t *testing.T, e *env, ref string, ok func([]inbox.Entry) bool) []inbox.Entry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		all, err := e.cases.OpenWork(context.Background())
		var mine []inbox.Entry
		for _, w := range all {
			if w.Reference == ref {
				mine = append(mine, w)
			}
		}
		if err == nil && ok(mine) {
			return mine
		}
		if time.Now().After(deadline) {
			t.Fatalf("open work of %s: waited 20s; last %+v, %v", ref, mine, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOpenWorkListsTasksAndIncidentsOfRunningCases reads open work from
// visibility as `larder reindex` does, with no query to any case.
func TestOpenWorkListsTasksAndIncidentsOfRunningCases(t *testing.T) {
	r, sizes := permit(t, "1"), parse(t, "bin-size", binSizeRecipe)
	e := newEnv(t, r, sizes)
	ctx := context.Background()
	ref := e.start(t, r, map[string]any{"street": "Orchard Way"})
	id := openTask(e.waitDetail(t, ref, hasOpenTask)).ID
	if err := e.cases.AssignTask(ctx, ref, workflows.Assignment{TaskID: id, To: "pat", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	work := waitOpenWork(t, e, ref, func(w []inbox.Entry) bool { return len(w) == 1 && w[0].Assignee == "pat" })
	if w := work[0]; w.ID != id || w.Kind != inbox.KindTask || w.Queue != "highways" || w.Service != "permit" || w.Seq != 2 {
		t.Errorf("open work %+v, want pat's highways task at seq 2", w)
	}

	stuck := e.start(t, sizes, map[string]any{"litres": "the big one"})
	work = waitOpenWork(t, e, stuck, func(w []inbox.Entry) bool { return len(w) == 1 })
	if w := work[0]; w.Kind != inbox.KindIncident || w.ID != stuck+"/price-1" || !strings.Contains(w.Error, "the big one") {
		t.Errorf("open work %+v, want the incident with its error", w)
	}

	if _, err := e.cases.CompleteTask(ctx, ref, workflows.Completion{TaskID: id, Outcome: "approve", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	e.waitClosed(t, ref)
	waitOpenWork(t, e, ref, func(w []inbox.Entry) bool { return len(w) == 0 })
}

// TestReindexGivesTheSameInbox flushes the inbox index a worker keeps
// and rebuilds it from visibility: the inbox reads as it did.
func TestReindexGivesTheSameInbox(t *testing.T) {
	db := redistest.New(t)
	ix := &inbox.Index{Redis: db.Client, Prefix: db.Prefix}
	queue := "highways-" + unique() // a queue no other test uses
	r := parse(t, "permit", strings.ReplaceAll(strings.ReplaceAll(permitRecipe, "%VERSION%", "1"), "queue: highways", "queue: "+queue))
	e := newEnvWith(t, &activities.Activities{Index: ix}, r)
	ctx := context.Background()
	var refs []string
	for _, street := range []string{"Orchard Way", "Mill Lane", "Church Street"} {
		ref := e.start(t, r, map[string]any{"street": street})
		e.waitDetail(t, ref, hasOpenTask)
		refs = append(refs, ref)
	}
	if err := e.cases.AssignTask(ctx, refs[1], workflows.Assignment{TaskID: refs[1] + "/review", To: "pat", By: "pat"}); err != nil {
		t.Fatal(err)
	}
	filter := inbox.Filter{Queues: []string{queue}, Now: time.Now(), EndOfDay: time.Now().Add(time.Hour)}
	before, err := ix.Tasks(ctx, filter)
	if err != nil || before.Total != 3 {
		t.Fatalf("inbox before: %+v, %v; want the three tasks the cases wrote", before, err)
	}
	for _, ref := range refs {
		waitOpenWork(t, e, ref, func(w []inbox.Entry) bool { return len(w) == 1 && (ref != refs[1] || w[0].Assignee == "pat") })
	}

	keys, err := db.Client.Keys(ctx, db.Prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys of the index: %v, %v", keys, err)
	}
	if err := db.Client.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	if empty, err := ix.Empty(ctx); err != nil || !empty {
		t.Fatalf("after the flush the index is empty %v, %v", empty, err)
	}
	n, err := e.cases.Reindex(ctx, ix)
	if err != nil || n < 3 {
		t.Fatalf("reindex: %d, %v; want at least this test's three tasks", n, err)
	}
	after, err := ix.Tasks(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(before.Entries, after.Entries, sameEntry) || after.Total != before.Total {
		t.Errorf("inbox after reindex:\n%+v\nwant as before:\n%+v", after.Entries, before.Entries)
	}
}

// unique is eight hex digits no other test uses.
func unique() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sameEntry(a, b inbox.Entry) bool {
	return a.ID == b.ID && a.Assignee == b.Assignee && a.Queue == b.Queue && a.Seq == b.Seq && a.Title == b.Title &&
		a.OpenedAt.Equal(b.OpenedAt)
}

// Recipe answers the snapshot a case runs, which the staff case page
// draws, whatever the service's recipe has become since.
func TestRecipeIsTheCasesSnapshot(t *testing.T) {
	r := permit(t, "1")
	e := newEnv(t, r)
	ref := e.start(t, r, map[string]any{"street": "Orchard Way"})
	e.waitDetail(t, ref, hasOpenTask)
	got, err := e.cases.Recipe(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r.ID || got.Version != "1" || len(got.Steps) != len(r.Steps) {
		t.Errorf("recipe %s v%s with %d steps, want the case's %s v1 with %d", got.ID, got.Version, len(got.Steps), r.ID, len(r.Steps))
	}
}
