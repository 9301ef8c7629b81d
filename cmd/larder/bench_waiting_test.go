package main

import (
	"regexp"
	"strings"
	"testing"
)

// The lines larder bench waiting prints.
var (
	waitingSampleRow = regexp.MustCompile(`(?m)^\s+\d+\.\ds  (opening|waiting|completing|after)\s+(-?\d+)\s+(\d+) MiB\s+(\d+)$`)
	waitingMost      = regexp.MustCompile(`(?m)^most worker RSS: (\d+) MiB at \d+\.\ds, \w+  \(target < 1024 MiB\) ok$`)
	waitingDone      = regexp.MustCompile(`(?m)^6 cases opened their tasks in \d+\.\ds; 6 tasks completed and their cases closed in \d+\.\ds \(\d+\.\d a second\), 3 at a time$`)
	waitingAfter     = regexp.MustCompile(`(?m)^worker RSS after: \d+ MiB, \d+ threads$`)
)

// TestBenchWaitingReadsTheWorkerProcessWhileCasesWait runs larder bench
// waiting small, with the worker as a larder binary built from this
// folder (a test binary cannot run as one): six cases open their tasks
// and wait, the worker's memory is read while they do, and completing the
// tasks through the staff API closes all six.
func TestBenchWaitingReadsTheWorkerProcessWhileCasesWait(t *testing.T) {
	clearEnv(t)
	bin := buildLarder(t)
	code, stdout, stderr := run(t, "bench", "waiting", "-n", "6", "--concurrency", "3", "--hold", "1s", "--every", "300ms",
		"--worker-cache-size", "4", "--larder", bin, "--timeout", "3m")
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "larder bench waiting: 6 cases each waiting on a staff task, held 1s; the worker a process of its own (--worker-cache-size 4);") {
		t.Errorf("the first line does not say what was run:\n%s", stdout)
	}
	phases, sixWaiting := map[string]bool{}, false
	for _, m := range waitingSampleRow.FindAllStringSubmatch(stdout, -1) {
		phases[m[1]] = true
		sixWaiting = sixWaiting || (m[1] == "waiting" && m[2] == "6")
		if m[3] == "0" || m[4] == "0" {
			t.Errorf("a reading of the worker with no memory or no threads: %q", m[0])
		}
	}
	for _, p := range []string{"waiting", "after"} {
		if !phases[p] {
			t.Errorf("no reading of the worker while %s:\n%s", p, stdout)
		}
	}
	if !sixWaiting {
		t.Errorf("no reading with the six tasks open:\n%s", stdout)
	}
	if !waitingMost.MatchString(stdout) {
		t.Errorf("no line with the most the worker held:\n%s", stdout)
	}
	if !waitingDone.MatchString(stdout) {
		t.Errorf("no line saying every task was completed and its case closed:\n%s", stdout)
	}
	if !waitingAfter.MatchString(stdout) {
		t.Errorf("no reading of the worker after:\n%s", stdout)
	}
}

func TestBenchWaitingRefusesBadFlags(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"-n 0", "-n 0 is below one (use 10000)"},
		{"--concurrency 0", "--concurrency 0 is below one (use 32)"},
		{"--hold -1s", "--hold -1s is below zero (use 30s)"},
		{"--every 10ms", "--every 10ms is below 100ms (use 5s)"},
		{"--worker-cache-size -1", "--worker-cache-size -1 is below zero"},
		{"--timeout 0s", "--timeout 0s is not longer than zero (use 1h)"},
		{"now", `takes flags only, not "now"`},
	} {
		code, stdout, stderr := run(t, append([]string{"bench", "waiting"}, strings.Fields(c.args)...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "larder bench waiting: "+c.want) {
			t.Errorf("larder bench waiting %s: exit %d, stdout %q, stderr:\n%s", c.args, code, stdout, stderr)
		}
	}
}
