// Command larder runs Larder: `serve` runs everything in one process,
// `web` and `worker` run the parts separately, `validate` checks recipes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: larder <command> [flags]

commands:
  serve      run the web server and a worker (and embedded Temporal and Redis when not configured)
  web        run only the web server
  worker     run only a worker
  validate   check recipes: larder validate [files or folders]
  bench      measure a running Larder's question page beside gin's bare handler
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "serve", "web", "worker":
		os.Exit(serveCommand(cmd, args))
	case "validate":
		os.Exit(validateCommand(args, os.Stdout))
	case "bench":
		os.Exit(benchCommand(args, os.Stdout))
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "larder: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
}

func serveCommand(cmd string, args []string) int {
	fs := flag.NewFlagSet("larder "+cmd, flag.ContinueOnError)
	cfg, err := loadConfig(fs, args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "larder:", err)
		return 2
	}
	if cmd != "serve" && (cfg.Temporal.Address == "" || cfg.Redis.URL == "") {
		fmt.Fprintf(os.Stderr, "larder %s: runs beside other processes, so it needs a shared Temporal and Redis: set temporal.address and redis.url (LARDER_TEMPORAL_ADDRESS, LARDER_REDIS_URL), or use larder serve on one machine\n", cmd)
		return 2
	}
	logger := newLogger(cfg.Log.Level)
	logger.Info("configuration", cfg.effective()...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := roles{web: cmd != "worker", worker: cmd != "web"}
	if err := run(ctx, cfg, r, logger, nil); err != nil {
		logger.Error("larder failed", "err", err)
		return 1
	}
	return 0
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
