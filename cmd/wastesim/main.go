// Command wastesim runs the reference waste-management system that Larder's
// demo services and tests talk to.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	fs := flag.NewFlagSet("wastesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("WASTESIM_ADDR", "127.0.0.1:8081"), "listen address (or WASTESIM_ADDR); port 0 picks a free one")
	failRate := fs.Float64("fail-rate", 0, "share of API requests answered 503, 0 to 1")
	latency := fs.Duration("latency", 0, "delay added to every API request")
	failPath := fs.String("fail-path", "", "fail only API requests whose path starts with this, e.g. /api/properties/")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "wastesim: takes flags only, not %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	case *failRate < 0 || *failRate > 1:
		fmt.Fprintf(stderr, "wastesim: -fail-rate must be from 0 to 1, not %v\n", *failRate)
		fs.Usage()
		return 2
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Error("wastesim cannot listen", "addr", *addr, "err", err)
		return 1
	}
	srv := &http.Server{
		Handler:           wastesim.New(wastesim.Options{Faults: wastesim.Faults{FailRate: *failRate, Latency: *latency, FailPath: *failPath}}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Info("wastesim listening", "addr", l.Addr().String(), "fail_rate", *failRate, "fail_path", *failPath, "latency", *latency)
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
