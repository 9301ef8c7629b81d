package embeddedredis

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLifecycleIsSafeHalfBuilt(t *testing.T) {
	var none *Server
	if err := none.Close(); err != nil || none.Addr() != "" {
		t.Errorf("nil server: Close %v, Addr %q", err, none.Addr())
	}
	if _, err := New(Config{Every: -time.Second}); err == nil || !strings.Contains(err.Error(), "every must not be negative") {
		t.Errorf("New with a negative Every = %v", err)
	}
	file := filepath.Join(t.TempDir(), "redis.json")
	s := must(New(Config{SnapshotFile: file}))(t)
	if err := s.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("New or Close before Start touched %s: %v", file, err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestDatabasesThatAreNotKeptAreRefused(t *testing.T) {
	s := start(t, Config{SnapshotFile: filepath.Join(t.TempDir(), "redis.json")})
	c, ctx := connect(t, s), context.Background()
	val(t, c.Set(ctx, "k", "v", 0))
	for _, cmd := range [][]any{
		{"SELECT", "16"}, {"SELECT", "-1"}, {"MOVE", "k", "16"}, {"SWAPDB", "0", "99"},
		{"SWAPDB", "99", "0"}, {"COPY", "k", "k2", "DB", "16"},
	} {
		if err := c.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "DB index is out of range") {
			t.Errorf("%v = %v, want DB index is out of range", cmd, err)
		}
	}
	for _, cmd := range [][]any{{"MOVE", "k", "15"}, {"SWAPDB", "0", "15"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Errorf("%v = %v, want it accepted", cmd, err)
		}
	}
}

func TestScriptsAndBlockingCommandsStillWork(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	s := start(t, Config{SnapshotFile: file, Every: 50 * time.Millisecond})
	c, ctx := connect(t, s), context.Background()
	script := `redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])`
	if got := val(t, c.Eval(ctx, script, []string{"draft:1"}, "from a script")); got != "from a script" {
		t.Errorf("script returned %v", got)
	}
	popped := make(chan []string, 1)
	go func() {
		v, _ := c.BLPop(ctx, 5*time.Second, "queue").Result()
		popped <- v
	}()
	time.Sleep(100 * time.Millisecond) // let BLPOP block first
	val(t, connect(t, s).RPush(ctx, "queue", "job"))
	select {
	case v := <-popped:
		if fmt.Sprint(v) != "[queue job]" {
			t.Errorf("BLPOP = %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("BLPOP still blocked after a push")
	}
	eventually(t, 5*time.Second, "the script's write never reached the snapshot", func() bool {
		return readFile(t, file).has(0, "draft:1")
	})
}

func TestWithoutSnapshotFileKeysStillExpire(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := start(t, Config{Every: 50 * time.Millisecond})
	c, ctx := connect(t, s), context.Background()
	val(t, c.Set(ctx, "resume:abc", "case-1", 300*time.Millisecond))
	eventually(t, 5*time.Second, "resume:abc still exists", func() bool {
		return val(t, c.Exists(ctx, "resume:abc")) == 0
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("files written with no snapshot file configured: %v", names)
	}
}
