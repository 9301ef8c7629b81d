package embeddedtemporal

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	_ "modernc.org/sqlite" // the driver the server's SQLite plugin uses
)

// forgetEarlierProcesses removes the cluster membership rows left by earlier
// runs of this server. Each run listens on fresh ports, so a process that was
// killed leaves a member behind on the hash ring; until the ring declares it
// dead the new process routes some task queues to it and cases stall. The
// embedded server is only ever one process, so every row is stale by the
// time it starts: lockDatabase makes sure of it.
func forgetEarlierProcesses(file string) error {
	if file == "" {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: file}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("embedded temporal: open %s: %w", file, err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM cluster_membership"); err != nil {
		return fmt.Errorf("embedded temporal: clear stale membership in %s: %w", file, err)
	}
	return nil
}

// lockDatabase takes an exclusive lock beside the database file, so a second
// `larder serve` on the same data folder stops with a clear error instead of
// two servers writing one history. The lock goes when the file is closed or
// the process ends, however it ends.
func lockDatabase(file string) (*os.File, error) {
	if file == "" {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return nil, fmt.Errorf("embedded temporal: create data folder: %w", err)
	}
	f, err := os.OpenFile(file+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedded temporal: %s is in use by another larder process; stop it or give this one another data_dir", file)
		}
		return nil, fmt.Errorf("embedded temporal: lock %s: %w", file, err)
	}
	return f, nil
}
