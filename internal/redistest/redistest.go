// Package redistest gives each test a Redis of its own: a go-redis client and
// a key prefix no other test uses, on the machine's Redis when it answers and
// on an in-process miniredis when it does not, with the test's keys deleted
// when the test ends. Every test that talks to Redis gets its Redis here.
//
// The machine's Redis is LARDER_TEST_REDIS_URL, by default
// redis://127.0.0.1:6379/15. It is asked once per test binary, with a PING
// that may take 300ms. When the variable is unset and nothing answers, the
// binary's tests share one miniredis and say so; when the variable is set
// and nothing answers, every test fails, since whoever set it expected that
// Redis to be there.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// URLVariable names the environment variable that points tests at a real
// Redis.
const URLVariable = "LARDER_TEST_REDIS_URL"

// DefaultURL is the Redis asked when URLVariable is unset: the machine's
// own, on a database Larder's servers do not use.
const DefaultURL = "redis://127.0.0.1:6379/15"

// pingTimeout bounds the one PING that decides between a real Redis and
// miniredis, so a machine without Redis costs a test binary no more.
const pingTimeout = 300 * time.Millisecond

// DB is one test's Redis.
type DB struct {
	// Client talks to the Redis; it is closed when the test ends.
	Client *redis.Client
	// Prefix starts every key the test writes, such as
	// "larder-test:3f9c0a1b2c4d5e6f:"; keys under it are deleted when the
	// test ends.
	Prefix string
	// URL is where the Redis listens, for code under test that takes a
	// Redis URL rather than a client.
	URL string
	// Real is true on the machine's Redis, false on miniredis.
	Real bool
}

// Key returns name under the test's prefix.
func (db *DB) Key(name string) string { return db.Prefix + name }

// FastForward lets d pass for the keys' time to live: on miniredis, which
// counts TTLs down only when told, it moves every key of the binary's
// miniredis on by d (tests that run in parallel see theirs move too); on a
// real Redis it sleeps for d.
func (db *DB) FastForward(d time.Duration) {
	if shared.mini != nil && !db.Real {
		shared.mini.FastForward(d)
		return
	}
	time.Sleep(d)
}

// server is the Redis a test binary's tests share.
type server struct {
	url   string
	real  bool
	about string // for the log line: which Redis, and why
	mini  *miniredis.Miniredis
}

var (
	once    sync.Once
	shared  server
	pickErr error
)

// New returns a client of the test binary's Redis and a prefix for this
// test's keys, logs which Redis it is, and deletes the test's keys and
// closes the client when the test ends.
func New(t testing.TB) *DB {
	t.Helper()
	once.Do(func() {
		raw, set := os.LookupEnv(URLVariable)
		if raw == "" {
			raw, set = DefaultURL, false
		}
		shared, pickErr = pick(raw, set)
		if pickErr == nil && !shared.real {
			fmt.Fprintf(os.Stderr, "redistest: %s; start redis-server to test against a real Redis\n", shared.about)
		}
	})
	if pickErr != nil {
		t.Fatalf("redistest: %v", pickErr)
	}
	opts, err := redis.ParseURL(shared.url)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	db := &DB{Client: redis.NewClient(opts), Prefix: "larder-test:" + randomHex(8) + ":", URL: shared.url, Real: shared.real}
	t.Logf("redistest: %s, keys under %s", shared.about, db.Prefix)
	t.Cleanup(func() {
		defer db.Client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := deleteKeys(ctx, db.Client, db.Prefix); err != nil {
			t.Errorf("redistest: deleting the test's keys under %s: %v", db.Prefix, err)
		}
	})
	return db
}

// pick decides which Redis a test binary uses: the one at raw when it
// answers a PING within pingTimeout, else, unless raw was set explicitly,
// a new miniredis.
func pick(raw string, explicit bool) (server, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return server{}, fmt.Errorf("%s=%s: %w", URLVariable, raw, err)
	}
	shown := redacted(raw)
	pingErr := ping(opts)
	if pingErr == nil {
		return server{url: raw, real: true, about: "Redis at " + shown}, nil
	}
	if explicit {
		return server{}, fmt.Errorf("%s=%s does not answer (%v): start that Redis, or unset %s to use an in-process miniredis", URLVariable, shown, pingErr, URLVariable)
	}
	mini, err := miniredis.Run()
	if err != nil {
		return server{}, fmt.Errorf("no Redis at %s (%v), and miniredis would not start: %w", shown, pingErr, err)
	}
	return server{
		url:   "redis://" + mini.Addr() + "/0",
		about: fmt.Sprintf("in-process miniredis, since no Redis answered at %s", shown),
		mini:  mini,
	}, nil
}

// ping asks the Redis opts names for a PONG, all in pingTimeout: one dial
// (made first, so that go-redis logs no failed dials), one PING, no retries.
func ping(opts *redis.Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, opts.Network, opts.Addr)
	if err != nil {
		return err
	}
	conn.Close()
	o := *opts
	o.ContextTimeoutEnabled = true
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = pingTimeout, pingTimeout, pingTimeout
	o.MaxRetries, o.DialerRetries = -1, 1
	c := redis.NewClient(&o)
	defer c.Close()
	return c.Ping(ctx).Err()
}

// deleteKeys deletes every key starting with prefix, which holds no glob
// characters.
func deleteKeys(ctx context.Context, c *redis.Client, prefix string) error {
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// redacted is raw with any password masked, for logs.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails, says crypto/rand
	return hex.EncodeToString(b)
}
