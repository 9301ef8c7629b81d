// Command wastesim runs the reference waste-management system that Larder's
// demo services and tests talk to.
package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// run serves the simulator until ctx ends and returns the exit code: 2 when
// a flag is wrong, 1 when it cannot listen or stops serving. It logs the
// address it listens on, so `-addr 127.0.0.1:0` tells which port it chose.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, code := parseFlags(args, stderr)
	if cfg == nil {
		return code
	}
	addr, f := cfg.addr, cfg.opts.Faults

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("wastesim cannot listen", "addr", addr, "err", err)
		return 1
	}
	sim := wastesim.New(cfg.opts)
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Info("wastesim listening", "addr", l.Addr().String(), "auth", authKinds(sim.Auth()), "fail_rate", f.FailRate,
		"slow_rate", f.SlowRate, "latency", f.Latency, "drop_rate", f.DropRate, "fail_path", f.FailPath)
	select {
	case err := <-served:
		logger.Error("wastesim stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		logger.Warn("wastesim stopped before every request finished", "err", err)
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
