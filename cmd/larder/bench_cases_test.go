package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows"
)

// casesRow is one run's line of larder bench cases' table: name, cases,
// closed, failed, cases/s, p50, p95, p99, events/case.
var casesRow = regexp.MustCompile(`(?m)^(larder missed-bin|hand-written workflow)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+\.\d\d)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+\.\d)$`)

// TestBenchCasesBesideHandWritten runs larder bench cases --native as an
// operator would, at a tiny scale: both runs' cases close and the table
// has a row for each and their ratio. How fast is the machine's business.
func TestBenchCasesBesideHandWritten(t *testing.T) {
	t.Setenv("WASTE_URL", "") // the command sets it while it runs; put back after
	var out, errOut bytes.Buffer
	code := larderUntil(context.Background(), []string{"bench", "cases",
		"-n", "4", "--concurrency", "2", "--warmup", "2", "--native", "--sample", "2", "--timeout", "3m", "--recipes", recipesDir,
	}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	rows := casesRow.FindAllStringSubmatch(out.String(), -1)
	if len(rows) != 2 || rows[0][1] != "larder missed-bin" || rows[1][1] != "hand-written workflow" {
		t.Fatalf("want a row for Larder then one for the hand-written workflow:\n%s", out.String())
	}
	for _, r := range rows {
		if r[2] != "4" || r[3] != "4" || r[4] != "0" {
			t.Errorf("%s: %s cases, %s closed, %s failed; want 4, 4 and 0", r[1], r[2], r[3], r[4])
		}
		rate, _ := strconv.ParseFloat(r[5], 64)
		p50, err50 := time.ParseDuration(r[6])
		p99, err99 := time.ParseDuration(r[8])
		events, _ := strconv.ParseFloat(r[9], 64)
		if rate <= 0 || err50 != nil || err99 != nil || p99 < p50 || p50 <= 0 {
			t.Errorf("%s: %s cases/s, p50 %s, p99 %s; want some cases a second and p99 at least p50", r[1], r[5], r[6], r[8])
		}
		// A case starts, calls the waste system twice and sends an email:
		// each is several events.
		if events < 10 {
			t.Errorf("%s: %s history events a case, want the events of its three calls", r[1], r[9])
		}
	}
	for _, want := range []string{
		"larder missed-bin outcomes: Missed collection reported 4 (events counted on 2 cases)",
		"hand-written workflow outcomes: Missed collection reported 4 (events counted on 2 cases)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`(?m)^ratio, larder missed-bin cases/s to hand-written workflow cases/s: \d+\.\d\d$`).MatchString(out.String()) {
		t.Errorf("no ratio line:\n%s", out.String())
	}
}

// TestBenchCasesRefusesBadFlags checks larder bench cases says what is
// wrong with its flags before starting anything.
func TestBenchCasesRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no cases", []string{"-n", "0"}, "larder bench cases: -n 0 is below one (use 200)"},
		{"nothing in flight", []string{"--concurrency", "0"}, "larder bench cases: --concurrency 0 is below one (use 20)"},
		{"no time", []string{"--timeout", "0s"}, "larder bench cases: --timeout 0s is not longer than zero (use 10m)"},
		{"a negative warm-up", []string{"--warmup", "-1"}, "larder bench cases: --warmup -1 is below zero (use 20)"},
		{"a negative sample", []string{"--sample", "-1"}, "larder bench cases: --sample -1 is below zero (use 10)"},
		{"no hand-written workflow for the recipe", []string{"--recipe", "bulky-waste", "--native"},
			"larder bench cases: --native has a hand-written workflow for missed-bin only, not bulky-waste"},
		{"a recipe not in the folder", []string{"--recipe", "no-such-service"},
			"larder bench cases: no no-such-service.yaml in --recipes " + recipesDir + ": run from the repository's top folder or give --recipes and --recipe"},
		{"a word that is not a flag", []string{"fast"}, `larder bench cases: takes flags only, not "fast"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"bench", "cases", "--recipes", recipesDir}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, want 2 and %q in standard error, nothing on standard output:\n%s%s", code, tc.want, stdout, stderr)
			}
		})
	}
}

// TestHandWrittenMissedBinEmailsARefusal checks the hand-written workflow
// takes the recipe's path when the waste system refuses the report: it
// emails the resident and ends as not accepted, rather than failing.
func TestHandWrittenMissedBinEmailsARefusal(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(native.Call, mock.Anything, mock.MatchedBy(func(r activities.CallRequest) bool { return r.Operation == "get_property" })).
		Return(map[string]any{"bins": []any{map[string]any{"type": "general"}}}, nil)
	env.OnActivity(native.Call, mock.Anything, mock.MatchedBy(func(r activities.CallRequest) bool { return r.Operation == "report_missed" })).
		Return(nil, temporal.NewNonRetryableApplicationError("a missed general collection has already been reported", activities.RefusedError, nil))
	var sent []mail.Message
	env.OnActivity(native.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, m mail.Message) error {
		sent = append(sent, m)
		return nil
	})
	env.ExecuteWorkflow(handWrittenMissedBin, workflows.CaseInput{Reference: "HW-1", Answers: map[string]any{
		"uprn": "100001000001", "bin_type": "general", "name": "Sam", "email": "sam@example.com",
	}})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the workflow failed: %v", err)
	}
	var outcome string
	if err := env.GetWorkflowResult(&outcome); err != nil || outcome != "Report not accepted" {
		t.Errorf("outcome %q (%v), want Report not accepted", outcome, err)
	}
	if len(sent) != 1 || sent[0].Subject != "Missed bin not reported: HW-1" || !strings.Contains(sent[0].Text, "already been reported") {
		t.Errorf("emails sent %+v, want one refusal saying why", sent)
	}
	env.AssertExpectations(t)
}
