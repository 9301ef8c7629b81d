package mail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Outbox writes each message as an .eml file in a folder, for a machine with
// no mail relay and for tests.
type Outbox struct {
	// Dir is the folder, created on first use.
	Dir string
	// From is the sender address.
	From string
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Send writes the message to <key>.eml. The file appears atomically, and a
// second Send with the same key leaves the first in place.
func (o *Outbox) Send(_ context.Context, m Message) error {
	if err := os.MkdirAll(o.Dir, 0o750); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	final := filepath.Join(o.Dir, unsafeName.ReplaceAllString(m.Key, "_")+".eml")
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	msg, err := compose(o.From, m, time.Now())
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(o.Dir, ".sending-*")
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := msg.WriteTo(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("outbox: write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	// Link fails if the file exists, so of two racing attempts one wins.
	if err := os.Link(tmp.Name(), final); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}
