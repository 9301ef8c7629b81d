// Package intake answers a resident's submission before Temporal has
// started its case. A submission is written to a journal on disk (bbolt,
// synced before the answer; concurrent submissions share one sync) and the
// resident gets their reference at once; a starter then starts the cases
// in the journal as fast as Temporal takes them, and a case leaves the
// journal only once Temporal has it. So a burst of submissions never
// queues behind case work, a Temporal outage does not turn residents
// away, and a crash or restart loses nothing: what the journal holds is
// started when Larder next runs, and a case started twice is found as
// the same case by its reference and the hash of its answers.
//
// Until its case starts, a submission's progress is "received"
// (workflows.StatusReceived). The journal belongs to one process: more
// than one web process each keep their own, or start cases directly.
package intake

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// MaxPending is how many submissions the journal holds before it turns
// new ones away (ErrFull): hours of submissions for a council while
// Temporal is down, a bounded disk.
const MaxPending = 100_000

// ErrFull means the journal holds MaxPending submissions.
var ErrFull = errors.New("intake: the journal is full; cases are not starting")

// keyLife is how long the journal remembers the hash of the answers a
// keyed submission brought, so a repeat finds its reference without
// asking Temporal: two key days (see cases.KeyReferences).
const keyLife = 48 * time.Hour

// Buckets of the journal.
var (
	// pendingBucket holds entries by sequence number, oldest first.
	pendingBucket = []byte("pending")
	// keysBucket holds, by reference, the keyed submissions of the last
	// keyLife: their answers' hash and when they came.
	keysBucket = []byte("keys")
	// recipesBucket holds the recipe snapshots pending entries answered,
	// by the SHA-256 of their JSON, each once.
	recipesBucket = []byte("recipes")
)

// entry is a submission in the journal.
type entry struct {
	Reference   string            `json:"reference"`
	Recipe      string            `json:"recipe"` // key in recipesBucket
	Answers     map[string]any    `json:"answers"`
	SubmittedAt time.Time         `json:"submitted_at"`
	Hash        string            `json:"hash"`
	Keyed       bool              `json:"keyed,omitempty"`
	Trace       map[string]string `json:"trace,omitempty"` // the request's trace context
}

// keyRecord is what keysBucket holds for a keyed submission.
type keyRecord struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// pending is what the process remembers of an entry, to show its progress.
type pending struct {
	seq         uint64
	service     string
	version     string
	submittedAt time.Time
}

// Intake takes submissions into the journal and starts their cases; Open
// one, then Run its starter.
type Intake struct {
	cases *cases.Client
	db    *bolt.DB
	log   *slog.Logger
	now   func() time.Time
	max   int // MaxPending, but for tests

	mu        sync.Mutex
	pending   map[string]pending        // by reference
	recipes   map[string]*recipe.Recipe // decoded snapshots, by key
	snapshots map[*recipe.Recipe]snapshotOf
	wake      chan struct{}
}

// Open opens (or creates) the journal file at path, for cases started
// through c. A second process cannot open the same file.
func Open(path string, c *cases.Client, log *slog.Logger) (*Intake, error) {
	// The free page list is not written at each commit (one write fewer
	// while a resident waits); it is rebuilt when the file is opened.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("intake journal %s is open in another larder: give each web process its own data_dir, or set intake: direct", path)
	}
	if err != nil {
		return nil, fmt.Errorf("intake journal %s: %w", path, err)
	}
	// Submissions arriving within 2 ms share one sync; a resident never
	// waits longer than that for company.
	db.MaxBatchDelay = 2 * time.Millisecond
	in := &Intake{cases: c, db: db, log: log, now: time.Now, max: MaxPending, pending: map[string]pending{},
		recipes: map[string]*recipe.Recipe{}, snapshots: map[*recipe.Recipe]snapshotOf{}, wake: make(chan struct{}, 1)}
	if err := in.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("intake journal %s: %w", path, err)
	}
	pendingGauge.Add(float64(len(in.pending)))
	if n := len(in.pending); n > 0 {
		log.Info("intake journal holds submissions whose cases have not started; starting them", "count", n)
	}
	return in, nil
}

// load creates the buckets and reads what is pending.
func (in *Intake) load() error {
	return in.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{pendingBucket, keysBucket, recipesBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return tx.Bucket(pendingBucket).ForEach(func(k, v []byte) error {
			var e entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("entry %x: %w", k, err)
			}
			r, err := in.recipe(tx, e.Recipe)
			if err != nil {
				return err
			}
			in.pending[e.Reference] = pending{seq: seqOf(k), service: r.ID,
				version: r.Version + "+" + r.Hash, submittedAt: e.SubmittedAt}
			return nil
		})
	})
}

// Close closes the journal; run no starter after.
func (in *Intake) Close() error {
	pendingGauge.Sub(float64(in.Pending()))
	return in.db.Close()
}

// Pending is how many submissions wait for their cases to start.
func (in *Intake) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.pending)
}

// Start takes a submission of recipe r with validated answers into the
// journal and returns its reference, as cases.Client.Start does (the
// same references, the same answer to a repeated idempotency key, the
// same ErrKeyReused), without waiting for Temporal.
func (in *Intake) Start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error) {
	hash, err := cases.AnswersHash(answers)
	if err != nil {
		return "", err
	}
	snap, err := in.snapshot(r)
	if err != nil {
		return "", err
	}
	now := in.now()
	e := entry{Recipe: snap.key, Answers: answers, SubmittedAt: now.UTC(), Hash: hash,
		Keyed: idempotencyKey != "", Trace: map[string]string{}}
	otel.GetTextMapPropagator().Inject(ctx, propagation.MapCarrier(e.Trace))
	if e.Keyed {
		e.Reference, _ = in.cases.KeyReferences(r, idempotencyKey, now)
	} else if e.Reference = in.cases.NewReference(r, ""); in.isPending(e.Reference) {
		e.Reference = in.cases.NewReference(r, "")
	}
	p := pending{service: r.ID, version: r.Version + "+" + r.Hash, submittedAt: e.SubmittedAt}
	var found string // the reference an earlier submission with the key got
	var refused error
	err = in.db.Batch(func(tx *bolt.Tx) error {
		// Batch may run this more than once: it sets, never appends. A
		// refusal is no error to Batch, which would run the others again.
		found, refused = "", nil
		if in.Pending() >= in.max {
			refused = ErrFull
			return nil
		}
		if e.Keyed {
			_, yesterday := in.cases.KeyReferences(r, idempotencyKey, now)
			for _, ref := range []string{yesterday, e.Reference} {
				if rec, ok := keyOf(tx, ref); ok {
					found = ref
					if rec.Hash != hash {
						refused = cases.ErrKeyReused
					}
					return nil
				}
			}
		}
		var err error
		if p.seq, err = put(tx, e, snap.json, now); err != nil {
			return err
		}
		// Known before the starter can see the entry, which it cannot
		// until this commits.
		in.mu.Lock()
		in.pending[e.Reference] = p
		in.mu.Unlock()
		return nil
	})
	switch {
	case err != nil:
		in.mu.Lock()
		if got, ok := in.pending[e.Reference]; ok && got.seq == p.seq {
			delete(in.pending, e.Reference)
		}
		in.mu.Unlock()
		return "", fmt.Errorf("intake: %w", err)
	case refused != nil:
		return "", refused
	case found != "":
		return found, nil
	}
	pendingGauge.Inc()
	in.poke()
	return e.Reference, nil
}

// snapshotOf is a recipe as the journal keeps it: its JSON, under the
// SHA-256 of that.
type snapshotOf struct {
	key  string
	json []byte
}

// snapshot is r as the journal keeps it, encoded once per recipe loaded.
func (in *Intake) snapshot(r *recipe.Recipe) (snapshotOf, error) {
	in.mu.Lock()
	snap, ok := in.snapshots[r]
	in.mu.Unlock()
	if ok {
		return snap, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return snap, fmt.Errorf("intake: recipe %s: %w", r.ID, err)
	}
	sum := sha256.Sum256(b)
	snap = snapshotOf{key: hex.EncodeToString(sum[:]), json: b}
	in.mu.Lock()
	in.snapshots[r] = snap
	in.mu.Unlock()
	return snap, nil
}

// put writes e (answering the recipe snapshot) and, keyed, its key
// record, and returns its sequence number.
func put(tx *bolt.Tx, e entry, snapshot []byte, now time.Time) (uint64, error) {
	recipes := tx.Bucket(recipesBucket)
	if recipes.Get([]byte(e.Recipe)) == nil {
		if err := recipes.Put([]byte(e.Recipe), snapshot); err != nil {
			return 0, err
		}
	}
	if e.Keyed {
		rec, _ := json.Marshal(keyRecord{Hash: e.Hash, At: now.UTC()})
		if err := tx.Bucket(keysBucket).Put([]byte(e.Reference), rec); err != nil {
			return 0, err
		}
	}
	b := tx.Bucket(pendingBucket)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("intake: answers: %w", err)
	}
	return seq, b.Put(seqKey(seq), v)
}

// keyOf is the key record for ref, if the journal remembers one.
func keyOf(tx *bolt.Tx, ref string) (keyRecord, bool) {
	var rec keyRecord
	v := tx.Bucket(keysBucket).Get([]byte(ref))
	return rec, v != nil && json.Unmarshal(v, &rec) == nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

func (in *Intake) isPending(ref string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	_, ok := in.pending[ref]
	return ok
}

// poke wakes the starter.
func (in *Intake) poke() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// View is the case's progress: "received" while the submission waits in
// the journal, then what the case client shows.
func (in *Intake) View(ctx context.Context, ref string) (workflows.CaseView, error) {
	in.mu.Lock()
	p, ok := in.pending[ref]
	in.mu.Unlock()
	if !ok {
		return in.cases.View(ctx, ref)
	}
	return workflows.CaseView{
		Reference: ref, Service: p.service, RecipeVersion: p.version, Status: workflows.StatusReceived,
		CurrentSteps: []string{},
		Timeline:     []workflows.Event{{At: p.submittedAt, Kind: "submitted", Note: "Submitted"}},
	}, nil
}

// recipe is the snapshot under key, decoded once.
func (in *Intake) recipe(tx *bolt.Tx, key string) (*recipe.Recipe, error) {
	in.mu.Lock()
	r := in.recipes[key]
	in.mu.Unlock()
	if r != nil {
		return r, nil
	}
	v := tx.Bucket(recipesBucket).Get([]byte(key))
	if v == nil {
		return nil, fmt.Errorf("recipe snapshot %s is missing", key)
	}
	r = new(recipe.Recipe)
	if err := json.Unmarshal(v, r); err != nil {
		return nil, fmt.Errorf("recipe snapshot %s: %w", key, err)
	}
	in.mu.Lock()
	in.recipes[key] = r
	in.mu.Unlock()
	return r, nil
}
