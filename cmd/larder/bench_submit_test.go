package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The lines larder bench submit prints.
var (
	submitSent    = regexp.MustCompile(`(?m)^submissions: 5 sent in \d+\.\ds \((\d+\.\d) a second\): 5 answered 201, 0 otherwise, 0 not answered$`)
	submitLatency = regexp.MustCompile(`(?m)^201 within: p50 (\S+)ms  p95 (\S+)ms  p99 (\S+)ms  max (\S+)ms  \(target p99 < 1m0s\) ok$`)
	submitCases   = regexp.MustCompile(`(?m)^cases: 5 of 5 closed, 0 failed; the last closed \d+\.\ds after the last submission was sent$`)
)

// TestBenchSubmitSendsAtARateAndWaitsForTheCases runs larder bench submit
// as an operator would, tiny: five submissions at five a second, each
// answered 201 with its latency counted, and every case closing after.
// How fast the machine answers is the command's business, not the test's,
// so the target is set far off.
func TestBenchSubmitSendsAtARateAndWaitsForTheCases(t *testing.T) {
	clearEnv(t)
	t.Setenv("WASTE_URL", "") // the command sets it while it runs; put back after
	var out, errOut bytes.Buffer
	code := larderUntil(context.Background(), []string{"bench", "submit",
		"--rate", "5", "--duration", "1s", "--warmup", "2", "--target", "1m", "--timeout", "3m", "--recipes", recipesDir,
	}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	stdout := out.String()
	if !strings.HasPrefix(stdout, "larder bench submit: 5 missed-bin submissions, 5 a second for 1s, after 2 cases to warm up;") {
		t.Errorf("the first line does not say what was sent:\n%s", stdout)
	}
	m := submitSent.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no line counting the submissions and their answers:\n%s", stdout)
	}
	// Four gaps of 200ms on the schedule: not faster than asked.
	if rate, _ := strconv.ParseFloat(m[1], 64); rate <= 0 || rate > 5.5 {
		t.Errorf("sent %s a second, want about 5", m[1])
	}
	l := submitLatency.FindStringSubmatch(stdout)
	if l == nil {
		t.Fatalf("no latency line:\n%s", stdout)
	}
	var p [4]float64
	for i := range p {
		p[i], _ = strconv.ParseFloat(l[i+1], 64)
	}
	if p[0] <= 0 || p[0] > p[1] || p[1] > p[2] || p[2] > p[3] {
		t.Errorf("p50 %sms, p95 %sms, p99 %sms, max %sms: want 0 < p50 <= p95 <= p99 <= max", l[1], l[2], l[3], l[4])
	}
	if !submitCases.MatchString(stdout) {
		t.Errorf("no line saying every case closed:\n%s", stdout)
	}
	if !regexp.MustCompile(`(?m)^outcomes: .+ \d+$`).MatchString(stdout) {
		t.Errorf("no outcomes line:\n%s", stdout)
	}
}

// TestBenchSubmitRefusesBadFlags checks larder bench submit says what is
// wrong with its flags before starting anything.
func TestBenchSubmitRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--rate 0", "--rate 0 is not above zero and at most 10000 (use 50)"},
		{"--duration 0s", "--duration 0s is not longer than zero (use 30s)"},
		{"--warmup -1", "--warmup -1 is below zero (use 20)"},
		{"--target 0s", "--target 0s is not longer than zero (use 50ms)"},
		{"--timeout 0s", "--timeout 0s is not longer than zero (use 10m)"},
		{"--recipe no-such-service", "no no-such-service.yaml in --recipes " + recipesDir},
		{"now", `takes flags only, not "now"`},
	} {
		code, stdout, stderr := run(t, append([]string{"bench", "submit", "--recipes", recipesDir}, strings.Fields(tc.args)...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "larder bench submit: "+tc.want) {
			t.Errorf("larder bench submit %s: exit %d, stdout %q, stderr:\n%s", tc.args, code, stdout, stderr)
		}
	}
}
