package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows/cases"
)

// reindexTimeout bounds connecting to Temporal and Redis.
const reindexTimeout = 30 * time.Second

// reindexCommand rebuilds the inbox index in Redis from the open work
// Temporal's visibility lists, reading the same configuration as serve:
//
//	larder reindex --temporal-address temporal:7233 --redis-url redis://redis:6379
//
// A Larder whose Temporal and Redis are embedded in `larder serve` cannot
// be reached from another process; serve rebuilds that index itself at
// start when it is empty. Exit 2 is a refusal to start, 1 a failure.
func reindexCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	const name = "larder reindex"
	cfg, code, ok := commandConfig(name, args, errOut)
	switch {
	case !ok:
		return code
	case cfg.Temporal.Address == "" || cfg.Redis.URL == "":
		fmt.Fprintf(errOut, "%s: needs the Temporal and Redis the inbox lives on: set temporal.address and redis.url (LARDER_TEMPORAL_ADDRESS, LARDER_REDIS_URL). "+
			"A larder serve with an embedded Temporal and Redis cannot be reached from here; it rebuilds its inbox index itself at start when the index is empty.\n", name)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(errOut, cfg.Log.Format, max(cfg.Log.Level, slog.LevelWarn))
	n, took, err := reindex(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(out, "reindexed %d open tasks and incidents in %s\n", n, seconds(took))
	return 0
}

// reindex connects to the configured Temporal and Redis and rebuilds the
// inbox index, returning how many entries it holds and how long it took.
func reindex(ctx context.Context, cfg Config, logger *slog.Logger) (int, time.Duration, error) {
	opts, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return 0, 0, errors.New("redis.url: not a redis:// URL")
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	dialCtx, cancel := context.WithTimeout(ctx, reindexTimeout)
	defer cancel()
	if err := rdb.Ping(dialCtx).Err(); err != nil {
		return 0, 0, fmt.Errorf("redis at %s: %w", mask(cfg.Redis.URL), err)
	}
	tc, err := client.DialContext(dialCtx, client.Options{
		HostPort:  cfg.Temporal.Address,
		Namespace: cfg.Temporal.Namespace,
		Logger:    log.NewStructuredLogger(logger.With("component", "temporal-client")),
	})
	if err != nil {
		return 0, 0, fmt.Errorf("temporal at %s: %w", cfg.Temporal.Address, err)
	}
	defer tc.Close()
	c := &cases.Client{Temporal: tc, Namespace: cfg.Temporal.Namespace, TaskQueue: cfg.Temporal.TaskQueue, Log: logger}
	ix := &inbox.Index{Redis: rdb, Prefix: cfg.Redis.KeyPrefix, Log: logger}
	return timedReindex(ctx, c, ix)
}

// reindexer is what rebuilding asks of the case client.
type reindexer interface {
	Reindex(ctx context.Context, ix *inbox.Index) (int, error)
}

// timedReindex rebuilds ix from the cases' open work and says how long it
// took.
func timedReindex(ctx context.Context, c reindexer, ix *inbox.Index) (int, time.Duration, error) {
	start := time.Now()
	n, err := c.Reindex(ctx, ix)
	if err != nil {
		return 0, 0, fmt.Errorf("rebuild the inbox index: %w", err)
	}
	return n, time.Since(start), nil
}

// seconds writes d as seconds with one decimal, like 1.2s.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// reindexIfEmpty rebuilds the inbox index when Redis has lost it (a new
// Larder, a flushed or lost Redis), as `larder serve` does at start; an
// index that needs no rebuild is left alone.
func reindexIfEmpty(ctx context.Context, c reindexer, ix *inbox.Index, logger *slog.Logger) error {
	empty, err := ix.Empty(ctx)
	if err != nil || !empty {
		return err
	}
	n, took, err := timedReindex(ctx, c, ix)
	if err != nil {
		return err
	}
	logger.Info("inbox index rebuilt from temporal", "entries", n, "took", took.Round(time.Millisecond))
	return nil
}
