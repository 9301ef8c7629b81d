package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// retryEvery is how often a process tries again to reach Temporal or
// Redis while they do not answer at start.
const retryEvery = 500 * time.Millisecond

// logEvery is how often a process that is still waiting says so.
const logEvery = 5 * time.Second

// waitFor calls try until it succeeds or ctx ends, so that a web or worker
// process started before Temporal or Redis (or during their restart) waits
// for them instead of exiting. It logs what it waits for on the first
// failure and then every few seconds; attrs name it (never a secret).
func (a *app) waitFor(ctx context.Context, what string, try func(context.Context) error, attrs ...any) error {
	started := time.Now()
	var logged time.Time
	for {
		attempt, cancel := context.WithTimeout(ctx, logEvery)
		err := try(attempt)
		cancel()
		if p := (permanent{}); errors.As(err, &p) {
			return p.error
		}
		if err == nil {
			if !logged.IsZero() {
				a.log.Info(what+" answers", append(attrs, "waited", time.Since(started).Round(time.Second))...)
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: stopped while waiting for it to answer: %w", what, err)
		}
		if time.Since(logged) >= logEvery {
			a.log.Warn(what+" does not answer; retrying", append(attrs, "err", err, "waited", time.Since(started).Round(time.Second))...)
			logged = time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryEvery):
		}
	}
}

// permanent is an error waiting will not mend, such as a namespace that
// keeps cases too briefly: waitFor returns it at once.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// unlessUnavailable marks err permanent unless it says the server did not
// answer (or answered too late).
func unlessUnavailable(err error) error {
	var unavailable *serviceerror.Unavailable
	var late *serviceerror.DeadlineExceeded
	if errors.As(err, &unavailable) || errors.As(err, &late) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return err
	}
	return permanent{err}
}
