package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

const (
	// starters is how many cases the starter starts at once. Two keep up
	// with 50 submissions a second on PostgreSQL and start cases as fast
	// as SQLite takes them; eight started them in bursts that lengthened
	// a resident's wait for the 201 on PostgreSQL (larder bench submit:
	// p99 62 ms in one run, against 24 ms with two).
	starters = 2
	// round is the most entries one pass over the journal hands out.
	round = 256
	// maxBackoff is the longest a submission whose start failed waits
	// before it is tried again.
	maxBackoff = 30 * time.Second
	// startTimeout bounds one start.
	startTimeout = 30 * time.Second
	// logEvery is how often failing starts are logged.
	logEvery = 10 * time.Second
	// forgetEvery is how often started entries leave the journal, together
	// in one write, so submissions seldom wait behind one. An entry whose
	// case started but which was not yet forgotten when Larder stopped is
	// started again at the next start, and found started.
	forgetEvery = 200 * time.Millisecond
)

// job is one entry handed to a starter.
type job struct {
	seq   uint64
	value []byte
}

// starterState is what the starter remembers between passes.
type starterState struct {
	busy     map[uint64]bool // being started, or started and not yet forgotten
	failures map[uint64]int
	retryAt  map[uint64]time.Time
	logged   time.Time
	started  []uint64 // started, to be forgotten
}

// Run starts the cases of the journal's submissions, oldest first, until
// ctx ends; a failed start is tried again, waiting longer each time.
func (in *Intake) Run(ctx context.Context) {
	st := &starterState{busy: map[uint64]bool{}, failures: map[uint64]int{}, retryAt: map[uint64]time.Time{}}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range starters {
		wg.Go(func() {
			for j := range jobs {
				in.start(ctx, st, j)
			}
		})
	}
	wg.Go(func() { in.forgetEvery(ctx, st) })
	defer wg.Wait()
	defer close(jobs)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		if time.Since(lastPrune) > time.Hour {
			in.prune()
			lastPrune = time.Now()
		}
		full, err := in.dispatch(ctx, st, jobs)
		if err != nil {
			in.log.Error("intake journal unreadable", "err", err)
		}
		if full {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-in.wake:
		case <-tick.C:
		}
	}
}

// dispatch hands out up to a round of entries that are neither being
// started nor waiting to be tried again; full means there may be more.
func (in *Intake) dispatch(ctx context.Context, st *starterState, jobs chan<- job) (full bool, err error) {
	var ready []job
	now := time.Now()
	err = in.db.View(func(tx *bolt.Tx) error {
		in.mu.Lock()
		defer in.mu.Unlock()
		c := tx.Bucket(pendingBucket).Cursor()
		for k, v := c.First(); k != nil && len(ready) < round; k, v = c.Next() {
			seq := seqOf(k)
			if st.busy[seq] || now.Before(st.retryAt[seq]) {
				continue
			}
			st.busy[seq] = true
			ready = append(ready, job{seq: seq, value: append([]byte(nil), v...)})
		}
		return nil
	})
	for i, j := range ready {
		select {
		case jobs <- j:
		case <-ctx.Done():
			in.mu.Lock()
			for _, j := range ready[i:] {
				delete(st.busy, j.seq)
			}
			in.mu.Unlock()
			return false, err
		}
	}
	return len(ready) == round, err
}

// start starts one entry's case and, once Temporal has it, removes the
// entry from the journal.
func (in *Intake) start(ctx context.Context, st *starterState, j job) {
	e, err := in.startEntry(ctx, j)
	in.mu.Lock()
	defer in.mu.Unlock()
	if err == nil {
		delete(st.failures, j.seq)
		delete(st.retryAt, j.seq)
		st.started = append(st.started, j.seq)
		if p, ok := in.pending[e.Reference]; ok && p.seq == j.seq {
			delete(in.pending, e.Reference)
			pendingGauge.Dec()
		}
		waitSeconds.Observe(time.Since(e.SubmittedAt).Seconds())
		return
	}
	delete(st.busy, j.seq)
	st.failures[j.seq]++
	st.retryAt[j.seq] = time.Now().Add(min(maxBackoff, time.Second<<min(st.failures[j.seq]-1, 5)))
	if time.Since(st.logged) >= logEvery && ctx.Err() == nil {
		st.logged = time.Now()
		in.log.Warn("cases not starting; their submissions wait in the intake journal", "pending", len(in.pending), "err", err)
	}
}

// startEntry starts the case of the entry j and gives the entry.
func (in *Intake) startEntry(ctx context.Context, j job) (entry, error) {
	var e entry
	if err := json.Unmarshal(j.value, &e); err != nil {
		return e, fmt.Errorf("entry %d: %w", j.seq, err)
	}
	var r *recipe.Recipe
	if err := in.db.View(func(tx *bolt.Tx) (err error) {
		r, err = in.recipe(tx, e.Recipe)
		return err
	}); err != nil {
		return e, err
	}
	// The case's start joins the trace of the request that submitted it.
	sctx := otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(e.Trace))
	sctx, cancel := context.WithTimeout(sctx, startTimeout)
	defer cancel()
	err := in.cases.StartSubmission(sctx, cases.Submission{Reference: e.Reference, Recipe: r, Answers: e.Answers,
		SubmittedAt: e.SubmittedAt, Hash: e.Hash, Keyed: e.Keyed})
	if errors.Is(err, cases.ErrReferenceTaken) || errors.Is(err, cases.ErrKeyReused) {
		return e, in.redraw(j.seq, e, r)
	}
	return e, err
}

// redraw gives the entry a new random reference, because its own names
// another case (a random reference drawn twice, or a key used elsewhere
// with other answers): the answers still become a case, whose emails
// carry the new reference. It returns an error so the entry is tried again.
func (in *Intake) redraw(seq uint64, e entry, r *recipe.Recipe) error {
	old := e.Reference
	e.Reference, e.Keyed = in.cases.NewReference(r, ""), false
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := in.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(pendingBucket).Put(seqKey(seq), v) }); err != nil {
		return fmt.Errorf("intake: %w", err)
	}
	in.mu.Lock()
	p := in.pending[old]
	delete(in.pending, old)
	in.pending[e.Reference] = p
	in.mu.Unlock()
	in.log.Warn("submission's reference names another case; it starts under a new one", "reference", old, "new_reference", e.Reference)
	return fmt.Errorf("reference %s taken; now %s", old, e.Reference)
}

// forgetEvery removes started entries from the journal every
// forgetEvery until ctx ends, and once more then.
func (in *Intake) forgetEvery(ctx context.Context, st *starterState) {
	tick := time.NewTicker(forgetEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			in.forget(st)
			return
		case <-tick.C:
			in.forget(st)
		}
	}
}

// forget removes the started entries; once nothing is pending, the
// recipe snapshots go too.
func (in *Intake) forget(st *starterState) {
	in.mu.Lock()
	seqs := st.started
	st.started = nil
	in.mu.Unlock()
	if len(seqs) == 0 {
		return
	}
	err := in.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(pendingBucket)
		for _, seq := range seqs {
			if err := b.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		if k, _ := b.Cursor().First(); k != nil {
			return nil
		}
		if err := tx.DeleteBucket(recipesBucket); err != nil {
			return err
		}
		_, err := tx.CreateBucket(recipesBucket)
		return err
	})
	in.mu.Lock()
	defer in.mu.Unlock()
	if err != nil {
		// Their cases have started: tried again, they are found started.
		in.log.Warn("intake journal: started submissions not forgotten", "err", err)
		st.started = append(st.started, seqs...)
		return
	}
	for _, seq := range seqs {
		delete(st.busy, seq)
	}
}

// prune forgets keyed submissions older than keyLife.
func (in *Intake) prune() {
	cutoff := in.now().Add(-keyLife)
	err := in.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(keysBucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var rec keyRecord
			if json.Unmarshal(v, &rec) != nil || rec.At.Before(cutoff) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		in.log.Warn("intake journal: old keys not forgotten", "err", err)
	}
}

// Drain waits up to timeout for the journal to empty.
func (in *Intake) Drain(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for in.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := in.Pending(); n > 0 {
		in.log.Info("submissions wait in the intake journal; their cases start when larder next runs", "count", n)
	}
}
