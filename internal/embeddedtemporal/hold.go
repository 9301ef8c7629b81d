package embeddedtemporal

import (
	"context"
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
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", lockKey).Scan(&got); err != nil {
		_ = conn.Close()
		return nil
	}
	if !got {
		_ = conn.Close()
		return fmt.Errorf("embedded temporal: another larder process took %s while this one had lost its connection; stopping, as two servers must not share one database", s.where)
	}
	s.conn = conn
	log.Info("embedded temporal: holds the database's lock again", "database", s.where)
	return nil
}
