package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// The services the run takes cases through.
const (
	missedBinService = "missed-bin"
	bulkyService     = "bulky-waste"
)

// faultCase is one resident's case in the run.
type faultCase struct {
	service string
	email   string
	answers map[string]any
	// key is the submission's Idempotency-Key, sent again on each retry.
	key string
	// paymentFails says the payment provider reports the payment failed.
	paymentFails bool
	paymentRef   string

	// What happened, written by one goroutine at a time.
	ref        string
	notStarted error
	// paid is set once the payment message is delivered, or the case
	// no longer runs to take it.
	paid   bool
	view   workflows.CaseView
	detail *workflows.CaseDetail
}

func (c *faultCase) closed() bool {
	return c.view.Status != "" && c.view.Status != workflows.StatusRunning
}

// faultRun is one run of larder bench faults: its cases and what the
// waste system and the outbox hold after.
type faultRun struct {
	opts   benchFaultsOptions
	plan   faultPlan
	larder *faultsLarder
	waste  *faultyWaste
	outbox string
	took   time.Duration

	cases []*faultCase
	// submitRetries counts submissions sent again after Larder answered
	// 503 (it could not check an address or date with the waste system).
	submitRetries atomic.Int64
	// hookRetries counts payment messages sent again.
	hookRetries atomic.Int64

	// What the checks read once the cases ran.
	missed       []wastesim.MissedCollection
	reservations []wastesim.Reservation
	emails       []outboxEmail
	outboxErr    error
}

// newCases makes the cases of the plan, in the order they are sent: the
// two services mixed evenly.
func (r *faultRun) newCases() {
	type placed struct {
		c   *faultCase
		pos float64
	}
	var all []placed
	for i, p := range r.plan.missed {
		all = append(all, placed{&faultCase{
			service: missedBinService,
			email:   fmt.Sprintf("resident-mb-%04d@example.com", i+1),
			key:     fmt.Sprintf("bench-faults-mb-%04d", i+1),
			answers: map[string]any{
				"postcode": p.postcode, "uprn": p.uprn, "bin_type": p.bin,
				"name": fmt.Sprintf("Missed Bin Resident %d", i+1), "email": fmt.Sprintf("resident-mb-%04d@example.com", i+1),
			},
		}, (float64(i) + 0.5) / float64(len(r.plan.missed))})
	}
	for i, p := range r.plan.bulky {
		all = append(all, placed{&faultCase{
			service: bulkyService,
			email:   fmt.Sprintf("resident-bw-%04d@example.com", i+1),
			key:     fmt.Sprintf("bench-faults-bw-%04d", i+1),
			answers: map[string]any{
				"postcode": p.postcode, "uprn": p.uprn, "items": p.items, "slot": p.slot,
				"name": fmt.Sprintf("Bulky Waste Resident %d", i+1), "email": fmt.Sprintf("resident-bw-%04d@example.com", i+1),
			},
			paymentFails: p.paymentFails,
			paymentRef:   fmt.Sprintf("PAY-BF-%04d", i+1),
		}, (float64(i) + 0.5) / float64(len(r.plan.bulky))})
	}
	slices.SortStableFunc(all, func(a, b placed) int {
		switch {
		case a.pos < b.pos:
			return -1
		case a.pos > b.pos:
			return 1
		}
		return 0
	})
	for _, p := range all {
		r.cases = append(r.cases, p.c)
	}
}

// runCases sends every case, pays for the bulky bookings as each comes to
// wait for payment, and waits until every case has closed or ctx ends.
func (r *faultRun) runCases(ctx context.Context, errOut io.Writer) {
	r.newCases()
	begin := time.Now()
	client := &http.Client{Timeout: 30 * time.Second}
	var next, sent atomic.Int64
	var wg sync.WaitGroup
	for range r.opts.concurrency {
		wg.Go(func() {
			for i := next.Add(1) - 1; int(i) < len(r.cases) && ctx.Err() == nil; i = next.Add(1) - 1 {
				c := r.cases[i]
				c.ref, c.notStarted = r.submit(ctx, client, c)
				if n := sent.Add(1); n%50 == 0 {
					fmt.Fprintf(errOut, "larder bench faults: %d of %d cases sent in %s\n", n, len(r.cases), seconds(time.Since(begin)))
				}
			}
		})
	}
	wg.Wait()
	for _, c := range r.cases {
		if c.ref == "" && c.notStarted == nil {
			c.notStarted = fmt.Errorf("not sent: %w", ctx.Err())
		}
	}
	fmt.Fprintf(errOut, "larder bench faults: cases sent in %s; waiting for them to close\n", seconds(time.Since(begin)))

	said := time.Now()
	for last, same := -1, 0; ctx.Err() == nil; {
		open := r.sweep(ctx, client)
		if open == 0 {
			break
		}
		// Cases that wait on staff for an incident close only when
		// someone resolves it: once the open ones stop closing and every
		// one of them has an incident, waiting longer shows nothing more.
		if same++; open != last {
			last, same = open, 0
		}
		if same >= 5 && r.allWaitOnStaff(ctx) {
			fmt.Fprintf(errOut, "larder bench faults: the %d cases still open wait on staff for an incident\n", open)
			break
		}
		if time.Since(said) > 10*time.Second {
			fmt.Fprintf(errOut, "larder bench faults: %d cases still open after %s\n", open, seconds(time.Since(begin)))
			said = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// sweep reads each open case, posts the payment message to each bulky
// booking waiting for it, and counts the cases still open.
func (r *faultRun) sweep(ctx context.Context, client *http.Client) int {
	var open atomic.Int64
	r.each(func(c *faultCase) {
		if c.ref == "" || c.closed() {
			return
		}
		if c.service != bulkyService || c.paid {
			if v, err := r.larder.cases.View(ctx, c.ref); err == nil {
				c.view = v
			}
		} else if d, err := r.larder.cases.Detail(ctx, c.ref); err == nil {
			c.view = d.CaseView
			if slices.ContainsFunc(d.Waiting, func(w workflows.Waiting) bool { return w.Step == "pay" }) {
				r.pay(ctx, client, c)
			}
		}
		if !c.closed() {
			open.Add(1)
		}
	})
	return int(open.Load())
}

// allWaitOnStaff says whether every open case has an incident staff have
// not resolved.
func (r *faultRun) allWaitOnStaff(ctx context.Context) bool {
	var free atomic.Bool
	r.each(func(c *faultCase) {
		if c.ref == "" || c.closed() {
			return
		}
		d, err := r.larder.cases.Detail(ctx, c.ref)
		if err != nil {
			free.Store(true)
			return
		}
		c.detail = &d
		if len(r.openIncidents(c)) == 0 {
			free.Store(true)
		}
	})
	return !free.Load()
}

// each runs f on every case, a few at a time.
func (r *faultRun) each(f func(*faultCase)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; int(i) < len(r.cases); i = next.Add(1) - 1 {
				f(r.cases[i])
			}
		})
	}
	wg.Wait()
}

// submit sends the case's answers by the JSON API, as a partner's system
// would, and sends them again with the same Idempotency-Key while Larder
// answers 503 (it could not check the address or date with the waste
// system) or cannot be reached.
func (r *faultRun) submit(ctx context.Context, client *http.Client, c *faultCase) (string, error) {
	body, err := json.Marshal(c.answers)
	if err != nil {
		return "", err
	}
	endpoint := r.larder.base + "/api/v1/services/" + c.service + "/submissions"
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			r.submitRetries.Add(1)
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("not started after %d tries: %w", attempt, ctx.Err())
			case <-time.After(min(2*time.Second, 100*time.Millisecond<<min(attempt, 5))):
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+r.larder.staffToken)
		req.Header.Set("Idempotency-Key", c.key)
		resp, err := client.Do(req)
		if err != nil {
			continue
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
			var out struct {
				Reference string `json:"reference"`
			}
			if err := json.Unmarshal(reply, &out); err != nil || out.Reference == "" {
				return "", fmt.Errorf("started, but the reply names no reference: %s", reply)
			}
			return out.Reference, nil
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests:
			continue
		default:
			return "", fmt.Errorf("refused with status %d: %s", resp.StatusCode, bytes.TrimSpace(reply))
		}
	}
}

// pay posts the payment provider's message to the payment hook: paid, or
// failed for the bookings meant to fail.
func (r *faultRun) pay(ctx context.Context, client *http.Client, c *faultCase) {
	data := map[string]any{"status": "paid", "payment_ref": c.paymentRef}
	if c.paymentFails {
		data = map[string]any{"status": "failed"}
	}
	body, _ := json.Marshal(map[string]any{"correlation": c.ref, "data": data})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.larder.base+"/hooks/"+bulkyService+"/payment", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.larder.hooksToken)
	resp, err := client.Do(req)
	if err != nil {
		r.hookRetries.Add(1)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusNotFound: // delivered, or the case no longer runs
		c.paid = true
	default:
		r.hookRetries.Add(1) // the next sweep sends it again
	}
}
