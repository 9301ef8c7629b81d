package embeddedredis

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// helperEnv selects a mode of the test binary run as a child by
// TestKeysSurviveSIGKILL; its value is the snapshot file.
const helperEnv = "EMBEDDEDREDIS_SIGKILL_SNAPSHOT"

// killEvery is how often the child writes its snapshot.
const killEvery = 200 * time.Millisecond

func TestMain(m *testing.M) {
	if file := os.Getenv(helperEnv); file != "" {
		writeKeysAndWait(file)
		return
	}
	os.Exit(m.Run())
}

// writeKeysAndWait is the child of TestKeysSurviveSIGKILL: it writes keys,
// says so on standard output, and waits to be killed.
func writeKeysAndWait(file string) {
	s, err := New(Config{SnapshotFile: file, Every: killEvery})
	if err == nil {
		err = s.Start()
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "draft:42", "my answers", time.Hour)
		p.HSet(ctx, "task:7", "state", "open")
		p.ZAdd(ctx, "inbox", redis.Z{Score: 7, Member: "task:7"})
		return nil
	})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("written")
	time.Sleep(30 * time.Second) // the parent kills us long before
	os.Exit(3)
}

// start runs a server on file, closed when the test ends.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// connect returns a client as Larder makes one.
func connect(t *testing.T, s *Server) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL("redis://" + s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
	}
}

// val is the value of a Redis command that must succeed.
func val[T any](t *testing.T, cmd interface{ Result() (T, error) }) T {
	t.Helper()
	v, err := cmd.Result()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// must is the value of a call that must succeed: must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// readFile returns the snapshot as saved on disk.
func readFile(t *testing.T, file string) snapshot {
	t.Helper()
	snap, found, err := readSnapshot(file)
	if err != nil || !found {
		t.Fatalf("snapshot %s: found %v, %v", file, found, err)
	}
	return snap
}

func (s snapshot) has(db int, key string) bool {
	for _, e := range s.Keys {
		if e.DB == db && e.Key == key {
			return true
		}
	}
	return false
}

func TestKeyWithTTLIsGoneAfterItExpires(t *testing.T) {
	s := start(t, Config{SnapshotFile: filepath.Join(t.TempDir(), "redis.json")})
	c, ctx := connect(t, s), context.Background()
	val(t, c.Set(ctx, "resume:abc", "case-1", 300*time.Millisecond))
	val(t, c.Set(ctx, "draft:1", "kept", 0))

	eventually(t, 5*time.Second, "resume:abc still exists", func() bool {
		return val(t, c.Exists(ctx, "resume:abc")) == 0
	})
	if got := val(t, c.Get(ctx, "draft:1")); got != "kept" {
		t.Fatalf("draft:1 = %q, want it untouched", got)
	}
}

func TestEveryTypeAndItsTTLSurviveRestart(t *testing.T) {
	cfg := Config{SnapshotFile: filepath.Join(t.TempDir(), "redis.json")}
	s := start(t, cfg)
	c, ctx := connect(t, s), context.Background()
	binary := "\xff\x00\xfe"
	val(t, c.Set(ctx, "draft:1", `{"answer":"<b>fish & chips</b>"}`, time.Hour))
	val(t, c.Set(ctx, "empty", "", 0))
	val(t, c.Set(ctx, "bin:"+binary, binary, 0))
	val(t, c.HSet(ctx, "task:1", "state", "open", "owner", "ann", "lease", "x"))
	val(t, c.HExpire(ctx, "task:1", time.Hour, "lease"))
	val(t, c.Expire(ctx, "task:1", 2*time.Hour))
	val(t, c.RPush(ctx, "queue", "a", "b", "a"))
	val(t, c.SAdd(ctx, "tags", "x", "y"))
	val(t, c.ZAdd(ctx, "inbox",
		redis.Z{Score: 1.5, Member: "task:1"},
		redis.Z{Score: math.Inf(1), Member: "last"},
		redis.Z{Score: math.Inf(-1), Member: "first"}))
	c5 := redis.NewClient(&redis.Options{Addr: s.Addr(), DB: 5})
	defer c5.Close()
	val(t, c5.Set(ctx, "in-db-5", "five", 0))
	before := val(t, c.PTTL(ctx, "draft:1"))

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := start(t, cfg)
	c, ctx = connect(t, s2), context.Background()

	if got := val(t, c.Get(ctx, "draft:1")); got != `{"answer":"<b>fish & chips</b>"}` {
		t.Errorf("draft:1 = %q", got)
	}
	if ttl := val(t, c.PTTL(ctx, "draft:1")); ttl <= 0 || ttl > before {
		t.Errorf("draft:1 TTL = %v after restart, want in (0, %v]", ttl, before)
	}
	if ttl := val(t, c.TTL(ctx, "task:1")); ttl <= time.Hour || ttl > 2*time.Hour {
		t.Errorf("task:1 TTL = %v, want about 2h", ttl)
	}
	if ttl := val(t, c.HTTL(ctx, "task:1", "lease", "state")); len(ttl) != 2 || ttl[0] <= 0 || ttl[0] > 3600 || ttl[1] != -1 {
		t.Errorf("task:1 field TTLs = %v, want lease about 3600 and state -1", ttl)
	}
	if got := val(t, c.Get(ctx, "empty")); got != "" {
		t.Errorf("empty = %q", got)
	}
	if got := val(t, c.Get(ctx, "bin:"+binary)); got != binary {
		t.Errorf("binary value = %q, want %q", got, binary)
	}
	if got := val(t, c.HGetAll(ctx, "task:1")); fmt.Sprint(got) != "map[lease:x owner:ann state:open]" {
		t.Errorf("task:1 = %v", got)
	}
	if got := val(t, c.LRange(ctx, "queue", 0, -1)); fmt.Sprint(got) != "[a b a]" {
		t.Errorf("queue = %v", got)
	}
	if got := val(t, c.SMembers(ctx, "tags")); len(got) != 2 {
		t.Errorf("tags = %v", got)
	}
	if got := val(t, c.ZRangeWithScores(ctx, "inbox", 0, -1)); fmt.Sprint(got) != "[{-Inf first} {1.5 task:1} {+Inf last}]" {
		t.Errorf("inbox = %v", got)
	}
	c5 = redis.NewClient(&redis.Options{Addr: s2.Addr(), DB: 5})
	defer c5.Close()
	if got := val(t, c5.Get(ctx, "in-db-5")); got != "five" {
		t.Errorf("db 5 in-db-5 = %q", got)
	}
}

func TestKeysSurviveSIGKILL(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), helperEnv+"="+file)
	child.Stderr = os.Stderr
	out := must(child.StdoutPipe())(t)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	lines := make(chan string)
	go func() {
		for sc := bufio.NewScanner(out); sc.Scan(); {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		if line != "written" {
			t.Fatalf("child said %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child wrote nothing in 30s")
	}

	time.Sleep(2 * killEvery)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if ws := child.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL", child.ProcessState)
	}

	s := start(t, Config{SnapshotFile: file})
	c, ctx := connect(t, s), context.Background()
	if got := val(t, c.Get(ctx, "draft:42")); got != "my answers" {
		t.Errorf("draft:42 = %q", got)
	}
	if ttl := val(t, c.TTL(ctx, "draft:42")); ttl <= 0 || ttl > time.Hour {
		t.Errorf("draft:42 TTL = %v, want under an hour", ttl)
	}
	if got := val(t, c.HGet(ctx, "task:7", "state")); got != "open" {
		t.Errorf("task:7 state = %q", got)
	}
	if got := val(t, c.ZScore(ctx, "inbox", "task:7")); got != 7 {
		t.Errorf("inbox task:7 score = %v", got)
	}
}

func TestKeyThatExpiredWhileDownIsGone(t *testing.T) {
	cfg := Config{SnapshotFile: filepath.Join(t.TempDir(), "redis.json")}
	s := start(t, cfg)
	c, ctx := connect(t, s), context.Background()
	// Long enough to be in the final snapshot on a slow machine; short
	// enough to run out while the server is down.
	val(t, c.Set(ctx, "resume:soon", "case-1", 3*time.Second))
	val(t, c.HSet(ctx, "task:1", "state", "open", "lease", "x"))
	val(t, c.HExpire(ctx, "task:1", 3*time.Second, "lease"))
	val(t, c.Set(ctx, "resume:later", "case-2", time.Hour))
	written := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if snap := readFile(t, cfg.SnapshotFile); !snap.has(0, "resume:soon") {
		t.Fatal("resume:soon is not in the snapshot written at Close")
	}

	time.Sleep(time.Until(written.Add(3500 * time.Millisecond)))
	s2 := start(t, cfg)
	c, ctx = connect(t, s2), context.Background()
	if n := val(t, c.Exists(ctx, "resume:soon")); n != 0 {
		t.Errorf("resume:soon came back after its time ran out while the server was down")
	}
	if got := val(t, c.HKeys(ctx, "task:1")); fmt.Sprint(got) != "[state]" {
		t.Errorf("task:1 fields = %v, want the expired lease gone", got)
	}
	if n := val(t, c.Exists(ctx, "resume:later")); n != 1 {
		t.Errorf("resume:later is gone, want it kept")
	}
}

func TestDamagedSnapshotIsRefused(t *testing.T) {
	valid := `{"version":1,"saved_at":"2026-01-01T00:00:00Z","keys":[{"db":0,"key":"k","type":"string","string":"v"}]}`
	for _, tc := range []struct{ name, content, says string }{
		{"not json", "garbage{", "invalid character"},
		{"cut short", valid[:len(valid)/2], "unexpected EOF"},
		{"data after the end", valid + "{}", "data after the end"},
		{"unknown field", `{"version":1,"keys":[],"extra":1}`, `unknown field "extra"`},
		{"no version", `{"keys":[]}`, "format version 0"},
		{"newer format", `{"version":2,"keys":[]}`, "format version 2"},
		{"unknown type", `{"version":1,"keys":[{"db":0,"key":"k","type":"stream"}]}`, `type "stream" is not one of`},
		{"db out of range", `{"version":1,"keys":[{"db":16,"key":"k","type":"string"}]}`, "db 16 is not between 0 and 15"},
		{"key twice", `{"version":1,"keys":[{"db":0,"key":"k","type":"string"},{"db":0,"key":"k","type":"string"}]}`, `key "k" appears twice in db 0`},
		{"bad base64", `{"version":1,"keys":[{"db":0,"key":"!!","type":"string","base64":true}]}`, "is not base64"},
		{"bad score", `{"version":1,"keys":[{"db":0,"key":"z","type":"zset","zset":[{"member":"m","score":"lots"}]}]}`, `score "lots" is not a number`},
		{"empty hash", `{"version":1,"keys":[{"db":0,"key":"h","type":"hash"}]}`, "a hash with no fields"},
		{"empty list", `{"version":1,"keys":[{"db":0,"key":"l","type":"list"}]}`, "a list with no items"},
		{"empty set", `{"version":1,"keys":[{"db":0,"key":"s","type":"set"}]}`, "a set with no members"},
		{"empty sorted set", `{"version":1,"keys":[{"db":0,"key":"z","type":"zset"}]}`, "a sorted set with no members"},
		{"expiry of a missing field", `{"version":1,"keys":[{"db":0,"key":"h","type":"hash","hash":{"a":"1"},"field_expires_at":{"b":"2999-01-01T00:00:00Z"}}]}`, `names field "b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "redis.json")
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := must(New(Config{SnapshotFile: file}))(t)
			err := s.Start()
			if err == nil {
				s.Close()
				t.Fatal("Start accepted a damaged snapshot")
			}
			for _, want := range []string{file + " is damaged", tc.says, "move it aside"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if s.Addr() != "" {
				t.Errorf("Addr() = %q after a failed Start", s.Addr())
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close after a failed Start: %v", err)
			}
			if got, _ := os.ReadFile(file); string(got) != tc.content {
				t.Errorf("the damaged snapshot was changed to %q; it must be left for the operator", got)
			}
		})
	}
}

func TestUnreadableSnapshotIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	if err := os.Mkdir(file, 0o700); err != nil { // reading a folder fails for root too
		t.Fatal(err)
	}
	s := must(New(Config{SnapshotFile: file}))(t)
	err := s.Start()
	if err == nil || !strings.Contains(err.Error(), "cannot read snapshot "+file) || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("Start = %v, want an error naming %s and what to do", err, file)
	}
}
