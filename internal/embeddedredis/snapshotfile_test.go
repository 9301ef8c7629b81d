package embeddedredis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSnapshotIsPrivateAndCompleteAfterEveryWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "redis.json")
	leftover := file + ".123.tmp" // from a process killed while writing
	if err := os.WriteFile(leftover, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, Config{SnapshotFile: file, Every: 50 * time.Millisecond})
	c, ctx := connect(t, s), context.Background()
	for i := range 20 {
		val(t, c.Set(ctx, fmt.Sprint("draft:", i), "answers", 0))
		readFile(t, file) // never half written
		time.Sleep(10 * time.Millisecond)
	}
	eventually(t, 5*time.Second, "draft:19 never reached the snapshot", func() bool {
		return readFile(t, file).has(0, "draft:19")
	})
	info := must(os.Stat(file))(t)
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("snapshot mode = %v, want 0600", mode)
	}
	names := must(filepath.Glob(filepath.Join(dir, "*.tmp")))(t)
	if len(names) != 0 {
		t.Errorf("temporary files left: %v", names)
	}
}

func TestSnapshotIsRewrittenOnlyWhenSomethingChanged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	s := start(t, Config{SnapshotFile: file, Every: 50 * time.Millisecond})
	c, ctx := connect(t, s), context.Background()
	first := readFile(t, file).SavedAt
	for range 10 {
		c.Get(ctx, "draft:1")
		val(t, c.Ping(ctx))
		time.Sleep(20 * time.Millisecond)
	}
	if again := readFile(t, file).SavedAt; !again.Equal(first) {
		t.Fatalf("snapshot rewritten at %v though only reads happened", again)
	}
	val(t, c.Set(ctx, "draft:1", "answers", 0))
	eventually(t, 5*time.Second, "a write never reached the snapshot", func() bool {
		return readFile(t, file).has(0, "draft:1")
	})
}

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFailedSnapshotIsReportedOnceAndRetried(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	file := filepath.Join(dir, "redis.json")
	var logs logBuffer
	s := start(t, Config{SnapshotFile: file, Every: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	c, ctx := connect(t, s), context.Background()
	if err := os.RemoveAll(dir); err != nil { // as a disk that went away
		t.Fatal(err)
	}
	val(t, c.Set(ctx, "draft:1", "answers", 0))
	eventually(t, 5*time.Second, "no error logged", func() bool {
		return strings.Contains(logs.String(), "snapshot not written")
	})
	time.Sleep(200 * time.Millisecond) // several more failed attempts
	if n := strings.Count(logs.String(), "snapshot not written"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, logs.String())
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "draft:1 never reached the snapshot", func() bool {
		snap, found, _ := readSnapshot(file)
		return found && snap.has(0, "draft:1")
	})
	eventually(t, 5*time.Second, "no recovery logged", func() bool {
		return strings.Contains(logs.String(), "snapshot written again")
	})
}

func TestKeysOfOtherTypesAreReportedAsNotKept(t *testing.T) {
	var logs logBuffer
	file := filepath.Join(t.TempDir(), "redis.json")
	s := start(t, Config{SnapshotFile: file, Every: 50 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	c, ctx := connect(t, s), context.Background()
	val(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "events", Values: []string{"a", "1"}}))
	val(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "events", Values: []string{"a", "2"}}))
	eventually(t, 5*time.Second, "stream not reported", func() bool {
		return strings.Contains(logs.String(), "not kept across restarts")
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "not kept across restarts"); n != 1 {
		t.Errorf("reported %d times, want once:\n%s", n, logs.String())
	}
}

func TestSnapshotFileIsReadable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	s := start(t, Config{SnapshotFile: file})
	c, ctx := connect(t, s), context.Background()
	val(t, c.Set(ctx, "draft:1", "<b>answers</b>", 0))
	val(t, c.Set(ctx, "draft:2", "more", 0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data := must(os.ReadFile(file))(t)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("snapshot is not one JSON document: %v", err)
	}
	for _, want := range []string{"\n" + `{"db":0,"key":"draft:1","type":"string","string":"<b>answers</b>"}`, "},\n" + `{"db":0,"key":"draft:2"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("snapshot does not hold %q, one key per line:\n%s", want, data)
		}
	}
}

func TestSecondServerOnSameSnapshotIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "redis.json")
	start(t, Config{SnapshotFile: file})
	s := must(New(Config{SnapshotFile: file}))(t)
	if err := s.Start(); err == nil || !strings.Contains(err.Error(), "in use by another larder process") {
		s.Close()
		t.Fatalf("second Start = %v, want it refused", err)
	}
}
