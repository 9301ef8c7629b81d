package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

func TestReindexRefusesWithoutASharedTemporalAndRedis(t *testing.T) {
	clearEnv(t)
	for _, args := range [][]string{
		{"reindex"},
		{"reindex", "--temporal-address", "127.0.0.1:1"},
		{"reindex", "--redis-url", "redis://127.0.0.1:1"},
	} {
		code, stdout, stderr := run(t, append(args, "--data-dir", t.TempDir())...)
		if code != 2 || stdout != "" ||
			!strings.Contains(stderr, "larder reindex: needs the Temporal and Redis the inbox lives on: set temporal.address and redis.url") ||
			!strings.Contains(stderr, "rebuilds its inbox index itself at start when the index is empty") {
			t.Errorf("larder %s: exit %d, stdout %q, stderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	code, _, stderr := run(t, "reindex", "now")
	if code != 2 || !strings.Contains(stderr, `larder reindex: takes flags only, not "now"`) {
		t.Errorf("larder reindex now: exit %d:\n%s", code, stderr)
	}
}

func TestReindexSaysWhenTemporalDoesNotAnswer(t *testing.T) {
	clearEnv(t)
	t.Setenv("LARDER_TEMPORAL_ADDRESS", "127.0.0.1:1")
	t.Setenv("LARDER_REDIS_URL", "redis://127.0.0.1:1")
	code, stdout, stderr := run(t, "reindex", "--data-dir", t.TempDir())
	if code != 1 || stdout != "" || !strings.Contains(stderr, "larder reindex: redis at redis://127.0.0.1:1") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}

// reindexed is what larder reindex prints when it has rebuilt the index.
var reindexed = regexp.MustCompile(`^reindexed (\d+) open tasks and incidents in \d+\.\ds\n$`)

// TestReindexRebuildsTheInboxFromARunningLarder flushes a running Larder's
// inbox index and runs `larder reindex` against its Temporal and Redis, as
// an operator would after losing Redis: the inbox is as it was.
func TestReindexRebuildsTheInboxFromARunningLarder(t *testing.T) {
	clearEnv(t)
	var a *app
	base, _ := startLarderWith(t, larderOptions{recipesDir: recipesDir, dataDir: t.TempDir(), started: func(s *app) { a = s }})
	ctx := context.Background()
	ix := &inbox.Index{Redis: a.redis, Prefix: a.cfg.Redis.KeyPrefix}

	r, err := recipe.LoadFile(filepath.Join(recipesDir, "fly-tipping.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]any{}
	for _, f := range r.Fields() {
		if f.Example != "" {
			answers[f.ID] = f.Example
		}
	}
	var refs []string
	for range 3 {
		var reply map[string]any
		if code := staffCall(t, http.MethodPost, base+"/api/v1/services/fly-tipping/submissions", "", answers, &reply); code != http.StatusCreated {
			t.Fatalf("submit: %d %v", code, reply)
		}
		ref := reply["reference"].(string)
		waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return openTask(d) != nil })
		refs = append(refs, ref)
	}
	inboxPage := func() inbox.Page {
		t.Helper()
		p, err := ix.Tasks(ctx, inbox.Filter{Queues: []string{"street-scene"}, PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The cases wrote their tasks to the index as they opened.
	deadline := time.Now().Add(20 * time.Second)
	for inboxPage().Total < len(refs) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	before := inboxPage()
	if before.Total != len(refs) {
		t.Fatalf("the index holds %d street-scene tasks, want %d", before.Total, len(refs))
	}

	// Redis loses the index.
	if err := ix.Replace(ctx, nil); err != nil {
		t.Fatal(err)
	}
	a.redis.Del(ctx, a.cfg.Redis.KeyPrefix+"inbox:built")
	if p := inboxPage(); p.Total != 0 {
		t.Fatalf("after the flush the index still holds %d tasks", p.Total)
	}

	code, stdout, stderr := run(t, "reindex", "--data-dir", t.TempDir(),
		"--temporal-address", a.temporal.HostPort(), "--redis-url", a.cfg.Redis.URL, "--redis-key-prefix", a.cfg.Redis.KeyPrefix)
	m := reindexed.FindStringSubmatch(stdout)
	if code != 0 || m == nil || m[1] != "3" {
		t.Fatalf("larder reindex: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	after := inboxPage()
	if after.Total != before.Total || strings.Join(entryIDs(after), " ") != strings.Join(entryIDs(before), " ") {
		t.Errorf("after reindex the inbox lists %v, before the flush %v", entryIDs(after), entryIDs(before))
	}
	if empty, _ := ix.Empty(ctx); empty {
		t.Error("after reindex the index still says it needs rebuilding")
	}
}

// entryIDs lists a page's entry ids.
func entryIDs(p inbox.Page) []string {
	out := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = e.ID
	}
	return out
}

// listedWork stands in for the case client: it rebuilds the index from a
// fixed list of open work and counts how often it was asked.
type listedWork struct {
	entries []inbox.Entry
	asked   int
}

func (w *listedWork) Reindex(ctx context.Context, ix *inbox.Index) (int, error) {
	w.asked++
	return len(w.entries), ix.Replace(ctx, w.entries)
}

func TestReindexIfEmptyRebuildsOnlyAnIndexRedisLost(t *testing.T) {
	ctx := context.Background()
	db := redistest.New(t)
	ix := &inbox.Index{Redis: db.Client, Prefix: db.Prefix}
	due := time.Now().Add(time.Hour)
	w := &listedWork{entries: []inbox.Entry{{ID: "FT-2222-2222/clear", Kind: inbox.KindTask, Reference: "FT-2222-2222",
		Service: "fly-tipping", Step: "clear", Queue: "street-scene", Title: "Clear it", OpenedAt: time.Now(), DueAt: &due, Seq: 1}}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := reindexIfEmpty(ctx, w, ix, logger); err != nil || w.asked != 1 {
		t.Fatalf("a new index: rebuilt %d times, %v; want once", w.asked, err)
	}
	if p, _ := ix.Tasks(ctx, inbox.Filter{Queues: []string{"street-scene"}}); p.Total != 1 {
		t.Errorf("after the rebuild the inbox lists %d tasks, want 1", p.Total)
	}
	if err := reindexIfEmpty(ctx, w, ix, logger); err != nil || w.asked != 1 {
		t.Errorf("a built index: rebuilt %d times in all, %v; want no second time", w.asked, err)
	}
	db.Client.Del(ctx, db.Prefix+"inbox:built") // Redis lost the index
	if err := reindexIfEmpty(ctx, w, ix, logger); err != nil || w.asked != 2 {
		t.Errorf("a lost index: rebuilt %d times in all, %v; want a second time", w.asked, err)
	}
}
