// Package embeddedredis runs the Redis that `larder serve` uses when no
// redis.url is configured: its one job is to keep residents' drafts and
// resume links, with their expiry, across restarts and crashes.
//
// The keys live in memory, in a miniredis server on 127.0.0.1. Every second
// (Config.Every) in which anything changed, they are written to one JSON
// file (Config.SnapshotFile) together with the absolute time each key
// expires, so a link keeps counting down while the process is down; a final
// write happens on Close. A SIGKILL or power cut loses at most the last
// Every. Only databases 0 to 15 and keys of type string, hash, list, set and
// sorted set are kept.
package embeddedredis

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// clockStep is how often the server's clock catches up with real time; a
// key expires at most this much before its time.
const clockStep = 100 * time.Millisecond

// Server is an embedded Redis-protocol server that keeps its keys in a
// snapshot file. Construct with New, then Start, then Close; Close is safe
// on a nil server, one that never started and one whose Start failed.
type Server struct {
	cfg     Config
	mini    *miniredis.Miniredis
	changes *changes
	lock    *os.File
	stop    chan struct{} // closed to end run
	done    chan struct{} // closed when run has ended
	// lastTick is when the TTLs in mini were last brought up to date; owned
	// by run while it runs.
	lastTick time.Time
	notKept  map[string]bool // key types already reported as not kept
	failing  bool            // the last snapshot write failed
}

// New checks the config and returns a server that is not running yet.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, notKept: map[string]bool{}}, nil
}

// Start loads the snapshot if there is one, writes it back at once (so a
// snapshot that cannot be written stops the start, not a resident's save
// later) and listens on a free port of 127.0.0.1.
func (s *Server) Start() (err error) {
	if s.mini != nil || s.lock != nil {
		return errors.New("embedded redis: already started")
	}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	file := s.cfg.SnapshotFile
	var snap snapshot
	found := false
	if file != "" {
		if s.lock, err = lockSnapshot(file); err != nil {
			return err
		}
		if err := removeTemps(file); err != nil {
			return err
		}
		if snap, found, err = readSnapshot(file); err != nil {
			return err
		}
	}
	m := miniredis.NewMiniRedis()
	now := time.Now()
	kept, expired := 0, 0
	if found {
		if kept, expired, err = snap.restore(m, now); err != nil {
			return damaged(file, err)
		}
	}
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("embedded redis: listen: %w", err)
	}
	s.mini, s.lastTick = m, now
	s.changes = &changes{srv: m.Server()}
	m.Server().SetPreHook(s.changes.hook)
	if err := s.save(now); err != nil {
		return err
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.run(s.stop, s.done)
	s.cfg.Log.Info("embedded redis started", "address", m.Addr(), "snapshot", file,
		"keys", kept, "expired_while_down", expired)
	return nil
}

// Addr is the host:port clients connect to; empty before Start.
func (s *Server) Addr() string {
	if s == nil || s.mini == nil {
		return ""
	}
	return s.mini.Addr()
}

// Close stops listening, waits for the commands in progress, writes the
// final snapshot and releases the file. A second Close does nothing.
func (s *Server) Close() error {
	if s == nil {
		return nil
	}
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	var err error
	if s.mini != nil {
		s.mini.Close()
		if s.changes.taken() {
			err = s.save(s.advance())
		}
	}
	s.release()
	return err
}

// release stops the server and drops the lock, without a snapshot.
func (s *Server) release() {
	if s.mini != nil {
		s.mini.Close()
		s.mini = nil
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
}

// run keeps the clock running and the snapshot current until stop closes.
func (s *Server) run(stop, done chan struct{}) {
	defer close(done)
	clock := time.NewTicker(min(clockStep, s.cfg.Every))
	defer clock.Stop()
	every := time.NewTicker(s.cfg.Every)
	defer every.Stop()
	for {
		select {
		case <-stop:
			return
		case <-clock.C:
			s.advance()
		case <-every.C:
			now := s.advance()
			if s.changes.taken() {
				if err := s.save(now); err != nil {
					s.changes.dirty.Store(true) // try again next time
				}
			}
		}
	}
}

// advance counts every TTL down by the real time since the last call, and
// deletes the keys whose time is up. miniredis does not do it by itself.
func (s *Server) advance() time.Time {
	now := time.Now()
	s.mini.FastForward(now.Sub(s.lastTick))
	s.lastTick = now
	return now
}

// save writes the snapshot, as of now, if there is a file to write, and
// logs a failure once until a write succeeds again.
func (s *Server) save(now time.Time) error {
	if s.cfg.SnapshotFile == "" {
		return nil
	}
	snap, notKept := capture(s.mini, now.UTC())
	for _, t := range notKept {
		if !s.notKept[t] {
			s.notKept[t] = true
			s.cfg.Log.Warn("embedded redis: keys of this type are not kept across restarts", "type", t)
		}
	}
	err := writeSnapshot(s.cfg.SnapshotFile, snap)
	switch {
	case err != nil && !s.failing:
		s.cfg.Log.Error("embedded redis: snapshot not written; keys changed since the last one will be lost if the process stops", "err", err)
	case err == nil && s.failing:
		s.cfg.Log.Info("embedded redis: snapshot written again", "snapshot", s.cfg.SnapshotFile)
	}
	s.failing = err != nil
	return err
}
