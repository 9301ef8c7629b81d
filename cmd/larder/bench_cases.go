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

	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/workflows/recipe"
)

// benchCasesOptions are larder bench cases' flags.
type benchCasesOptions struct {
	// recipe is the id of the recipe whose cases are submitted.
	recipe string
	// cases is how many cases each run submits; concurrency how many are
	// in flight, from submission to close, at once.
	cases, concurrency int
	// native also runs the hand-written Temporal workflow.
	native bool
	// warmup is how many cases each run starts first, not measured.
	warmup int
	// sample is how many closed cases of each run have their history
	// events counted.
	sample     int
	timeout    time.Duration
	recipesDir string
	verbose    bool
	// temporalDatabase is --temporal-database: a postgres:// URL for the
	// embedded Temporal instead of its SQLite file.
	temporalDatabase string
}

// benchCasesCommand measures how fast cases go from submission to close on
// a Larder of its own (embedded defaults) against the waste simulator,
// after --warmup cases not measured:
//
//	larder bench cases --recipe missed-bin -n 200 --concurrency 20 --native
//
// It submits the cases through the JSON API, --concurrency at a time, waits
// for each to close and prints cases a second, p50, p95 and p99 from
// submission to close, and the history events a case needs. With --native
// it then runs the same number of a hand-written Temporal workflow making
// the same calls as regular activities on the same server, and prints
// Larder's cases a second as a share of it. It exits 1 when a case fails
// or does not close within --timeout, 2 when its flags are wrong.
func benchCasesCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	const name = "larder bench cases"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o benchCasesOptions
	fs.StringVar(&o.recipe, "recipe", missedBinService, "id of the recipe whose cases are submitted")
	fs.IntVar(&o.cases, "n", 200, "cases submitted by each run")
	fs.IntVar(&o.concurrency, "concurrency", 20, "cases in flight at once, from submission to close")
	fs.BoolVar(&o.native, "native", false, "also run a hand-written Temporal workflow making missed-bin's calls, and print the ratio")
	fs.IntVar(&o.warmup, "warmup", 20, "cases each run takes through first, not measured, so neither pays for starting cold")
	fs.IntVar(&o.sample, "sample", 10, "closed cases of each run whose history events are counted")
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
	case o.cases < 1:
		return refuse("-n %d is below one (use 200)", o.cases)
	case o.concurrency < 1:
		return refuse("--concurrency %d is below one (use 20)", o.concurrency)
	case o.warmup < 0:
		return refuse("--warmup %d is below zero (use 20)", o.warmup)
	case o.sample < 0:
		return refuse("--sample %d is below zero (use 10)", o.sample)
	case o.timeout <= 0:
		return refuse("--timeout %s is not longer than zero (use 10m)", o.timeout)
	case o.native && o.recipe != missedBinService:
		return refuse("--native has a hand-written workflow for %s only, not %s", missedBinService, o.recipe)
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
	runs, err := benchCases(ctx, o, errOut)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return 1
	}
	printCasesRuns(out, o, runs)
	code := 0
	for _, r := range runs {
		if r.failed > 0 || r.closed < o.cases {
			fmt.Fprintf(errOut, "%s: %s: %d of %d cases closed, %d failed; the first problem: %v\n", name, r.name, r.closed, o.cases, r.failed, r.firstErr)
			code = 1
		}
	}
	return code
}

// benchCases starts the waste simulator (one for each run, so both find
// the same collections open to report) and a Larder of its own, and runs
// the cases.
func benchCases(ctx context.Context, o benchCasesOptions, errOut io.Writer) ([]*casesRun, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "larder-bench-cases-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	plan := benchFaultsOptions{missedBin: o.warmup + o.cases, seed: 1}
	waste, missed, err := startPlannedWaste(plan, o.recipe)
	if err != nil {
		return nil, err
	}
	defer waste.close()
	var nativeWaste *faultyWaste
	if o.native {
		if nativeWaste, _, err = startPlannedWaste(plan, o.recipe); err != nil {
			return nil, err
		}
		defer nativeWaste.close()
	}

	// The shipped connectors.yaml takes the waste system's address from
	// WASTE_URL; set it while Larder (and the hand-written workflow's
	// connectors) load, and put it back after.
	prev, had := os.LookupEnv("WASTE_URL")
	defer func() {
		if had {
			_ = os.Setenv("WASTE_URL", prev)
		} else {
			_ = os.Unsetenv("WASTE_URL")
		}
	}()
	_ = os.Setenv("WASTE_URL", waste.url)
	l, err := startFaultsLarder(ctx, benchFaultsOptions{recipesDir: o.recipesDir, verbose: o.verbose, temporalDatabase: o.temporalDatabase}, dir, errOut)
	if err != nil {
		return nil, err
	}
	defer l.stop()
	i := slices.IndexFunc(l.cases.Recipes, func(r *recipe.Recipe) bool { return r.ID == o.recipe })
	if i < 0 {
		return nil, fmt.Errorf("recipe %s did not load from %s", o.recipe, o.recipesDir)
	}
	rcp := l.cases.Recipes[i]
	all := caseAnswers(rcp, missed, o.warmup+o.cases)
	warm, answers := all[:o.warmup], all[o.warmup:]
	fmt.Fprintf(errOut, "larder bench cases: larder started in %s; %d %s cases, %d at a time\n", dir, o.cases, o.recipe, o.concurrency)

	if o.native {
		// Started before either run, so both find their worker polling.
		_ = os.Setenv("WASTE_URL", nativeWaste.url)
		conns, err := registry.LoadFile(filepath.Join(o.recipesDir, "connectors.yaml"))
		if err != nil {
			return nil, fmt.Errorf("connectors of the hand-written workflow: %w", err)
		}
		w, err := startNativeWorker(l.tc, conns, l.mail)
		if err != nil {
			return nil, err
		}
		defer w.Stop()
	}

	if o.warmup > 0 {
		fmt.Fprintf(errOut, "larder bench cases: %d cases each to warm up\n", o.warmup)
		w := &casesRun{name: "larder warm-up"}
		w.run(ctx, o.concurrency, len(warm), l.submitCase(rcp.ID, warm), l.waitCase, errOut)
		if w.failed > 0 || w.closed < len(warm) {
			return nil, fmt.Errorf("warming up, %d of %d cases closed: %v", w.closed, len(warm), w.firstErr)
		}
		if o.native {
			w := &casesRun{name: "hand-written warm-up"}
			w.run(ctx, o.concurrency, len(warm), l.startNative(warm), l.waitNative, errOut)
			if w.failed > 0 || w.closed < len(warm) {
				return nil, fmt.Errorf("warming up the hand-written workflow, %d of %d closed: %v", w.closed, len(warm), w.firstErr)
			}
		}
	}

	larderRun := &casesRun{name: "larder " + o.recipe}
	larderRun.run(ctx, o.concurrency, len(answers), l.submitCase(rcp.ID, answers), l.waitCase, errOut)
	runs := []*casesRun{larderRun}
	if o.native {
		nativeRun := &casesRun{name: "hand-written workflow"}
		nativeRun.run(ctx, o.concurrency, len(answers), l.startNative(answers), l.waitNative, errOut)
		runs = append(runs, nativeRun)
	}
	// Counting reads whole histories: after the runs, so it slows neither.
	for _, r := range runs {
		r.countEvents(context.WithoutCancel(ctx), l.tc, o.sample)
	}
	return runs, nil
}

// startPlannedWaste starts a waste simulator and, for missed-bin, chooses
// each case's bin from the collections open to report.
func startPlannedWaste(o benchFaultsOptions, recipeID string) (*faultyWaste, []missedPlan, error) {
	w, err := startFaultyWaste(o)
	if err != nil {
		return nil, nil, err
	}
	if recipeID != missedBinService {
		return w, nil, nil
	}
	p, err := w.plan(o)
	if err != nil {
		w.close()
		return nil, nil, fmt.Errorf("plan the cases from the waste system's data: %w", err)
	}
	return w, p.missed, nil
}

// caseAnswers gives n cases' answers: the recipe's examples, each with an
// email address of its own and, for missed-bin, the planned bin.
func caseAnswers(r *recipe.Recipe, missed []missedPlan, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		a := map[string]any{}
		for _, f := range r.Fields() {
			if f.Example != "" {
				a[f.ID] = f.Example
			}
			if f.Type == "email" {
				a[f.ID] = fmt.Sprintf("resident-%04d@example.com", i+1)
			}
		}
		if i < len(missed) {
			p := missed[i]
			a["postcode"], a["uprn"], a["bin_type"] = p.postcode, p.uprn, p.bin
		}
		out[i] = a
	}
	return out
}
