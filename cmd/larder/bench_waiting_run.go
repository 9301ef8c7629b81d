package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/larder-council/larder/activities/inbox"
)

// waitingRun is one run of larder bench waiting and what it measured.
type waitingRun struct {
	opts  benchWaitingOptions
	begin time.Time
	mu    sync.Mutex
	phase string
	// samples are the worker's memory, read every opts.every.
	samples []waitingSample
	// opened is from the first case started to every task in the index.
	opened time.Duration
	// completed is completing every task, each until its case closed.
	completed *casesRun
}

// waitingSample is one reading of the worker process.
type waitingSample struct {
	at    time.Duration
	phase string
	// open is how many tasks the inbox index holds open.
	open int
	processMemory
}

func (r *waitingRun) setPhase(p string) {
	r.mu.Lock()
	r.phase = p
	r.mu.Unlock()
}

// sample reads the worker's memory and the open tasks now and every
// opts.every until the returned func is called.
func (r *waitingRun) sample(ctx context.Context, w *workerProcess, ix *inbox.Index, errOut io.Writer) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			s := waitingSample{at: time.Since(r.begin), open: -1}
			if counts, err := ix.Counts(ctx, []string{benchQueue}, time.Now(), time.Now()); err == nil {
				s.open = counts[benchQueue].Open
			}
			m, err := readProcessMemory(w.cmd.Process.Pid)
			if err == nil {
				s.processMemory = m
				r.mu.Lock()
				s.phase = r.phase
				r.samples = append(r.samples, s)
				r.mu.Unlock()
				fmt.Fprintf(errOut, "larder bench waiting: %7s %-10s %6d tasks open, worker %s, %d threads\n", seconds(s.at), s.phase, s.open, mib(s.rss), s.threads)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.opts.every):
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// take starts the cases on the worker's queue, lets them wait, then
// completes their tasks through the staff API.
func (r *waitingRun) take(ctx context.Context, l *faultsLarder, w *workerProcess, errOut io.Writer) error {
	o := r.opts
	r.setPhase("opening")
	begin := time.Now()
	// Cases start on the worker process's task queue: the benchmark's own
	// Larder keeps its in-process worker on its usual queue, where none go.
	onQueue, c := *l.app, *l.cases
	c.TaskQueue, onQueue.cases = w.queue, &c
	if err := openTasks(ctx, &onQueue, benchInboxOptions{tasks: o.cases, concurrency: o.concurrency}, errOut); err != nil {
		return err
	}
	// Under load the worker gets few tasks while cases are still being
	// started, so the tasks may open well after: allow the whole run.
	if err := waitForIndex(ctx, l.inbox, o.cases, o.timeout, errOut); err != nil {
		return err
	}
	r.opened = time.Since(begin)
	fmt.Fprintf(errOut, "larder bench waiting: %d cases waiting on a task, opened in %s; they wait %s\n", o.cases, seconds(r.opened), o.hold)
	r.setPhase("waiting")
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(o.hold):
	}
	if err := w.alive(); err != nil {
		return err
	}
	tasks, err := openTaskIDs(ctx, l.inbox, o.cases)
	if err != nil {
		return err
	}
	r.setPhase("completing")
	r.completed = &casesRun{name: "completing tasks"}
	r.completed.run(ctx, o.concurrency, len(tasks), completeTask(l, tasks), l.waitCase, errOut)
	if r.completed.failed > 0 || r.completed.closed < len(tasks) {
		return fmt.Errorf("completing tasks, %d of %d cases closed: %v", r.completed.closed, len(tasks), r.completed.firstErr)
	}
	return nil
}

// openTaskIDs reads the ids ("BI-7K4Q-2PXD/check") of the tasks open in
// the benchmark's queue, a page at a time.
func openTaskIDs(ctx context.Context, ix *inbox.Index, want int) ([]string, error) {
	var ids []string
	now := time.Now()
	for page := 1; ; page++ {
		p, err := ix.Tasks(ctx, inbox.Filter{Queues: []string{benchQueue}, Now: now, EndOfDay: now, Page: page, PerPage: inbox.MaxPerPage})
		if err != nil {
			return nil, err
		}
		for _, e := range p.Entries {
			ids = append(ids, e.ID)
		}
		if page >= p.Pages {
			break
		}
	}
	if len(ids) != want {
		return nil, fmt.Errorf("the inbox index lists %d open tasks, want %d", len(ids), want)
	}
	return ids, nil
}

// completeTask completes the i-th task through the staff API, as a
// council's back-office system would, and gives its case's reference.
func completeTask(l *faultsLarder, tasks []string) caseStarter {
	hc := &http.Client{Timeout: time.Minute}
	body := []byte(`{"outcome": "done", "by": "` + benchUser + `"}`)
	return func(ctx context.Context, i int) (string, error) {
		ref, _, _ := strings.Cut(tasks[i], "/")
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/v1/tasks/"+tasks[i]+"/complete", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+l.staffToken)
		resp, err := hc.Do(req)
		if err != nil {
			return "", fmt.Errorf("complete task %s: %w", tasks[i], err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("complete task %s: status %d: %s", tasks[i], resp.StatusCode, bytes.TrimSpace(reply))
		}
		return ref, nil
	}
}

// print writes the worker's memory through the run, the most, the time to
// complete every task and the memory after, and returns the exit code.
func (r *waitingRun) print(out, errOut io.Writer) int {
	o := r.opts
	cache := "its own worker.cache_size"
	if o.cacheSize > 0 {
		cache = fmt.Sprintf("--worker-cache-size %d", o.cacheSize)
	}
	fmt.Fprintf(out, "larder bench waiting: %d cases each waiting on a staff task, held %s; the worker a process of its own (%s); embedded Temporal and Redis\n\n", o.cases, o.hold, cache)
	fmt.Fprintf(out, "%8s  %-10s  %10s  %10s  %8s\n", "at", "phase", "tasks open", "worker RSS", "threads")
	var most waitingSample
	var lastWaiting, firstWaiting *waitingSample
	for i, s := range r.samples {
		fmt.Fprintf(out, "%8s  %-10s  %10d  %10s  %8d\n", seconds(s.at), s.phase, s.open, mib(s.rss), s.threads)
		if s.rss > most.rss {
			most = s
		}
		if s.phase == "waiting" {
			if firstWaiting == nil {
				firstWaiting = &r.samples[i]
			}
			lastWaiting = &r.samples[i]
		}
	}
	fmt.Fprintln(out)
	ok := most.rss < waitingRSSTarget
	fmt.Fprintf(out, "most worker RSS: %s at %s, %s  (target < %s) %s\n", mib(most.rss), seconds(most.at), most.phase, mib(waitingRSSTarget), verdict(ok))
	if firstWaiting != nil {
		fmt.Fprintf(out, "worker RSS while %d cases waited: %s at first, %s at last\n", o.cases, mib(firstWaiting.rss), mib(lastWaiting.rss))
	}
	c := r.completed
	fmt.Fprintf(out, "%d cases opened their tasks in %s; %d tasks completed and their cases closed in %s (%.1f a second), %d at a time\n",
		o.cases, seconds(r.opened), c.closed, seconds(c.took), c.perSecond(), o.concurrency)
	if n := len(r.samples); n > 0 && r.samples[n-1].phase == "after" {
		fmt.Fprintf(out, "worker RSS after: %s, %d threads\n", mib(r.samples[n-1].rss), r.samples[n-1].threads)
	}
	if !ok {
		fmt.Fprintln(errOut, "larder bench waiting: the worker's memory reached the target")
		return 1
	}
	return 0
}
