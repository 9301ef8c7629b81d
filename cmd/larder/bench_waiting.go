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
	"syscall"
	"time"
)

// waitingRSSTarget is the target for a worker holding 10,000
// cases that wait on staff: its resident memory stays below it.
const waitingRSSTarget = 1 << 30

// benchWaitingOptions are larder bench waiting's flags.
type benchWaitingOptions struct {
	// cases is how many cases are started, each to wait on a task;
	// concurrency how many are started, or completed, at a time.
	cases, concurrency int
	// hold is how long they all wait before staff complete them; every
	// how often the worker is measured.
	hold, every time.Duration
	// cacheSize is the worker's worker.cache_size; 0 leaves its own.
	cacheSize int
	// larderBin is the larder binary the worker runs as.
	larderBin string
	timeout   time.Duration
	verbose   bool
}

// benchWaitingCommand measures a worker's memory while many cases wait on
// staff tasks, with the worker as its own process, as operators run it:
//
//	larder bench waiting -n 10000
//
// It starts a Larder of its own (web, embedded Temporal and Redis) and a
// `larder worker` process beside it, starts -n cases that each open a
// task and wait, keeps them waiting for --hold, then completes every task
// through the staff API. Every --every it reads the worker's resident
// memory and threads from /proc; it prints them, the most, the time to
// complete every task and the memory after. It exits 1 when a case fails
// or the worker's memory reaches 1 GiB, 2 when its flags are wrong.
func benchWaitingCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	const name = "larder bench waiting"
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	var o benchWaitingOptions
	fs.IntVar(&o.cases, "n", 10000, "cases started, each waiting on a staff task")
	fs.IntVar(&o.concurrency, "concurrency", 32, "cases started, and tasks completed, at a time")
	fs.DurationVar(&o.hold, "hold", 30*time.Second, "how long every case waits before its task is completed")
	fs.DurationVar(&o.every, "every", 5*time.Second, "how often the worker's memory is read")
	fs.IntVar(&o.cacheSize, "worker-cache-size", 0, "the worker's worker.cache_size; 0 leaves the worker's own setting")
	fs.StringVar(&o.larderBin, "larder", "", "larder binary the worker process runs; empty is this one")
	fs.DurationVar(&o.timeout, "timeout", time.Hour, "how long the whole run may take")
	fs.BoolVar(&o.verbose, "verbose", false, "show Larder's and the worker's warnings and errors")
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
		return refuse("-n %d is below one (use 10000)", o.cases)
	case o.concurrency < 1:
		return refuse("--concurrency %d is below one (use 32)", o.concurrency)
	case o.hold < 0:
		return refuse("--hold %s is below zero (use 30s)", o.hold)
	case o.every < 100*time.Millisecond:
		return refuse("--every %s is below 100ms (use 5s)", o.every)
	case o.cacheSize < 0:
		return refuse("--worker-cache-size %d is below zero (use 0 for the worker's own)", o.cacheSize)
	case o.timeout <= 0:
		return refuse("--timeout %s is not longer than zero (use 1h)", o.timeout)
	case fs.NArg() > 0:
		return refuse("takes flags only, not %q", fs.Arg(0))
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		fmt.Fprintf(errOut, "%s: reads a process's memory from /proc/<pid>/status, which this system has not: run it on Linux\n", name)
		return 1
	}
	if o.larderBin == "" {
		bin, err := os.Executable()
		if err != nil {
			return refuse("cannot find this larder binary (%v): give --larder", err)
		}
		o.larderBin = bin
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := benchWaiting(ctx, o, errOut)
	if err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", name, err)
		return 1
	}
	return r.print(out, errOut)
}

// benchWaiting starts a Larder and a worker process, and takes the cases
// from starting, through waiting, to completed.
func benchWaiting(ctx context.Context, o benchWaitingOptions, errOut io.Writer) (*waitingRun, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "larder-bench-waiting-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// The cases are bench inbox's: each opens one task at once.
	recipes := filepath.Join(dir, "recipes")
	if err := errors.Join(os.Mkdir(recipes, 0o750), os.WriteFile(filepath.Join(recipes, benchService+".yaml"), []byte(benchRecipe), 0o600)); err != nil {
		return nil, err
	}
	l, err := startFaultsLarder(ctx, benchFaultsOptions{recipesDir: recipes, verbose: o.verbose}, dir, errOut)
	if err != nil {
		return nil, err
	}
	defer l.stop()
	w, err := startWorkerProcess(ctx, o, l, filepath.Join(dir, "worker"), errOut)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	fmt.Fprintf(errOut, "larder bench waiting: larder started in %s, its worker as process %d on task queue %s\n", dir, w.cmd.Process.Pid, w.queue)

	r := &waitingRun{opts: o, begin: time.Now()}
	done := r.sample(ctx, w, l.inbox, errOut)
	err = r.take(ctx, l, w, errOut)
	// One more reading once the cases have closed and the worker is idle.
	r.setPhase("after")
	select {
	case <-ctx.Done():
	case <-time.After(o.every + o.every/2):
	}
	done()
	if err != nil {
		return nil, err
	}
	return r, w.alive()
}
