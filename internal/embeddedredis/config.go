package embeddedredis

import (
	"errors"
	"log/slog"
	"time"
)

// defaultEvery is how often a changed dataset is written when Config.Every
// is zero: at most this much is lost if the process is killed.
const defaultEvery = time.Second

// Config says where the embedded Redis keeps its data and how often.
type Config struct {
	// SnapshotFile is the JSON file holding every key between runs. Empty
	// keeps nothing: all keys are lost when the process stops (tests only).
	SnapshotFile string
	// Every is how often the snapshot is rewritten when something changed,
	// and so the most a SIGKILL or power cut can lose. Zero means one second.
	Every time.Duration
	// Log receives start, load and snapshot failure messages; nil discards them.
	Log *slog.Logger
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Every == 0 {
		c.Every = defaultEvery
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate checks the invariants of a defaulted config.
func (c Config) validate() error {
	if c.Every < 0 {
		return errors.New("embedded redis: every must not be negative; leave it at 0 for one second")
	}
	return nil
}
