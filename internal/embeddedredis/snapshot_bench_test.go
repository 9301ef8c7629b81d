package embeddedredis

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// drafts is how many draft-sized keys the benchmarks hold.
const drafts = 10_000

// quietServer is a started server holding drafts keys of 2 KB with a TTL,
// whose own clock and snapshot loop is stopped so the benchmark drives them.
func quietServer(b *testing.B) *Server {
	b.Helper()
	s, err := New(Config{SnapshotFile: filepath.Join(b.TempDir(), "redis.json")})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	close(s.stop)
	<-s.done
	s.stop = nil
	db, value := s.mini.DB(0), strings.Repeat("a", 2048)
	for i := range drafts {
		key := fmt.Sprintf("draft:%d:%d", i, i*7919)
		if err := db.Set(key, value); err != nil {
			b.Fatal(err)
		}
		db.SetTTL(key, 30*24*time.Hour)
	}
	return s
}

// BenchmarkSnapshot10kDrafts is one whole snapshot: read every key, encode,
// write, fsync and rename.
func BenchmarkSnapshot10kDrafts(b *testing.B) {
	s := quietServer(b)
	b.SetBytes(drafts * 2048)
	for b.Loop() {
		if err := s.save(s.advance()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCapture10kDrafts is the part of a snapshot that reads miniredis.
func BenchmarkCapture10kDrafts(b *testing.B) {
	s := quietServer(b)
	for b.Loop() {
		capture(s.mini, s.advance())
	}
}

// BenchmarkClockStep10kDrafts is one tick of the clock that counts TTLs down.
func BenchmarkClockStep10kDrafts(b *testing.B) {
	s := quietServer(b)
	for b.Loop() {
		s.advance()
	}
}

// BenchmarkStart10kDrafts is a start that loads the snapshot and writes it back.
func BenchmarkStart10kDrafts(b *testing.B) {
	s := quietServer(b)
	if err := s.save(s.advance()); err != nil {
		b.Fatal(err)
	}
	s.release()
	for b.Loop() {
		if err := s.Start(); err != nil {
			b.Fatal(err)
		}
		close(s.stop)
		<-s.done
		s.stop = nil
		if !s.mini.DB(0).Exists("draft:0:0") {
			b.Fatal("the snapshot did not load")
		}
		s.release()
	}
}
