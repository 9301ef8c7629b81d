// Command larder runs Larder: `serve` runs everything in one process,
// `web` and `worker` run the parts separately, `validate` checks recipes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: larder <command> [flags]

commands:
  serve      run the web server and a worker (and embedded Temporal and Redis when not configured)
  web        run only the web server
  worker     run only a worker
  validate   check recipes: larder validate [files or folders]
  bpmn       write a recipe's steps as BPMN 2.0 XML: larder bpmn [-o file.bpmn] RECIPE.yaml
  reindex    rebuild the staff inbox index in Redis from Temporal
  staff      manage staff sign-in: larder staff password (bcrypt hash of a password read from stdin)
  bench      measure a running Larder's question page beside gin's bare handler;
             larder bench inbox measures the staff inbox with 10,000 open tasks;
             larder bench faults runs 200 missed-bin and 50 bulky-waste cases
             against a waste system that fails, stalls and drops requests;
             larder bench cases submits 200 missed-bin cases and times them
             to close (--native: beside a hand-written Temporal workflow)
`

func main() {
	os.Exit(larder(os.Args[1:], os.Stdout, os.Stderr))
}

// larder runs the command args name and returns the exit code: 2 when it
// refuses to start (bad arguments or configuration), 1 when it fails later.
func larder(args []string, stdout, stderr io.Writer) int {
	return larderUntil(context.Background(), args, stdout, stderr)
}

// larderUntil is larder, with serve, web and worker also stopping when ctx
// ends as they do on SIGINT or SIGTERM.
func larderUntil(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve", "web", "worker":
		return serveCommand(ctx, cmd, args, stderr)
	case "validate":
		return validateCommand(args, stdout)
	case "bpmn":
		return bpmnCommand(args, stdout, stderr)
	case "reindex":
		return reindexCommand(ctx, args, stdout, stderr)
	case "staff":
		return staffCommand(args, os.Stdin, stdout, stderr)
	case "bench":
		if len(args) > 0 && args[0] == "inbox" {
			return benchInboxCommand(ctx, args[1:], stdout, stderr)
		}
		if len(args) > 0 && args[0] == "cases" {
			return benchCasesCommand(ctx, args[1:], stdout, stderr)
		}
		if len(args) > 0 && args[0] == "faults" {
			return benchFaultsCommand(ctx, args[1:], stdout, stderr)
		}
		if len(args) > 0 && args[0] == "submit" {
			return benchSubmitCommand(ctx, args[1:], stdout, stderr)
		}
		if len(args) > 0 && args[0] == "waiting" {
			return benchWaitingCommand(ctx, args[1:], stdout, stderr)
		}
		return benchCommand(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "larder: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// commandConfig reads the configuration of a command that takes flags
// only. When it is not ok the command exits with code: 0 after -h, 2 when
// a flag or setting is wrong (each problem on a line of stderr).
func commandConfig(name string, args []string, stderr io.Writer) (cfg Config, code int, ok bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return cfg, 0, false
	case err != nil:
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "%s: %s\n", name, line)
		}
		return cfg, 2, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: takes flags only, not %q\n", name, fs.Arg(0))
		return cfg, 2, false
	}
	return cfg, 0, true
}

// serveCommand runs serve, web or worker. The configuration is read and
// checked before anything starts, so a bad value stops it at once.
func serveCommand(ctx context.Context, cmd string, args []string, stderr io.Writer) int {
	name := "larder " + cmd
	cfg, code, ok := commandConfig(name, args, stderr)
	if !ok {
		return code
	}
	if cmd != "serve" && (cfg.Temporal.Address == "" || cfg.Redis.URL == "") {
		fmt.Fprintf(stderr, "%s: runs beside other processes, so it needs a shared Temporal and Redis: set temporal.address and redis.url (LARDER_TEMPORAL_ADDRESS, LARDER_REDIS_URL), or use larder serve on one machine\n", name)
		return 2
	}
	if cmd == "web" && cfg.SecretKey == "" {
		// A key made in each process's data folder would differ between
		// them: a resident's session signed by one would be refused by the
		// next, and staff search would hash the same name two ways.
		fmt.Fprintf(stderr, "%s: runs beside other web processes, which must sign sessions and search keys alike: set secret_key (LARDER_SECRET_KEY), the same for every process, at least %d characters (openssl rand -hex 32)\n", name, minSecretKey)
		return 2
	}
	logger := newLogger(stderr, cfg.Log.Format, cfg.Log.Level)
	logger.Info("configuration", cfg.effective()...)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := roles{web: cmd != "worker", worker: cmd != "web"}
	if err := runApp(ctx, cfg, r, logger, nil); err != nil {
		logger.Error("larder failed", "err", err)
		return 1
	}
	return 0
}
