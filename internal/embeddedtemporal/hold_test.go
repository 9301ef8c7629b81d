package embeddedtemporal_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/embeddedtemporal"
)

// lockHolder is the PostgreSQL backend holding a server's lock on the
// database, or 0 when none does.
func lockHolder(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var pid int
	err := db.QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = $1)
		AND classid = $2 AND objid = $3 AND objsubid = 1`,
		name, embeddedtemporal.LockKey>>32, embeddedtemporal.LockKey&0xffffffff).Scan(&pid)
	if err == sql.ErrNoRows {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// cutLock ends the connection holding the server's lock, as a PostgreSQL
// restart or a network cut does, and waits for it to be gone.
func cutLock(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	pid := lockHolder(t, db, name)
	if pid == 0 {
		t.Fatal("no connection holds the server's lock")
	}
	var ended bool
	if err := db.QueryRow(`SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("ending the lock's connection %d: %v, %v", pid, ended, err)
	}
	return pid
}

// A server whose connection holding the lock is cut takes the lock again
// as soon as PostgreSQL answers, so a second server on the database is
// still refused. Before, the lock was gone for good and a second server
// started beside the first.
func TestServerOnPostgresTakesItsLockAgain(t *testing.T) {
	name := postgresDatabase(t)
	defer embeddedtemporal.SetHoldEvery(100 * time.Millisecond)()
	cfg := embeddedtemporal.Config{Database: postgresURL(name), Address: "127.0.0.1:0", Namespace: "larchester", SearchAttributes: attributes}
	first := start(t, cfg)
	db := openPostgres(t, name)
	was := cutLock(t, db, name)

	deadline := time.Now().Add(10 * time.Second)
	for pid := lockHolder(t, db, name); pid == 0 || pid == was; pid = lockHolder(t, db, name) {
		if time.Now().After(deadline) {
			t.Fatal("the server did not take its lock again within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	second, err := embeddedtemporal.New(cfg)
	if err == nil {
		_ = second.Stop()
		t.Fatal("a second server started on the database after the first lost its connection; want it refused")
	}
	select {
	case err := <-first.Lost():
		t.Errorf("the server says it lost its database: %v", err)
	default:
	}
	c := dial(t, first)
	if got := runCase(t, c, "after-the-cut", "Sam"); got != "hello, Sam" {
		t.Errorf("case after the cut: result %q", got)
	}
}

// A server that finds another process took its database while its
// connection was cut says so on Lost, for larder to stop.
func TestServerOnPostgresSaysWhenAnotherTookItsDatabase(t *testing.T) {
	name := postgresDatabase(t)
	defer embeddedtemporal.SetHoldEvery(500 * time.Millisecond)()
	cfg := embeddedtemporal.Config{Database: postgresURL(name), Address: "127.0.0.1:0", Namespace: "larchester", SearchAttributes: attributes}
	srv := start(t, cfg)
	db := openPostgres(t, name)
	other, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cutLock(t, db, name)
	var got bool
	if err := other.QueryRowContext(context.Background(), "SELECT pg_try_advisory_lock($1)", embeddedtemporal.LockKey).Scan(&got); err != nil || !got {
		t.Fatalf("another process taking the lock: %v, %v", got, err)
	}
	select {
	case err := <-srv.Lost():
		if !strings.Contains(err.Error(), "another larder process took") || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "not-for-logs") {
			t.Errorf("Lost says %q, want another process named with the database and without its password", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not say within 10s that another process took its database")
	}
}
