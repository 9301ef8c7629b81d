package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// submitRun is one run of larder bench submit and what it measured.
type submitRun struct {
	opts benchSubmitOptions
	// sent is how many submissions went out, from begin to lastSent.
	sent            int
	begin, lastSent time.Time
	// latency is each 201's time from sending to its answer, sorted.
	latency []time.Duration
	// otherwise counts the answers other than 201 by status; unanswered
	// the submissions that got none (a timeout, a dropped connection).
	otherwise  map[int]int
	unanswered int
	// otherLatency is each other answer's time from sending, sorted.
	otherLatency []time.Duration
	firstErr     error
	// refs are the references the 201s gave, in the order they came.
	refs []string
	// cases is the wait for refs' cases to close; caughtUp is from the
	// last submission sent to the last case closed.
	cases    *casesRun
	caughtUp time.Duration
}

// send sends one submission every 1/rate seconds, each in a goroutine of
// its own, and waits for their answers. Each is sent at its time on the
// schedule from the first, whatever the answers before it did.
func (r *submitRun) send(ctx context.Context, l *faultsLarder, answers []map[string]any) {
	r.otherwise = map[int]int{}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	defer hc.CloseIdleConnections()
	interval := time.Duration(float64(time.Second) / r.opts.rate)
	run := time.Now().UnixNano()
	var mu sync.Mutex
	var wg sync.WaitGroup
	r.begin = time.Now()
	for i := range answers {
		if wait := time.Until(r.begin.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		r.sent, r.lastSent = r.sent+1, time.Now()
		wg.Go(func() {
			t0 := time.Now()
			ref, status, err := submitOnce(ctx, hc, l, r.opts.recipe, answers[i], fmt.Sprintf("bench-submit-%d-%05d", run, i))
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && status == 0:
				r.unanswered++
			case err != nil:
				r.otherwise[status]++
				r.otherLatency = append(r.otherLatency, took)
			default:
				r.latency = append(r.latency, took)
				r.refs = append(r.refs, ref)
			}
			r.firstErr = cmp.Or(r.firstErr, err)
		})
	}
	wg.Wait()
	slices.Sort(r.latency)
	slices.Sort(r.otherLatency)
}

// submitOnce posts answers to the recipe's submissions once, as a
// partner's system would, and gives the case's reference on a 201, or the
// status it got instead (0 when no answer came).
func submitOnce(ctx context.Context, hc *http.Client, l *faultsLarder, recipeID string, answers map[string]any, key string) (string, int, error) {
	body, err := json.Marshal(answers)
	if err != nil {
		return "", 0, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/v1/services/"+recipeID+"/submissions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.staffToken)
	req.Header.Set("Idempotency-Key", key)
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	reply, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", 0, err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", resp.StatusCode, fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(reply))
	}
	var created struct {
		Reference string `json:"reference"`
	}
	if err := json.Unmarshal(reply, &created); err != nil || created.Reference == "" {
		return "", resp.StatusCode, fmt.Errorf("201, but the reply names no reference: %s", reply)
	}
	return created.Reference, resp.StatusCode, nil
}

// catchUp waits for every case a submission started to close.
func (r *submitRun) catchUp(ctx context.Context, l *faultsLarder, errOut io.Writer) {
	r.cases = &casesRun{name: "catching up"}
	existing := func(_ context.Context, i int) (string, error) { return r.refs[i], nil }
	r.cases.run(ctx, 32, len(r.refs), existing, l.waitCase, errOut)
	r.caughtUp = time.Since(r.lastSent)
}

// passed says whether every submission got its 201 within the target and
// every case closed.
func (r *submitRun) passed() bool {
	return r.sent == r.opts.total() && len(r.latency) == r.sent && r.sent > 0 && r.cases.closed == len(r.refs) &&
		percentile(r.latency, 99) < r.opts.target
}

// print writes what the run measured, beside the target, and returns the
// exit code.
func (r *submitRun) print(out, errOut io.Writer) int {
	o := r.opts
	fmt.Fprintf(out, "larder bench submit: %d %s submissions, %g a second for %s, after %d cases to warm up; embedded Temporal and Redis, the waste simulator\n\n",
		o.total(), o.recipe, o.rate, o.duration, o.warmup)
	sending := r.lastSent.Sub(r.begin)
	rate := 0.0
	if r.sent > 1 && sending > 0 {
		rate = float64(r.sent-1) / sending.Seconds()
	}
	var other []string
	n := 0
	for _, status := range slices.Sorted(maps.Keys(r.otherwise)) {
		other = append(other, fmt.Sprintf("%d: %d", status, r.otherwise[status]))
		n += r.otherwise[status]
	}
	fmt.Fprintf(out, "submissions: %d sent in %s (%.1f a second): %d answered 201, %d otherwise%s, %d not answered\n",
		r.sent, seconds(sending), rate, len(r.latency), n, parenthesised(other), r.unanswered)
	if len(r.latency) > 0 {
		fmt.Fprintf(out, "201 within: %s  (target p99 < %s) %s\n", spread(r.latency), o.target, verdict(percentile(r.latency, 99) < o.target))
	}
	if len(r.otherLatency) > 0 {
		fmt.Fprintf(out, "answered otherwise within: %s\n", spread(r.otherLatency))
	}
	c := r.cases
	fmt.Fprintf(out, "cases: %d of %d closed, %d failed; the last closed %s after the last submission was sent\n",
		c.closed, len(r.refs), c.failed, seconds(r.caughtUp))
	var outcomes []string
	for _, oc := range sortedKeys(c.outcomes) {
		outcomes = append(outcomes, fmt.Sprintf("%s %d", oc, c.outcomes[oc]))
	}
	fmt.Fprintf(out, "outcomes: %s\n", strings.Join(outcomes, ", "))
	if r.passed() {
		return 0
	}
	if r.firstErr != nil {
		fmt.Fprintf(errOut, "larder bench submit: the first submission not answered 201: %v\n", r.firstErr)
	}
	if c.firstErr != nil {
		fmt.Fprintf(errOut, "larder bench submit: the first case not closed: %v\n", c.firstErr)
	}
	fmt.Fprintln(errOut, "larder bench submit: a submission or a case failed, or the target was missed")
	return 1
}

// spread is the p50, p95, p99 and max of sorted latencies.
func spread(sorted []time.Duration) string {
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s", ms(percentile(sorted, 50)), ms(percentile(sorted, 95)), ms(percentile(sorted, 99)), ms(sorted[len(sorted)-1]))
}

// parenthesised is " (a, b)" of parts, or nothing when there are none.
func parenthesised(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
