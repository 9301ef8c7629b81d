package embeddedtemporal_test

import (
	"context"
	"database/sql"
	"io"
	"net"
	"strings"
	"sync"
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
	// Cut and take the lock; should the server take it again first, in
	// the moment between, cut again.
	for attempt := 1; ; attempt++ {
		cutLock(t, db, name)
		var got bool
		if err := other.QueryRowContext(context.Background(), "SELECT pg_try_advisory_lock($1)", embeddedtemporal.LockKey).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got {
			break
		}
		if attempt == 5 {
			t.Fatal("the server took its lock again before another process could, five times over")
		}
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

// halfCutProxy forwards TCP connections to PostgreSQL. cutFirst drops the
// client's side of the first connection (the lock's: a server opens it
// before any other) while keeping PostgreSQL's side open, as a network cut
// PostgreSQL has not noticed yet does.
type halfCutProxy struct {
	addr  string
	mu    sync.Mutex
	first net.Conn
}

func newHalfCutProxy(t *testing.T, upstream string) *halfCutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	p := &halfCutProxy{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			if p.first == nil {
				p.first = c
			}
			p.mu.Unlock()
			t.Cleanup(func() { _ = c.Close(); _ = up.Close() })
			go func() { _, _ = io.Copy(up, c) }()
			go func() { _, _ = io.Copy(c, up) }()
		}
	}()
	return p
}

func (p *halfCutProxy) cutFirst() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.first.Close()
}

// A network cut PostgreSQL has not noticed leaves the lock with the
// server's old session. The server does not take that for another
// process: it ends its old session and takes the lock again.
func TestServerOnPostgresTakesItsLockBackFromItsOldSession(t *testing.T) {
	name := postgresDatabase(t)
	defer embeddedtemporal.SetHoldEvery(100 * time.Millisecond)()
	proxy := newHalfCutProxy(t, "127.0.0.1:5432")
	cfg := embeddedtemporal.Config{Database: "postgres://postgres@" + proxy.addr + "/" + name + "?sslmode=disable",
		Address: "127.0.0.1:0", Namespace: "larchester", SearchAttributes: attributes}
	srv := start(t, cfg)
	db := openPostgres(t, name)
	was := lockHolder(t, db, name)
	proxy.cutFirst()

	deadline := time.Now().Add(10 * time.Second)
	for pid := lockHolder(t, db, name); pid == 0 || pid == was; pid = lockHolder(t, db, name) {
		select {
		case err := <-srv.Lost():
			t.Fatalf("the server took its own old session for another process: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not take its lock back from its old session within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
