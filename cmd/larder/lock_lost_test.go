package main

import (
	"context"
	"database/sql"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/redistest"
)

// TestServeOnPostgresStopsWhenAnotherTookItsDatabase: `larder serve` on
// PostgreSQL whose lock's connection is cut (PostgreSQL restarted, the
// network dropped) finds another process took the database meanwhile, and
// exits with an error instead of running beside it.
func TestServeOnPostgresStopsWhenAnotherTookItsDatabase(t *testing.T) {
	clearEnv(t)
	url, name := postgresForTest(t, "larder_lock_")
	db := redistest.New(t)
	log := &processLog{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() {
		exited <- larderUntil(ctx, []string{"serve", "--data-dir", t.TempDir(), "--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0",
			"--redis-url", db.URL, "--redis-key-prefix", db.Prefix, "--temporal-embedded-address", "127.0.0.1:0", "--temporal-database", url}, io.Discard, log)
	}()
	defer func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); !started.MatchString(log.String()); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("larder serve did not start within 60s:\n%s", log)
		}
	}

	admin, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/"+name+"?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	other, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Cut larder's connection and take its lock; should larder take it
	// again first, in the moment between, cut again.
	for attempt := 1; ; attempt++ {
		var pid int
		var key int64
		if err := other.QueryRowContext(context.Background(), `SELECT pid, (classid::bigint << 32) | objid::bigint FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = $1)`, name).Scan(&pid, &key); err != nil {
			t.Fatalf("finding larder's lock on %s: %v", name, err)
		}
		var ended, got bool
		if err := other.QueryRowContext(context.Background(), `SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ended); err != nil || !ended {
			t.Fatalf("cutting the lock's connection: %v %v", ended, err)
		}
		if err := other.QueryRowContext(context.Background(), `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got {
			break
		}
		if attempt == 5 {
			t.Fatal("larder took its lock again before another process could, five times over")
		}
	}

	select {
	case code := <-exited:
		exited <- code
		if code != 1 || !strings.Contains(log.String(), "another larder process took") || strings.Contains(log.String(), "pg-secret-never-logged") {
			t.Errorf("larder serve exited %d, want 1 saying another process took the database (without its password):\n%s", code, log)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("larder serve still runs 20s after another process took its database:\n%s", log)
	}
}
