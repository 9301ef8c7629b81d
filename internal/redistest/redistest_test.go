package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestNewGivesEachTestAWorkingClientAndItsOwnPrefix(t *testing.T) {
	ctx := context.Background()
	a, b := New(t), New(t)
	if a.Prefix == b.Prefix {
		t.Fatalf("two calls gave the same prefix %q", a.Prefix)
	}
	for _, db := range []*DB{a, b} {
		if !strings.HasPrefix(db.Prefix, "larder-test:") || !strings.HasSuffix(db.Prefix, ":") || strings.ContainsAny(db.Prefix, "*?[]\\") {
			t.Errorf("prefix %q: want larder-test:<random>: with no glob characters", db.Prefix)
		}
		if err := db.Client.Set(ctx, db.Key("greeting"), db.Prefix, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Client.Get(ctx, a.Key("greeting")).Val(); got != a.Prefix {
		t.Errorf("GET %s = %q, want %q", a.Key("greeting"), got, a.Prefix)
	}
	if a.Key("x") != a.Prefix+"x" {
		t.Errorf("Key(x) = %q", a.Key("x"))
	}
}

func TestURLReachesTheSameRedis(t *testing.T) {
	ctx := context.Background()
	db := New(t)
	opts, err := redis.ParseURL(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	other := redis.NewClient(opts)
	defer other.Close()
	other.Set(ctx, db.Key("from-url"), "yes", 0)
	if got := db.Client.Get(ctx, db.Key("from-url")).Val(); got != "yes" {
		t.Errorf("a client of db.URL wrote a key the test's client cannot read (got %q)", got)
	}
}

func TestEndOfTestDeletesItsKeysAndNoOthers(t *testing.T) {
	ctx := context.Background()
	outer := New(t)
	outer.Client.Set(ctx, outer.Key("keep"), "1", 0)

	var inner *DB
	t.Run("writes", func(t *testing.T) {
		inner = New(t)
		pipe := inner.Client.Pipeline()
		for i := range 2500 { // more than one SCAN page
			pipe.Set(ctx, inner.Key(fmt.Sprint("k", i)), i, 0)
		}
		pipe.HSet(ctx, inner.Key("hash"), "f", "v")
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	})

	if left := outer.Client.Keys(ctx, inner.Prefix+"*").Val(); len(left) > 0 {
		t.Errorf("%d of the subtest's keys survived it, e.g. %s", len(left), left[0])
	}
	if outer.Client.Exists(ctx, outer.Key("keep")).Val() != 1 {
		t.Error("the subtest's cleanup deleted a key outside its prefix")
	}
	if err := inner.Client.Ping(ctx).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("the subtest's client after it ended: ping says %v, want %v", err, redis.ErrClosed)
	}
}

// recorder keeps what a test logs.
type recorder struct {
	testing.TB
	logs []string
}

func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
	r.TB.Logf(format, args...)
}

func TestNewSaysWhichRedisInOneLogLine(t *testing.T) {
	r := &recorder{TB: t}
	db := New(r)
	if len(r.logs) != 1 {
		t.Fatalf("logged %d lines, want 1: %q", len(r.logs), r.logs)
	}
	want := "miniredis"
	if db.Real {
		want = "Redis at "
	}
	if line := r.logs[0]; !strings.Contains(line, want) || !strings.Contains(line, db.Prefix) {
		t.Errorf("log line %q should name the Redis (%q) and the prefix %q", line, want, db.Prefix)
	}
}

func TestPickUsesARedisThatAnswers(t *testing.T) {
	running := miniredis.RunT(t) // stands in for the machine's Redis
	url := "redis://" + running.Addr() + "/15"
	s, err := pick(url, true)
	if err != nil {
		t.Fatal(err)
	}
	if !s.real || s.url != url || s.mini != nil {
		t.Errorf("pick(%s) = %+v, want that Redis", url, s)
	}
}

// silentAddress is a local address nothing listens on.
func silentAddress(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestPickFallsBackToMiniredisWhenTheDefaultIsSilent(t *testing.T) {
	url := "redis://" + silentAddress(t) + "/15"
	s, err := pick(url, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.mini.Close()
	if s.real || s.mini == nil || !strings.Contains(s.about, "miniredis") || !strings.Contains(s.about, url) {
		t.Fatalf("pick(%s) = %+v, want a miniredis saying no Redis answered at %s", url, s, url)
	}
	opts, err := redis.ParseURL(s.url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Errorf("the fallback miniredis at %s does not answer: %v", s.url, err)
	}
}

func TestPickFailsWhenTheSetURLIsSilentWithoutShowingItsPassword(t *testing.T) {
	url := "redis://:hunter2@" + silentAddress(t) + "/15"
	_, err := pick(url, true)
	if err == nil {
		t.Fatal("a Redis named in LARDER_TEST_REDIS_URL that does not answer should fail the tests, not fall back")
	}
	msg := err.Error()
	if !strings.Contains(msg, URLVariable) || !strings.Contains(msg, "unset") {
		t.Errorf("error %q should name %s and say how to fall back", msg, URLVariable)
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error %q shows the password", msg)
	}
}

func TestPickGivesUpOnAMuteServerWithinItsTimeout(t *testing.T) {
	// A listener that accepts connections and never replies, like a
	// firewalled or hung Redis.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	s, err := pick("redis://"+l.Addr().String()+"/15", false)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	defer s.mini.Close()
	if s.real {
		t.Error("a server that never answers PING was taken for Redis")
	}
	if took > pingTimeout+700*time.Millisecond {
		t.Errorf("deciding took %v; the PING should give up after %v", took, pingTimeout)
	}
}

func TestFastForwardExpiresKeysOnEitherRedis(t *testing.T) {
	ctx := context.Background()
	db := New(t)
	db.Client.Set(ctx, db.Key("soon"), "1", time.Second)
	db.Client.Set(ctx, db.Key("later"), "1", time.Hour)
	db.FastForward(1100 * time.Millisecond)
	if db.Client.Exists(ctx, db.Key("soon")).Val() != 0 {
		t.Error("a key with a one-second TTL is still there after FastForward(1.1s)")
	}
	if db.Client.Exists(ctx, db.Key("later")).Val() != 1 {
		t.Error("a key with an hour's TTL went after FastForward(1.1s)")
	}
}
