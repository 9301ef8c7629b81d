package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// TestBenchFaultsSmall runs larder bench faults as an operator would, at a
// tiny scale: the cases close, the checks pass and the counts are printed.
func TestBenchFaultsSmall(t *testing.T) {
	t.Setenv("WASTE_URL", "") // the command sets it while it runs; put back after
	var out, errOut bytes.Buffer
	code := larderUntil(context.Background(), []string{"bench", "faults",
		"--missed-bin", "4", "--bulky", "2", "--payment-failed", "0.5",
		"--fail-rate", "0.3", "--slow-rate", "0.1", "--latency", "50ms", "--drop-rate", "0.2",
		"--seed", "7", "--timeout", "3m", "--recipes", recipesDir,
	}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"missed-bin                                                     4       4       0",
		"bulky-waste                                                    2       2       0",
		"Collection booked                                                    1",
		"Booking cancelled because we did not receive payment                 1",
		"bulky-waste reservations the waste system holds: 2 (confirmed 1, cancelled 1, reserved 0, lapsed 0)",
		"ok     every case closes", "ok     one confirmation per resident",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q:\n%s", want, out.String())
		}
	}
	m := regexp.MustCompile(`failed \(503\) (\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the output lacks the waste system's counts:\n%s", out.String())
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("no request failed, so the run tried nothing:\n%s", out.String())
	}
}

// TestBenchFaultsRefusesBadFlags: a wrong flag stops the run before it
// starts anything, saying which and what to use.
func TestBenchFaultsRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--fail-rate", "1.5"},
		{"--slow-rate", "0.1", "--latency", "0s"},
		{"--missed-bin", "0", "--bulky", "0"},
		{"--payment-failed", "-1"},
		{"--recipes", t.TempDir()},
	} {
		var out, errOut bytes.Buffer
		if code := larderUntil(context.Background(), append([]string{"bench", "faults"}, args...), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "larder bench faults:") {
			t.Errorf("%v: exit %d, %q; want 2 and the flag named", args, code, errOut.String())
		}
	}
}

// faultyCases is a run's cases as the checks read them: a missed bin
// reported as MC-000001 and a booking cancelled for want of payment.
func faultyCases() *faultRun {
	reported := &faultCase{service: missedBinService, email: "a@example.com", answers: map[string]any{"uprn": "100001000001", "bin_type": "general"}, ref: "MB-1",
		view: workflows.CaseView{Status: workflows.StatusCompleted, Outcome: outcomeReported}}
	reported.detail = &workflows.CaseDetail{CaseView: reported.view, Steps: map[string]any{"raise": map[string]any{"id": "MC-000001"}}}
	cancelled := &faultCase{service: bulkyService, email: "b@example.com", ref: "BW-1",
		view: workflows.CaseView{Status: workflows.StatusFailed, Outcome: outcomeNotPaid}}
	cancelled.detail = &workflows.CaseDetail{CaseView: cancelled.view, Steps: map[string]any{"reserve": map[string]any{"id": "BW-000001"}}}
	return &faultRun{
		cases:        []*faultCase{reported, cancelled},
		missed:       []wastesim.MissedCollection{{ID: "MC-000001", UPRN: "100001000001", BinType: "general", CollectionDate: "2026-11-26"}},
		reservations: []wastesim.Reservation{{ID: "BW-000001", UPRN: "100001000002", Date: "2026-12-03", Status: "cancelled"}},
		emails: []outboxEmail{
			{to: "a@example.com", subject: subjectReported + "MB-1"},
			{to: "b@example.com", subject: subjectPayLink + "BW-1"},
			{to: "b@example.com", subject: subjectCancelled + "BW-1"},
		},
	}
}

// TestBenchFaultsChecksNameWhatWentWrong: each check passes on a run that
// went right and fails, by its name, on one that did not.
func TestBenchFaultsChecksNameWhatWentWrong(t *testing.T) {
	if failed := faultyCases().failedChecks(); len(failed) > 0 {
		t.Fatalf("a run that went right failed %v", failed)
	}
	for _, tc := range []struct {
		name  string
		spoil func(r *faultRun)
		check string
	}{
		{"a case still open", func(r *faultRun) { r.cases[0].view.Status = workflows.StatusRunning }, checkClosed},
		{"a case never started", func(r *faultRun) {
			r.cases[1].ref, r.cases[1].notStarted, r.cases[1].detail = "", context.DeadlineExceeded, nil
			r.cases[1].view = workflows.CaseView{}
			r.reservations, r.emails = nil, r.emails[:1]
		}, checkClosed},
		{"the miss recorded twice", func(r *faultRun) {
			r.missed = append(r.missed, wastesim.MissedCollection{ID: "MC-000002", UPRN: "100001000001", BinType: "general", CollectionDate: "2026-11-26"})
		}, checkMissedRecord},
		{"a reported miss with no record", func(r *faultRun) { r.missed = nil }, checkMissedRecord},
		{"a cancelled booking still reserved", func(r *faultRun) { r.reservations[0].Status = "reserved" }, checkReservations},
		{"a reservation of no case", func(r *faultRun) {
			r.reservations = append(r.reservations, wastesim.Reservation{ID: "BW-000002", Status: "reserved"})
		}, checkReservations},
		{"two confirmations", func(r *faultRun) {
			r.emails = append(r.emails, outboxEmail{to: "a@example.com", subject: subjectReported + "MB-1"})
		}, checkConfirmation},
		{"a confirmation for a cancelled booking", func(r *faultRun) { r.emails[2].subject = subjectBooked + "BW-1" }, checkConfirmation},
		{"no link to pay", func(r *faultRun) { r.emails = slices.Delete(r.emails, 1, 2) }, checkConfirmation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := faultyCases()
			tc.spoil(r)
			failed := r.failedChecks()
			if len(failed) != 1 || !strings.HasPrefix(failed[0], tc.check+": ") {
				t.Errorf("failed checks %q, want only %q", failed, tc.check)
			}
		})
	}
}

// TestAttemptsFor: the attempts suggested for a step that gave up leave
// under a 1% chance of any incident in the run.
func TestAttemptsFor(t *testing.T) {
	for _, tc := range []struct {
		p    float64
		n    int
		want int
	}{{0.3, 250, 9}, {0.335, 250, 10}, {0.5, 1, 7}, {0, 250, 1}} {
		if got := attemptsFor(tc.p, tc.n); got != tc.want {
			t.Errorf("attemptsFor(%g, %d) = %d, want %d", tc.p, tc.n, got, tc.want)
		}
	}
}
