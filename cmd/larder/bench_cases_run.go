package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/workflows"
)

// casesRun is one run of larder bench cases: Larder's cases or the
// hand-written workflow's, and what was measured of them.
type casesRun struct {
	name string
	// took is from the first submission to the last close.
	took time.Duration
	// latency is each closed case's time from submission to close, sorted.
	latency        []time.Duration
	closed, failed int
	firstErr       error
	outcomes       map[string]int
	// refs are the closed cases' workflow ids, in the order they closed.
	refs []string
	// events is the history events per case of the sampled cases.
	events  float64
	sampled int
}

// caseStarter starts the i-th case and gives its workflow id.
type caseStarter func(ctx context.Context, i int) (string, error)

// caseWaiter waits for a case to close and gives its outcome.
type caseWaiter func(ctx context.Context, ref string) (string, error)

// run starts n cases, concurrency at a time, each waited for until it
// closes before its goroutine starts the next.
func (r *casesRun) run(ctx context.Context, concurrency, n int, start caseStarter, wait caseWaiter, errOut io.Writer) {
	r.outcomes = map[string]int{}
	var mu sync.Mutex
	var next, done atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	progress := make(chan struct{})
	go func() {
		for {
			select {
			case <-progress:
				return
			case <-time.After(10 * time.Second):
				fmt.Fprintf(errOut, "larder bench cases: %s: %d of %d cases closed in %s\n", r.name, done.Load(), n, seconds(time.Since(begin)))
			}
		}
	}()
	for range concurrency {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t0 := time.Now()
				ref, err := start(ctx, i)
				outcome := ""
				if err == nil {
					outcome, err = wait(ctx, ref)
				}
				took := time.Since(t0)
				mu.Lock()
				if err != nil {
					r.failed++
					r.firstErr = cmp.Or(r.firstErr, err)
				} else {
					r.closed++
					r.latency = append(r.latency, took)
					r.outcomes[outcome]++
					r.refs = append(r.refs, ref)
				}
				mu.Unlock()
				done.Add(1)
			}
		})
	}
	wg.Wait()
	close(progress)
	r.took = time.Since(begin)
	slices.Sort(r.latency)
	if ctx.Err() != nil && r.closed+r.failed < n {
		r.firstErr = cmp.Or(r.firstErr, fmt.Errorf("%d cases not closed: %w", n-r.closed-r.failed, ctx.Err()))
	}
}

// perSecond is the cases closed a second, from the first submission to
// the last close.
func (r *casesRun) perSecond() float64 {
	if r.took <= 0 {
		return 0
	}
	return float64(r.closed) / r.took.Seconds()
}

// countEvents reads the history of up to sample closed cases and keeps
// the events per case.
func (r *casesRun) countEvents(ctx context.Context, tc client.Client, sample int) {
	total := 0
	for _, ref := range r.refs[:min(sample, len(r.refs))] {
		it := tc.GetWorkflowHistory(ctx, ref, "", false, 0)
		n := 0
		for it.HasNext() {
			if _, err := it.Next(); err != nil {
				r.firstErr = cmp.Or(r.firstErr, fmt.Errorf("history of %s: %w", ref, err))
				return
			}
			n++
		}
		total += n
		r.sampled++
	}
	if r.sampled > 0 {
		r.events = float64(total) / float64(r.sampled)
	}
}

// submitCase submits the i-th answers to the recipe through the JSON API,
// as a partner's system would, and gives the case's reference.
func (l *faultsLarder) submitCase(recipeID string, answers []map[string]any) caseStarter {
	submitter := &faultRun{larder: l}
	hc := &http.Client{Timeout: 30 * time.Second}
	run := time.Now().UnixNano()
	return func(ctx context.Context, i int) (string, error) {
		return submitter.submit(ctx, hc, &faultCase{
			service: recipeID, answers: answers[i], key: fmt.Sprintf("bench-cases-%d-%05d", run, i),
		})
	}
}

// waitCase waits for a Larder case's workflow to start (a submission
// may wait in the intake journal first) and close; a case that did not
// complete is a failure.
func (l *faultsLarder) waitCase(ctx context.Context, ref string) (string, error) {
	var res workflows.CaseResult
	for {
		err := l.tc.GetWorkflow(ctx, ref, "").Get(ctx, &res)
		var none *serviceerror.NotFound
		if errors.As(err, &none) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("case %s: %w", ref, err)
		}
		break
	}
	if res.Status != workflows.StatusCompleted {
		return "", fmt.Errorf("case %s closed %s: %s", ref, res.Status, res.Outcome)
	}
	return res.Outcome, nil
}

// startNative starts the hand-written workflow with the i-th answers.
func (l *faultsLarder) startNative(answers []map[string]any) caseStarter {
	run := time.Now().UnixNano()
	return func(ctx context.Context, i int) (string, error) {
		ref := fmt.Sprintf("HW-%d-%05d", run, i)
		in := workflows.CaseInput{Reference: ref, Answers: answers[i], SubmittedAt: time.Now().UTC()}
		if _, err := l.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ref, TaskQueue: nativeQueue}, nativeWorkflow, in); err != nil {
			return "", fmt.Errorf("start %s: %w", ref, err)
		}
		return ref, nil
	}
}

// waitNative waits for a hand-written workflow to close.
func (l *faultsLarder) waitNative(ctx context.Context, ref string) (string, error) {
	var outcome string
	if err := l.tc.GetWorkflow(ctx, ref, "").Get(ctx, &outcome); err != nil {
		return "", fmt.Errorf("%s: %w", ref, err)
	}
	return outcome, nil
}

// printCasesRuns writes a row for each run, their outcomes and, with two
// runs, Larder's cases a second as a share of the hand-written workflow's.
func printCasesRuns(out io.Writer, o benchCasesOptions, runs []*casesRun) {
	fmt.Fprintf(out, "larder bench cases: %d %s cases a run after %d to warm up, %d in flight; embedded Temporal and Redis, the waste simulator\n\n", o.cases, o.recipe, o.warmup, o.concurrency)
	fmt.Fprintf(out, "%-24s %6s %6s %6s %8s %9s %9s %9s %12s\n", "run", "cases", "closed", "failed", "cases/s", "p50", "p95", "p99", "events/case")
	for _, r := range runs {
		p := func(q int) string {
			if len(r.latency) == 0 {
				return "-"
			}
			return percentile(r.latency, q).Round(time.Millisecond).String()
		}
		fmt.Fprintf(out, "%-24s %6d %6d %6d %8.2f %9s %9s %9s %12.1f\n", r.name, o.cases, r.closed, r.failed, r.perSecond(), p(50), p(95), p(99), r.events)
	}
	fmt.Fprintln(out)
	for _, r := range runs {
		var parts []string
		for _, oc := range sortedKeys(r.outcomes) {
			parts = append(parts, fmt.Sprintf("%s %d", oc, r.outcomes[oc]))
		}
		fmt.Fprintf(out, "%s outcomes: %s (events counted on %d cases)\n", r.name, strings.Join(parts, ", "), r.sampled)
	}
	if len(runs) == 2 && runs[1].perSecond() > 0 {
		fmt.Fprintf(out, "ratio, %s cases/s to %s cases/s: %.2f\n", runs[0].name, runs[1].name, runs[0].perSecond()/runs[1].perSecond())
	}
}
