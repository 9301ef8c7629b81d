package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// submitLatencyTarget is the target for the 201 a resident waits
// for: its p99 at 50 submissions a second.
const submitLatencyTarget = 50 * time.Millisecond

// benchSubmitOptions are larder bench submit's flags.
type benchSubmitOptions struct {
	// recipe is the id of the recipe whose cases are submitted.
	recipe string
	// rate is the submissions sent a second, for duration.
	rate     float64
	duration time.Duration
	// warmup is how many cases are taken through first, not measured.
	warmup int
	// target is the p99 of the 201 below which the run passes.
	target     time.Duration
	timeout    time.Duration
	recipesDir string
	verbose    bool
	// temporalDatabase is --temporal-database: a postgres:// URL for the
	// embedded Temporal instead of its SQLite file.
	temporalDatabase string
}

// total is how many submissions the measured run sends.
func (o benchSubmitOptions) total() int {
	return max(1, int(o.rate*o.duration.Seconds()+0.5))
}

// benchSubmitCommand measures how long a resident waits for the 201 of a
// submission while cases arrive at a steady rate, on a Larder of its own
// (embedded defaults) against the waste simulator:
//
//	larder bench submit --rate 50 --duration 30s --recipe missed-bin
//
// It sends submissions through the JSON API on a ticker, each in its own
// request, so a slow answer does not slow the next (an open loop, as
// residents arrive), and prints p50, p95, p99 and the longest 201, the
// submissions answered otherwise or not at all, and how long the cases
// took to close after the last submission. It exits 1 when a submission
// or a case fails, or the p99 misses --target, 2 when its flags are wrong.
func benchSubmitCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	const name = "larder bench submit"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o benchSubmitOptions
	fs.StringVar(&o.recipe, "recipe", missedBinService, "id of the recipe whose cases are submitted")
	fs.Float64Var(&o.rate, "rate", 50, "submissions sent a second")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long submissions are sent")
	fs.IntVar(&o.warmup, "warmup", 20, "cases taken through first, a few at a time, not measured, so the run does not pay for starting cold")
	fs.DurationVar(&o.target, "target", submitLatencyTarget, "p99 of the 201 at or above which the run exits 1")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long the whole run may take")
	fs.StringVar(&o.recipesDir, "recipes", "recipes", "folder holding the recipe and connectors.yaml (whose waste base_url is ${WASTE_URL})")
	fs.BoolVar(&o.verbose, "verbose", false, "show Larder's warnings and errors")
	fs.StringVar(&o.temporalDatabase, "temporal-database", "", "postgres:// URL of an empty database the embedded Temporal keeps cases in; empty is a SQLite file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	refuse := func(format string, a ...any) int {
		fmt.Fprintf(errOut, name+": "+format+"\n", a...)
		return 2
	}
	switch {
	case o.rate <= 0 || o.rate > 10000:
		return refuse("--rate %g is not above zero and at most 10000 (use 50)", o.rate)
	case o.duration <= 0:
		return refuse("--duration %s is not longer than zero (use 30s)", o.duration)
	case o.warmup < 0:
		return refuse("--warmup %d is below zero (use 20)", o.warmup)
	case o.target <= 0:
		return refuse("--target %s is not longer than zero (use 50ms)", o.target)
	case o.timeout <= 0:
		return refuse("--timeout %s is not longer than zero (use 10m)", o.timeout)
	case fs.NArg() > 0:
		return refuse("takes flags only, not %q", fs.Arg(0))
	}
	for _, f := range []string{o.recipe + ".yaml", "connectors.yaml"} {
		if _, err := os.Stat(filepath.Join(o.recipesDir, f)); err != nil {
			return refuse("no %s in --recipes %s: run from the repository's top folder or give --recipes and --recipe", f, o.recipesDir)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := benchSubmit(ctx, o, errOut)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return 1
	}
	return r.print(out, errOut)
}

// benchSubmit starts the waste simulator and a Larder of its own, warms
// it up, sends the submissions and waits for their cases.
func benchSubmit(ctx context.Context, o benchSubmitOptions, errOut io.Writer) (*submitRun, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "larder-bench-submit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	waste, missed, err := startPlannedWaste(benchFaultsOptions{missedBin: o.warmup + o.total(), seed: 1}, o.recipe)
	if err != nil {
		return nil, err
	}
	defer waste.close()
	// The shipped connectors.yaml takes the waste system's address from
	// WASTE_URL, read as Larder loads.
	defer setEnvWhile("WASTE_URL", waste.url)()
	l, err := startFaultsLarder(ctx, benchFaultsOptions{recipesDir: o.recipesDir, verbose: o.verbose, temporalDatabase: o.temporalDatabase}, dir, errOut)
	if err != nil {
		return nil, err
	}
	defer l.stop()
	i := slices.IndexFunc(l.cases.Recipes, func(r *recipe.Recipe) bool { return r.ID == o.recipe })
	if i < 0 {
		return nil, fmt.Errorf("recipe %s did not load from %s", o.recipe, o.recipesDir)
	}
	all := caseAnswers(l.cases.Recipes[i], missed, o.warmup+o.total())
	warm, answers := all[:o.warmup], all[o.warmup:]
	fmt.Fprintf(errOut, "larder bench submit: larder started in %s\n", dir)

	if o.warmup > 0 {
		fmt.Fprintf(errOut, "larder bench submit: %d cases to warm up\n", o.warmup)
		w := &casesRun{name: "warm-up"}
		w.run(ctx, min(o.warmup, 10), len(warm), l.submitCase(o.recipe, warm), l.waitCase, errOut)
		if w.failed > 0 || w.closed < len(warm) {
			return nil, fmt.Errorf("warming up, %d of %d cases closed: %v", w.closed, len(warm), w.firstErr)
		}
	}
	fmt.Fprintf(errOut, "larder bench submit: %d submissions, %g a second for %s\n", len(answers), o.rate, o.duration)
	r := &submitRun{opts: o}
	r.send(ctx, l, answers)
	fmt.Fprintf(errOut, "larder bench submit: sent; waiting for %d cases to close\n", len(r.refs))
	r.catchUp(ctx, l, errOut)
	return r, nil
}

// setEnvWhile sets the environment variable name to value and returns
// what puts back what it was.
func setEnvWhile(name, value string) (restore func()) {
	prev, had := os.LookupEnv(name)
	_ = os.Setenv(name, value)
	if !had {
		return func() { _ = os.Unsetenv(name) }
	}
	return func() { _ = os.Setenv(name, prev) }
}
