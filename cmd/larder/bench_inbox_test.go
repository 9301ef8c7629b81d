package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The lines larder bench inbox prints.
var (
	benchInboxPage    = regexp.MustCompile(`(?m)^first inbox page, GET /staff/ signed in, 50 requests: p50 (\S+)ms  p95 (\S+)ms  p99 (\S+)ms  \(target p99 < 100ms\) ok$`)
	benchInboxIndex   = regexp.MustCompile(`(?m)^  of which the inbox index's counts and page: p50 \S+ms  p95 \S+ms  p99 \S+ms$`)
	benchInboxReindex = regexp.MustCompile(`(?m)^larder reindex: reindexed 20 open tasks and incidents in \d+\.\ds  \(target < 1m0s\) ok$`)
)

// TestBenchInboxMeasuresTheFirstPageAndReindex runs `larder bench inbox`
// small, so the command keeps working: it starts its own Larder, opens 20
// tasks and prints the first page's percentiles and reindex's time.
func TestBenchInboxMeasuresTheFirstPageAndReindex(t *testing.T) {
	clearEnv(t)
	start := time.Now()
	code, stdout, stderr := run(t, "bench", "inbox", "--tasks", "20", "--requests", "50", "--concurrency", "4", "--data-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d after %s, want 0:\n%s%s", code, time.Since(start), stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "20 open tasks in one queue") {
		t.Errorf("the first line does not say how many tasks:\n%s", stdout)
	}
	m := benchInboxPage.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no first-page line:\n%s", stdout)
	}
	p50, _ := strconv.ParseFloat(m[1], 64)
	p95, _ := strconv.ParseFloat(m[2], 64)
	p99, _ := strconv.ParseFloat(m[3], 64)
	if p50 <= 0 || p50 > p95 || p95 > p99 {
		t.Errorf("p50 %sms, p95 %sms, p99 %sms: want 0 < p50 <= p95 <= p99", m[1], m[2], m[3])
	}
	if !benchInboxIndex.MatchString(stdout) {
		t.Errorf("no line for the index reads:\n%s", stdout)
	}
	if !benchInboxReindex.MatchString(stdout) {
		t.Errorf("no reindex line:\n%s", stdout)
	}
}

func TestBenchInboxRefusesBadFlags(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"--tasks 0", "--tasks 0 is below one (use 10000)"},
		{"--requests -1", "--requests -1 is below one"},
		{"--concurrency 0", "--concurrency 0 is below one"},
		{"--wait -1s", "--wait -1s is below zero"},
		{"now", `takes flags only, not "now"`},
	} {
		code, stdout, stderr := run(t, append([]string{"bench", "inbox"}, strings.Fields(c.args)...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "larder bench inbox: "+c.want) {
			t.Errorf("larder bench inbox %s: exit %d, stdout %q, stderr:\n%s", c.args, code, stdout, stderr)
		}
	}
}
