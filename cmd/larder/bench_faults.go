package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// benchFaultsOptions are larder bench faults' flags.
type benchFaultsOptions struct {
	// missedBin and bulky are how many cases of each service are started.
	missedBin, bulky int
	// faults are what the waste system does wrong.
	faults wastesim.Faults
	// paymentFailed is the share of bulky bookings whose payment fails.
	paymentFailed float64
	seed          uint64
	// timeout bounds the whole run, from starting Larder to the checks.
	timeout     time.Duration
	concurrency int
	recipesDir  string
	dataDir     string
	verbose     bool
	// temporalDatabase is a postgres:// URL the embedded Temporal keeps
	// cases in; empty is its SQLite file.
	temporalDatabase string
}

// benchFaultsCommand runs the shipped missed-bin and bulky-waste services
// on a Larder of its own against a waste simulator that misbehaves, then
// checks what residents and the waste team would notice:
//
//	larder bench faults --missed-bin 200 --bulky 50 --fail-rate 0.3 --slow-rate 0.1 --drop-rate 0.05
//
// Every case must close; the waste system must hold exactly one record for
// each case that says it reported a miss or booked a collection; each
// resident must get exactly one confirmation; and no cancelled booking may
// keep its date reserved. It prints the counts, and exits 1 naming each
// check that fails, 2 when its flags are wrong.
func benchFaultsCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	const name = "larder bench faults"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o benchFaultsOptions
	fs.IntVar(&o.missedBin, "missed-bin", 200, "missed-bin cases to start")
	fs.IntVar(&o.bulky, "bulky", 50, "bulky-waste cases to start")
	fs.Float64Var(&o.faults.FailRate, "fail-rate", 0.3, "share of the waste system's requests answered 503")
	fs.Float64Var(&o.faults.SlowRate, "slow-rate", 0.1, "share of the waste system's requests delayed by --latency")
	fs.DurationVar(&o.faults.Latency, "latency", 2*time.Second, "how long a slow request is delayed (the recipes' calls time out after 10s)")
	fs.Float64Var(&o.faults.DropRate, "drop-rate", 0.05, "share of the waste system's writes done, then answered by dropping the connection")
	fs.Float64Var(&o.paymentFailed, "payment-failed", 0.2, "share of bulky bookings whose payment fails, so the booking is cancelled by its undo")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the waste system's faults; 0 draws one")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long the run may take before open cases count as not closed")
	fs.IntVar(&o.concurrency, "concurrency", 16, "submissions in flight")
	fs.StringVar(&o.recipesDir, "recipes", "recipes", "folder holding missed-bin.yaml, bulky-waste.yaml and connectors.yaml (whose waste base_url is ${WASTE_URL})")
	fs.StringVar(&o.dataDir, "data-dir", "", "folder for the run's Larder; empty makes a temporary one, removed afterwards")
	fs.BoolVar(&o.verbose, "verbose", false, "show Larder's warnings and errors (under faults there are many)")
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
	case o.missedBin < 0 || o.bulky < 0 || o.missedBin+o.bulky == 0:
		return refuse("--missed-bin %d and --bulky %d: neither may be below zero, and one must be above (use 200 and 50)", o.missedBin, o.bulky)
	case o.faults.Validate() != nil:
		return refuse("the waste system's faults: %v (use --fail-rate 0.3 --slow-rate 0.1 --latency 2s --drop-rate 0.05)", o.faults.Validate())
	case o.paymentFailed < 0 || o.paymentFailed > 1:
		return refuse("--payment-failed %g is not from 0 to 1 (use 0.2)", o.paymentFailed)
	case o.timeout <= 0:
		return refuse("--timeout %s is not longer than zero (use 10m)", o.timeout)
	case o.concurrency < 1:
		return refuse("--concurrency %d is below one (use 16)", o.concurrency)
	case fs.NArg() > 0:
		return refuse("takes flags only, not %q", fs.Arg(0))
	}
	for _, f := range []string{"missed-bin.yaml", "bulky-waste.yaml", "connectors.yaml"} {
		if _, err := os.Stat(filepath.Join(o.recipesDir, f)); err != nil {
			return refuse("no %s in --recipes %s: run from the repository's top folder or give --recipes", f, o.recipesDir)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := benchFaults(ctx, o, out, errOut)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return 1
	}
	if failed := r.failedChecks(); len(failed) > 0 {
		for _, c := range failed {
			fmt.Fprintf(errOut, "%s: check failed: %s\n", name, c)
		}
		return 1
	}
	return 0
}

// benchFaults starts the waste simulator and a Larder of its own, runs the
// cases, checks them and prints what it found.
func benchFaults(ctx context.Context, o benchFaultsOptions, out, errOut io.Writer) (*faultRun, error) {
	begin := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	dir := o.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "larder-bench-faults-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}

	waste, err := startFaultyWaste(o)
	if err != nil {
		return nil, err
	}
	defer waste.close()
	plan, err := waste.plan(o)
	if err != nil {
		return nil, fmt.Errorf("plan the cases from the waste system's data: %w", err)
	}
	fmt.Fprintf(errOut, "larder bench faults: waste system at %s, its clock %d day(s) on: %d bin collections open to report a miss, %d bulky-waste dates\n",
		waste.url, waste.daysOn, plan.reportable, len(plan.slots))

	// The shipped connectors.yaml takes the waste system's address from
	// WASTE_URL; set it while Larder starts, and put it back after.
	prev, had := os.LookupEnv("WASTE_URL")
	_ = os.Setenv("WASTE_URL", waste.url)
	defer func() {
		if had {
			_ = os.Setenv("WASTE_URL", prev)
		} else {
			_ = os.Unsetenv("WASTE_URL")
		}
	}()
	l, err := startFaultsLarder(ctx, o, dir, errOut)
	if err != nil {
		return nil, err
	}
	defer l.stop()
	waste.sim.SetFaults(o.faults)
	waste.counting.Store(true)
	fmt.Fprintf(errOut, "larder bench faults: larder started in %s; starting %d missed-bin and %d bulky-waste cases\n", dir, o.missedBin, o.bulky)

	run := &faultRun{opts: o, plan: plan, larder: l, waste: waste, outbox: filepath.Join(dir, "data", "outbox")}
	run.runCases(ctx, errOut)
	waste.counting.Store(false)
	// The checks read what the run left, whatever the clock says now.
	run.collect(context.WithoutCancel(ctx))
	run.took = time.Since(begin)
	run.print(out)
	return run, nil
}

// faultsLarder is the run's Larder: its address, tokens and case client.
type faultsLarder struct {
	*app
	base                   string
	staffToken, hooksToken string
	stop                   func()
}

// startFaultsLarder starts Larder on embedded defaults in dir, with the
// limits on forms sent from one address off: the run sends every case
// from one.
func startFaultsLarder(ctx context.Context, o benchFaultsOptions, dir string, errOut io.Writer) (*faultsLarder, error) {
	cfg, err := defaults().parse(nil)
	if err != nil {
		return nil, err
	}
	cfg.DataDir, cfg.RecipesDir = filepath.Join(dir, "data"), o.recipesDir
	cfg.HTTP.Address = "127.0.0.1:0"
	cfg.Temporal.Embedded.Database = o.temporalDatabase
	cfg.Redis.URL = ""
	cfg.Redis.KeyPrefix = fmt.Sprintf("larder-bench-faults-%d:", time.Now().UnixNano())
	cfg.SMTP.URL = "" // the outbox folder, which the checks read
	cfg.StaffFile = filepath.Join(dir, "staff.yaml")
	cfg.StaffToken, cfg.HooksToken = randomToken(), randomToken()
	cfg.Forms.SubmissionsPerMinute, cfg.Forms.AnswersPerMinute, cfg.Forms.DraftsPerHour = 0, 0, 0
	level := slog.Level(100) // quiet: under faults Larder logs every failed lookup
	if o.verbose {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: level}))

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ready := make(chan *app, 1)
	stopped := make(chan error, 1)
	go func() {
		stopped <- runApp(runCtx, cfg, roles{web: true, worker: true}, logger, func(a *app) { ready <- a })
	}()
	select {
	case a := <-ready:
		var once atomic.Bool
		return &faultsLarder{
			app: a, base: "http://" + a.Addr, staffToken: cfg.StaffToken, hooksToken: cfg.HooksToken,
			stop: func() {
				if once.CompareAndSwap(false, true) {
					cancel()
					<-stopped
				}
			},
		}, nil
	case err := <-stopped:
		cancel()
		return nil, fmt.Errorf("start larder: %w", err)
	case <-ctx.Done():
		cancel()
		<-stopped
		return nil, ctx.Err()
	}
}

// randomToken is a bearer token for the run's staff API and hooks.
func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// faultyWaste is the waste simulator on a local port, its requests counted.
type faultyWaste struct {
	sim *wastesim.Server
	srv *http.Server
	url string
	// shift moves the simulator's clock on (nanoseconds), so that more of
	// the demo data's collections are open to report.
	shift  atomic.Int64
	daysOn int
	// counting is set while the cases run: requests before (planning) and
	// after (checks) are not the cases'.
	counting atomic.Bool
	counts   wasteCounts
}

// startFaultyWaste serves the simulator, with no faults until the cases start.
func startFaultyWaste(o benchFaultsOptions) (*faultyWaste, error) {
	w := &faultyWaste{}
	w.sim = wastesim.New(wastesim.Options{
		Now:  func() time.Time { return time.Now().Add(time.Duration(w.shift.Load())) },
		Seed: o.seed,
		// Room for every booking on the ten dates offered.
		BulkyCapacity: max(20, (o.bulky+9)/10),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w.srv = &http.Server{Handler: w.counted(w.sim, o.faults.Latency), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.srv.Serve(ln) }()
	w.url = "http://" + ln.Addr().String()
	return w, nil
}

func (w *faultyWaste) close() { _ = w.srv.Close() }
