package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows/recipe"
)

// Targets of the staff inbox with 10,000 open tasks in one queue.
const (
	inboxPageTarget = 100 * time.Millisecond
	reindexTarget   = time.Minute
)

// benchQueue and benchService are the queue and recipe the benchmark's
// tasks open in.
const (
	benchQueue   = "bench-team"
	benchService = "bench-inbox"
)

// benchRecipe opens a task as soon as a case starts.
const benchRecipe = `# Written by larder bench inbox: a case that opens one task at once.
id: ` + benchService + `
version: "1"
title: Benchmark the staff inbox
reference_prefix: BI
form:
  pages:
    - id: details
      title: Details
      fields:
        - id: note
          type: text
          label: Note
          validate: required,max=100
steps:
  - id: check
    task:
      queue: ` + benchQueue + `
      title: "Check {{ form.note }}"
      outcomes:
        - { id: done, label: Done, next: done }
      due: 72h
  - id: done
    end:
      outcome: Checked
`

// benchInboxOptions are larder bench inbox's flags.
type benchInboxOptions struct {
	tasks, concurrency, requests int
	redisURL, dataDir            string
	wait                         time.Duration
}

// benchInboxCommand measures the staff inbox with many open tasks in one
// queue, on a Larder of its own started in a temporary folder:
//
//	larder bench inbox --tasks 10000
//
// It opens --tasks tasks, reads the first inbox page --requests times
// and prints p50, p95 and p99, then throws the index away and times
// rebuilding it as `larder reindex` does. It exits 1 when a target is
// missed or the run fails, 2 when its flags are wrong.
func benchInboxCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	const name = "larder bench inbox"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o benchInboxOptions
	fs.IntVar(&o.tasks, "tasks", 10000, "open tasks in the one queue")
	fs.IntVar(&o.concurrency, "concurrency", 32, "cases started at a time")
	fs.IntVar(&o.requests, "requests", 1000, "first-page reads measured")
	fs.StringVar(&o.redisURL, "redis-url", "", "Redis to hold the index, under a key prefix of its own; empty runs an embedded one")
	fs.StringVar(&o.dataDir, "data-dir", "", "folder for the benchmark's Larder; empty makes a temporary one, removed afterwards")
	fs.DurationVar(&o.wait, "wait", 0, "how long the tasks may take to reach the index; 0 allows 30s plus 20ms a task")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	refuse := func(format string, a ...any) int {
		fmt.Fprintf(errOut, name+": "+format+"\n", a...)
		return 2
	}
	switch {
	case o.tasks < 1:
		return refuse("--tasks %d is below one (use 10000)", o.tasks)
	case o.concurrency < 1:
		return refuse("--concurrency %d is below one (use 32)", o.concurrency)
	case o.requests < 1:
		return refuse("--requests %d is below one (use 1000)", o.requests)
	case o.wait < 0:
		return refuse("--wait %s is below zero (use 0 for the default)", o.wait)
	case fs.NArg() > 0:
		return refuse("takes flags only, not %q", fs.Arg(0))
	}
	if o.wait == 0 {
		o.wait = 30*time.Second + time.Duration(o.tasks)*20*time.Millisecond
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := benchInbox(ctx, o, errOut)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return 1
	}
	return r.print(out, errOut)
}

// latencies are the percentiles of one measured read.
type latencies struct{ p50, p95, p99 time.Duration }

func (l latencies) String() string {
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s", ms(l.p50), ms(l.p95), ms(l.p99))
}

// benchInboxResult is what larder bench inbox measured.
type benchInboxResult struct {
	tasks, requests int
	// page is GET /staff/ signed in; index the index reads behind it.
	page, index latencies
	reindexed   int
	reindex     time.Duration
	started     time.Duration // starting the cases and indexing their tasks
}

// print writes the figures beside their targets and returns the exit code.
func (r benchInboxResult) print(out, errOut io.Writer) int {
	pageOK, reindexOK := r.page.p99 < inboxPageTarget, r.reindex < reindexTarget
	fmt.Fprintf(out, "%d open tasks in one queue (opened and indexed in %s)\n", r.tasks, seconds(r.started))
	fmt.Fprintf(out, "first inbox page, GET /staff/ signed in, %d requests: %s  (target p99 < %s) %s\n",
		r.requests, r.page, inboxPageTarget, verdict(pageOK))
	fmt.Fprintf(out, "  of which the inbox index's counts and page: %s\n", r.index)
	fmt.Fprintf(out, "larder reindex: reindexed %d open tasks and incidents in %s  (target < %s) %s\n",
		r.reindexed, seconds(r.reindex), reindexTarget, verdict(reindexOK))
	if !pageOK || !reindexOK {
		fmt.Fprintln(errOut, "larder bench inbox: a target was missed")
		return 1
	}
	return 0
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// ms writes d in milliseconds with two decimals, like 0.62ms.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// benchInbox starts a Larder of its own, opens o.tasks tasks and measures.
func benchInbox(ctx context.Context, o benchInboxOptions, errOut io.Writer) (benchInboxResult, error) {
	dir := o.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "larder-bench-inbox-")
		if err != nil {
			return benchInboxResult{}, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	recipes := filepath.Join(dir, "recipes")
	if err := os.MkdirAll(recipes, 0o750); err != nil {
		return benchInboxResult{}, err
	}
	if err := os.WriteFile(filepath.Join(recipes, benchService+".yaml"), []byte(benchRecipe), 0o600); err != nil {
		return benchInboxResult{}, err
	}
	cfg, err := defaults().parse(nil)
	if err != nil {
		return benchInboxResult{}, err
	}
	cfg.DataDir, cfg.RecipesDir = filepath.Join(dir, "data"), recipes
	cfg.HTTP.Address = "127.0.0.1:0"
	cfg.Redis.URL = o.redisURL
	cfg.Redis.KeyPrefix = fmt.Sprintf("larder-bench-%d:", time.Now().UnixNano())
	cfg.StaffFile = filepath.Join(dir, "staff.yaml")
	password, err := writeBenchStaff(cfg.StaffFile)
	if err != nil {
		return benchInboxResult{}, err
	}
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan *app, 1)
	stopped := make(chan error, 1)
	go func() {
		stopped <- runApp(ctx, cfg, roles{web: true, worker: true}, logger, func(a *app) { ready <- a })
	}()
	var a *app
	select {
	case a = <-ready:
	case err := <-stopped:
		return benchInboxResult{}, fmt.Errorf("start larder: %w", err)
	case <-ctx.Done():
		return benchInboxResult{}, ctx.Err()
	}
	defer func() { cancel(); <-stopped }()
	fmt.Fprintf(errOut, "larder bench inbox: larder started in %s; opening %d tasks\n", dir, o.tasks)
	ix := &inbox.Index{Redis: a.redis, Prefix: cfg.Redis.KeyPrefix, Log: logger}
	if o.redisURL != "" {
		defer dropIndex(ix)
	}
	return measureInbox(ctx, a, ix, o, password, errOut)
}

// dropIndex deletes the benchmark's index from a Redis it shares.
func dropIndex(ix *inbox.Index) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = ix.Replace(ctx, nil)
	ix.Redis.Del(ctx, ix.Prefix+"inbox:built")
}

// measureInbox opens the tasks, then measures the first page and reindex.
// password signs the benchmark's staff user in.
func measureInbox(ctx context.Context, a *app, ix *inbox.Index, o benchInboxOptions, password string, errOut io.Writer) (benchInboxResult, error) {
	r := benchInboxResult{tasks: o.tasks, requests: o.requests}
	begin := time.Now()
	if err := openTasks(ctx, a, o, errOut); err != nil {
		return r, err
	}
	if err := waitForIndex(ctx, ix, o.tasks, o.wait, errOut); err != nil {
		return r, err
	}
	r.started = time.Since(begin)

	staff, err := signInToStaff(ctx, "http://"+a.Addr, password)
	if err != nil {
		return r, err
	}
	defer func() {
		if err := signOutOfStaff(context.WithoutCancel(ctx), staff, "http://"+a.Addr); err != nil {
			fmt.Fprintf(errOut, "larder bench inbox: %v\n", err)
		}
	}()
	if r.page, err = measure(o.requests, func() error { return getInbox(ctx, staff, "http://"+a.Addr, o.tasks) }); err != nil {
		return r, fmt.Errorf("first inbox page: %w", err)
	}
	if r.index, err = measure(o.requests, func() error { return firstInboxPage(ctx, ix, o.tasks) }); err != nil {
		return r, fmt.Errorf("inbox index: %w", err)
	}

	// Throw the index away and rebuild it as larder reindex does.
	if err := ix.Replace(ctx, nil); err != nil {
		return r, fmt.Errorf("throw the index away: %w", err)
	}
	if err := ix.Redis.Del(ctx, ix.Prefix+"inbox:built").Err(); err != nil {
		return r, err
	}
	n, took, err := timedReindex(ctx, a.cases, ix)
	if err != nil {
		return r, err
	}
	r.reindexed, r.reindex = n, took
	if n != o.tasks {
		return r, fmt.Errorf("reindex found %d open tasks and incidents, want %d", n, o.tasks)
	}
	return r, firstInboxPage(ctx, ix, o.tasks)
}

// firstInboxPage reads what the inbox's first page shows of one queue: its
// counts and first page of tasks, and checks the index holds every task.
func firstInboxPage(ctx context.Context, ix *inbox.Index, tasks int) error {
	now := time.Now()
	end := time.Date(now.Year(), now.Month(), now.Day(), 23, 59, 59, 0, now.Location())
	if _, err := ix.Counts(ctx, []string{benchQueue}, now, end); err != nil {
		return err
	}
	p, err := ix.Tasks(ctx, inbox.Filter{Queues: []string{benchQueue}, Now: now, EndOfDay: end})
	if err != nil {
		return err
	}
	if p.Total != tasks || len(p.Entries) != min(tasks, inbox.DefaultPerPage) {
		return fmt.Errorf("the first inbox page shows %d of %d tasks, want %d of %d", len(p.Entries), p.Total, min(tasks, inbox.DefaultPerPage), tasks)
	}
	return nil
}

// openTasks starts o.tasks cases of the bench recipe, o.concurrency at a
// time.
func openTasks(ctx context.Context, a *app, o benchInboxOptions, errOut io.Writer) error {
	i := slices.IndexFunc(a.cases.Recipes, func(r *recipe.Recipe) bool { return r.ID == benchService })
	if i < 0 {
		return fmt.Errorf("recipe %s did not load", benchService)
	}
	r := a.cases.Recipes[i]
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	begin := time.Now()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(o.tasks) && ctx.Err() == nil; n = next.Add(1) {
				if _, err := a.cases.Start(ctx, r, map[string]any{"note": fmt.Sprintf("task %d", n)}, ""); err != nil {
					cancel(err)
					return
				}
				if d := done.Add(1); d%1000 == 0 {
					fmt.Fprintf(errOut, "larder bench inbox: %d cases started in %s\n", d, seconds(time.Since(begin)))
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("start cases: %w", err)
	}
	return nil
}

// waitForIndex waits until the index holds tasks open tasks in the queue.
func waitForIndex(ctx context.Context, ix *inbox.Index, tasks int, within time.Duration, errOut io.Writer) error {
	begin := time.Now()
	deadline := begin.Add(within)
	said := begin
	for {
		counts, err := ix.Counts(ctx, []string{benchQueue}, time.Now(), time.Now())
		if err != nil {
			return err
		}
		open := counts[benchQueue].Open
		if open >= tasks {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the inbox index holds %d of %d tasks after %s: do cases write the index (activities.Activities.Index)?", open, tasks, within)
		}
		if time.Since(said) > 10*time.Second {
			fmt.Fprintf(errOut, "larder bench inbox: %d of %d tasks in the index after %s more\n", open, tasks, seconds(time.Since(begin)))
			said = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// measure runs read a few times to warm up, then n times, and gives the
// percentiles of how long it took.
func measure(n int, read func() error) (latencies, error) {
	for range min(20, n) {
		if err := read(); err != nil {
			return latencies{}, err
		}
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := read(); err != nil {
			return latencies{}, err
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	return latencies{percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)}, nil
}

// percentile is the p-th percentile of sorted latencies.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}
