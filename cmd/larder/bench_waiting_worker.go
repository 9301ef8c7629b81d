package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// workerProcess is `larder worker` run as a child process beside the
// benchmark's Larder, polling a task queue of its own.
type workerProcess struct {
	cmd   *exec.Cmd
	queue string
	// logPath holds its standard output and error.
	logPath string
	// exited is closed once it has exited, with err what Wait said.
	exited chan struct{}
	err    error
}

// startWorkerProcess runs `larder worker` on l's Temporal and Redis, with
// its data in dir, and waits until it polls its task queue.
func startWorkerProcess(ctx context.Context, o benchWaitingOptions, l *faultsLarder, dir string, errOut io.Writer) (*workerProcess, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	temporal := l.cfg.Temporal.Address
	if temporal == "" {
		temporal = l.temporal.HostPort()
	}
	w := &workerProcess{queue: "bench-waiting-" + randomToken()[:12], logPath: dir + ".log", exited: make(chan struct{})}
	args := []string{"worker",
		"--temporal-address", temporal, "--temporal-namespace", l.cfg.Temporal.Namespace, "--task-queue", w.queue,
		"--redis-url", "redis://" + l.mini.Addr(), "--redis-key-prefix", l.cfg.Redis.KeyPrefix,
		"--recipes-dir", l.cfg.RecipesDir, "--data-dir", dir, "--log-level", "warn",
	}
	if o.cacheSize > 0 {
		args = append(args, "--worker-cache-size", strconv.Itoa(o.cacheSize))
	}
	logFile, err := os.Create(w.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own copy
	w.cmd = exec.Command(o.larderBin, args...)
	w.cmd.Stdout, w.cmd.Stderr = logFile, logFile
	if o.verbose {
		w.cmd.Stderr = io.MultiWriter(logFile, errOut)
	}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s worker: %w", o.larderBin, err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.exited)
	}()
	deadline := time.After(time.Minute)
	for {
		d, err := l.tc.DescribeTaskQueue(ctx, w.queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil && len(d.GetPollers()) > 0 {
			return w, nil
		}
		select {
		case <-w.exited:
			return nil, w.alive()
		case <-deadline:
			w.stop()
			return nil, fmt.Errorf("the worker process did not poll task queue %s within a minute; its log:\n%s", w.queue, w.logTail())
		case <-ctx.Done():
			w.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// alive is nil while the worker runs, else says how it ended.
func (w *workerProcess) alive() error {
	select {
	case <-w.exited:
		return fmt.Errorf("the worker process exited (%v); its log:\n%s", w.err, w.logTail())
	default:
		return nil
	}
}

// stop asks the worker to stop, as an operator's SIGTERM does, and kills
// it when it has not within 30 seconds.
func (w *workerProcess) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}

// logTail is the last lines the worker wrote.
func (w *workerProcess) logTail() string {
	b, _ := os.ReadFile(w.logPath)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}

// processMemory is what /proc/<pid>/status says of a process.
type processMemory struct {
	// rss is its resident memory in bytes (VmRSS).
	rss int64
	// threads is how many operating-system threads it runs.
	threads int
}

// readProcessMemory reads the process's resident memory and threads.
func readProcessMemory(pid int) (processMemory, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return processMemory{}, err
	}
	var m processMemory
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		key, value, _ := strings.Cut(s.Text(), ":")
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch key {
		case "VmRSS": // in kB
			m.rss = n * 1024
		case "Threads":
			m.threads = int(n)
		}
	}
	if m.rss == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}

// mib writes bytes in MiB, like 412 MiB.
func mib(bytes int64) string {
	return fmt.Sprintf("%d MiB", (bytes+1<<19)>>20)
}
