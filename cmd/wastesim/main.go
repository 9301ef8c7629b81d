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
	"strings"
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
	slowRate := fs.Float64("slow-rate", 0, "share of API requests delayed by -latency, 0 to 1 (0: every request, when -latency is set)")
	latency := fs.Duration("latency", 0, "delay added to slow API requests (to every one unless -slow-rate is set)")
	dropRate := fs.Float64("drop-rate", 0, "share of API writes done and recorded, then answered by dropping the connection, 0 to 1")
	failPath := fs.String("fail-path", "", "fail and drop only API requests whose path starts with this, e.g. /api/properties/")
	seed := fs.Uint64("seed", 0, "seed for the faults' random draws, so a run can be repeated (0: a new one each run)")
	keyHeader := fs.String("api-key-header", "", "header the API key (WASTESIM_API_KEY) is read from (default X-API-Key unless -api-key-query is set)")
	keyQuery := fs.String("api-key-query", "", "query parameter the API key (WASTESIM_API_KEY) may be sent in")
	tokenTTL := fs.Duration("token-ttl", time.Hour, "how long an access token from /oauth/token lasts")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of wastesim:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), authUsage)
	}
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
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"fail-rate", *failRate}, {"slow-rate", *slowRate}, {"drop-rate", *dropRate}} {
		if r.v < 0 || r.v > 1 || r.v != r.v {
			fmt.Fprintf(stderr, "wastesim: -%s must be from 0 to 1, not %v\n", r.flag, r.v)
			fs.Usage()
			return 2
		}
	}
	faults := wastesim.Faults{FailRate: *failRate, SlowRate: *slowRate, Latency: *latency, DropRate: *dropRate, FailPath: *failPath}
	if err := faults.Validate(); err != nil {
		fmt.Fprintf(stderr, "wastesim: %v\n", flagWords(err))
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
		Handler: wastesim.New(wastesim.Options{Faults: faults, Seed: *seed, Open311APIKey: os.Getenv("WASTESIM_OPEN311_KEY"),
			Auth: authFromEnv(*keyHeader, *keyQuery, *tokenTTL)}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Info("wastesim listening", "addr", l.Addr().String(), "auth", authKinds(srv.Handler.(*wastesim.Server)), "fail_rate", *failRate, "slow_rate", *slowRate, "latency", *latency,
		"drop_rate", *dropRate, "fail_path", *failPath)
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

// flagWords names the flags where a fault setting's error names its JSON key.
func flagWords(err error) string {
	return strings.NewReplacer("fail_rate", "-fail-rate", "slow_rate", "-slow-rate", "drop_rate", "-drop-rate", "latency", "-latency").Replace(err.Error())
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
