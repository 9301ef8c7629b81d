package embeddedtemporal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// holdEvery is how often a running server checks that it still holds its
// PostgreSQL database's lock, and tries to take it again once lost.
var holdEvery = 5 * time.Second

// hold keeps the database's lock while the server runs. PostgreSQL lets a
// session's lock go with its connection: when PostgreSQL restarts, or the
// connection is cut, hold takes the lock again on a new connection as soon
// as PostgreSQL answers. Another larder process could have taken it in
// between, and two servers must not share one database: hold then says so
// on s.lost and stops trying.
func (s *postgresStore) hold(log *slog.Logger) {
	defer close(s.held)
	tick := time.NewTicker(holdEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), holdEvery)
		err := s.check(ctx, log)
		cancel()
		if err != nil {
			log.Error(err.Error())
			s.lost <- err
			return
		}
	}
}

// check pings the lock's connection, or, when it was lost, tries to take
// the lock again; the error says another process holds it.
func (s *postgresStore) check(ctx context.Context, log *slog.Logger) error {
	if s.conn != nil {
		err := s.conn.PingContext(ctx)
		if err == nil {
			return nil
		}
		log.Warn("embedded temporal: lost the connection that holds the database's lock; taking it again once PostgreSQL answers",
			"database", s.where, "err", scrub(err, s.history.Password))
		_ = s.conn.Close()
		s.conn = nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil // PostgreSQL is still away: try again later
	}
	pid, err := takeLock(ctx, conn)
	if err != nil || pid == 0 {
		_ = conn.Close()
	}
	switch {
	case err != nil:
		return nil
	case pid == 0:
		return s.heldElsewhere(ctx)
	}
	s.conn, s.pid = conn, pid
	log.Info("embedded temporal: holds the database's lock again", "database", s.where)
	return nil
}

// takeLock tries the lock on conn and returns conn's backend pid when it
// got it, or 0.
func takeLock(ctx context.Context, conn *sql.Conn) (pid int, _ error) {
	var got bool
	err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1), pg_backend_pid()", lockKey).Scan(&got, &pid)
	if err != nil || !got {
		return 0, err
	}
	return pid, nil
}

// heldElsewhere is called when the lock is held by another session. After
// a network cut, PostgreSQL may not yet have noticed this process's old
// session is gone, and it still holds the lock: it is ended, and the lock
// taken at the next check. Any other session is another process's.
func (s *postgresStore) heldElsewhere(ctx context.Context) error {
	var holder int
	err := s.db.QueryRowContext(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1 AND objid = $2 AND objsubid = 1`, lockKey>>32, lockKey&0xffffffff).Scan(&holder)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil // let go meanwhile: take it at the next check
	case err != nil:
		return nil
	case holder == s.pid:
		_, _ = s.db.ExecContext(ctx, "SELECT pg_terminate_backend($1)", holder)
		return nil
	}
	return fmt.Errorf("embedded temporal: another larder process took %s while this one had lost its connection; stopping, as two servers must not share one database", s.where)
}
