package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// print writes the counts and the checks' verdicts.
func (r *faultRun) print(out io.Writer) {
	o := r.opts
	fmt.Fprintf(out, "larder bench faults: %d missed-bin and %d bulky-waste cases; the waste system fails %s of requests (503), is slow on %s (by %s) and commits then drops %s of writes; seed %d\n\n",
		o.missedBin, o.bulky, pct(o.faults.FailRate), pct(o.faults.SlowRate), o.faults.Latency, pct(o.faults.DropRate), o.seed)

	fmt.Fprintf(out, "%-56s %7s %7s %7s\n", "cases", "started", "closed", "open")
	for _, svc := range []string{missedBinService, bulkyService} {
		var started, closed, open int
		outcomes := map[string]int{}
		for _, c := range r.cases {
			if c.service != svc || c.ref == "" {
				continue
			}
			started++
			if c.closed() {
				closed++
				outcomes[c.view.Outcome]++
			} else {
				open++
			}
		}
		fmt.Fprintf(out, "%-56s %7d %7d %7d\n", svc, started, closed, open)
		for _, oc := range sortedKeys(outcomes) {
			fmt.Fprintf(out, "  %-54s %7s %7d\n", oc, "", outcomes[oc])
		}
	}
	if codes := r.refusals(); len(codes) > 0 {
		fmt.Fprintf(out, "refused by the waste system's rules, by code: %s\n", codes)
	}
	if dup := o.missedBin - r.plan.reportable; dup > 0 {
		fmt.Fprintf(out, "  (the demo data has %d collections open to report; the %d cases beyond repeat one and are refused already_reported)\n", r.plan.reportable, dup)
	}

	c := &r.waste.counts
	fmt.Fprintf(out, "\nwaste system API requests while the cases ran: %d; failed (503) %d, slow %d, write done then connection dropped %d\n",
		c.requests.Load(), c.failed.Load(), c.slow.Load(), c.dropped.Load())
	fmt.Fprintf(out, "submissions sent again after Larder answered 503: %d; payment messages sent again: %d\n", r.submitRetries.Load(), r.hookRetries.Load())

	reported := 0
	for _, cs := range r.cases {
		if cs.service == missedBinService && cs.view.Outcome == outcomeReported {
			reported++
		}
	}
	fmt.Fprintf(out, "missed collections the waste system holds: %d, for %d cases that reported one\n", len(r.missed), reported)
	status := map[string]int{}
	for _, res := range r.reservations {
		status[res.Status]++
	}
	fmt.Fprintf(out, "bulky-waste reservations the waste system holds: %d (confirmed %d, cancelled %d, reserved %d, lapsed %d)\n",
		len(r.reservations), status["confirmed"], status["cancelled"], status["reserved"], status["lapsed"])
	subjects := map[string]int{}
	residents := map[string]bool{}
	for _, e := range r.emails {
		residents[e.to] = true
		for _, s := range []string{subjectReported, subjectBooked, subjectCancelled, subjectPayLink, subjectRefusalPfx} {
			if strings.HasPrefix(e.subject, s) {
				subjects[s]++
			}
		}
	}
	fmt.Fprintf(out, "emails: %d to %d residents: confirmations %d (missed bin reported %d, collection booked %d), cancellations %d, refusals %d, links to pay %d\n",
		len(r.emails), len(residents), subjects[subjectReported]+subjects[subjectBooked], subjects[subjectReported], subjects[subjectBooked],
		subjects[subjectCancelled], subjects[subjectRefusalPfx], subjects[subjectPayLink])

	r.printIncidents(out)
	fmt.Fprintln(out, "\nchecks")
	for _, ch := range r.checks() {
		verdict := "ok    "
		if len(ch.problems) > 0 {
			verdict = "FAILED"
		}
		fmt.Fprintf(out, "  %s %s\n", verdict, ch.name)
		for i, p := range ch.problems {
			if i == 10 {
				fmt.Fprintf(out, "           ... and %d more\n", len(ch.problems)-i)
				break
			}
			fmt.Fprintf(out, "           %s\n", p)
		}
	}
	fmt.Fprintf(out, "took %s\n", seconds(r.took))
}

// refusals counts the missed-bin and bulky-waste refusals by the waste
// system's code, as "already_reported 3, slot_full 1".
func (r *faultRun) refusals() string {
	codes := map[string]int{}
	for _, c := range r.cases {
		step := map[string]string{missedBinService: "raise", bulkyService: "reserve"}[c.service]
		if code := refusalCode(c, step); code != "" && c.closed() {
			codes[code]++
		}
	}
	var parts []string
	for _, k := range sortedKeys(codes) {
		parts = append(parts, fmt.Sprintf("%s %d", k, codes[k]))
	}
	return strings.Join(parts, ", ")
}

// printIncidents says which steps gave up under the faults and left cases
// waiting on staff, with the attempts their recipe allows and how many
// would leave under a 1% chance of one incident in the run.
func (r *faultRun) printIncidents(out io.Writer) {
	type key struct{ service, step string }
	count := map[key]int{}
	sample := map[key]string{}
	var keys []key
	for _, c := range r.cases {
		for _, in := range r.openIncidents(c) {
			k := key{c.service, in.Step}
			if count[k] == 0 {
				keys = append(keys, k)
				sample[k] = in.Error
			}
			count[k]++
		}
	}
	if len(keys) == 0 {
		return
	}
	fmt.Fprintln(out, "\nincidents (cases left waiting on staff):")
	for _, k := range keys {
		fmt.Fprintf(out, "  %s step %s: %d, e.g. %s\n", k.service, k.step, count[k], sample[k])
		rc := recipe.Find(r.larder.cases.Recipes, k.service)
		if rc == nil {
			continue
		}
		i := slices.IndexFunc(rc.AllSteps(), func(s recipe.Step) bool { return s.ID == k.step })
		if i < 0 || rc.AllSteps()[i].Call == nil {
			continue
		}
		call := rc.AllSteps()[i].Call
		attempts := 5 // the interpreter's default
		if call.Retry != nil && call.Retry.MaxAttempts > 0 {
			attempts = call.Retry.MaxAttempts
		}
		// A write fails when answered 503 or when its answer is dropped;
		// a read only when answered 503, so this is the worse of the two.
		p := r.opts.faults.FailRate + (1-r.opts.faults.FailRate)*r.opts.faults.DropRate
		fmt.Fprintf(out, "    %s allows %d attempts; with up to %s of attempts failing, retry.max_attempts %d would leave under a 1%% chance of an incident in %d cases\n",
			call.Operation, attempts, pct(p), attemptsFor(p, len(r.cases)), len(r.cases))
	}
}

// attemptsFor is the fewest attempts that leave under a 1% chance that any
// of n calls fails every attempt, when a share p of attempts fail.
func attemptsFor(p float64, n int) int {
	if p <= 0 || n < 1 {
		return 1
	}
	return int(math.Ceil(math.Log(0.01/float64(n)) / math.Log(p)))
}

// pct writes a share as a percentage, like 30%.
func pct(share float64) string {
	return fmt.Sprintf("%g%%", math.Round(share*1000)/10)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
