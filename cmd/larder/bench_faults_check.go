package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"mime"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// What the shipped recipes say when a case ends, and the subjects of the
// emails the checks tell apart.
const (
	outcomeReported   = "Missed collection reported"
	outcomeBooked     = "Collection booked"
	outcomeNotPaid    = "Booking cancelled because we did not receive payment"
	subjectReported   = "Missed bin reported: "
	subjectBooked     = "Bulky waste collection booked: "
	subjectCancelled  = "Bulky waste collection cancelled: "
	subjectPayLink    = "Pay for your bulky waste collection: "
	subjectRefusalPfx = "We could not accept your request: "
)

// The checks, by the names a failure is reported under.
const (
	checkClosed       = "every case closes"
	checkMissedRecord = "one waste record per reported miss"
	checkReservations = "one reservation per booking, none left reserved by a cancelled one"
	checkConfirmation = "one confirmation per resident"
)

// outboxEmail is an email Larder wrote to the outbox folder.
type outboxEmail struct {
	file, to, subject string
}

// collect reads each case's detail, the waste system's records and the
// outbox, for the checks.
func (r *faultRun) collect(ctx context.Context) {
	r.each(func(c *faultCase) {
		if c.ref == "" {
			return
		}
		for try := 0; try < 3; try++ {
			d, err := r.larder.cases.Detail(ctx, c.ref)
			if err == nil {
				c.detail, c.view = &d, d.CaseView
				return
			}
			time.Sleep(time.Second)
		}
	})
	r.missed = r.waste.sim.MissedCollections()
	r.reservations = r.waste.sim.Reservations()
	r.emails, r.outboxErr = readOutbox(r.outbox)
}

// readOutbox reads the recipient and subject of every email in the folder.
func readOutbox(dir string) ([]outboxEmail, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		return nil, err
	}
	var out []outboxEmail
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return out, err
		}
		m, err := netmail.ReadMessage(f)
		if err != nil {
			f.Close()
			return out, fmt.Errorf("%s: %w", filepath.Base(p), err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		to := m.Header.Get("To")
		if a, err := netmail.ParseAddress(to); err == nil {
			to = a.Address
		}
		f.Close()
		out = append(out, outboxEmail{file: filepath.Base(p), to: strings.ToLower(to), subject: subject})
	}
	return out, nil
}

// faultCheck is one check's verdict: no problems is a pass.
type faultCheck struct {
	name     string
	problems []string
}

// stepValue is a value a step of the case recorded, such as steps.raise.id.
func stepValue(c *faultCase, step, key string) string {
	if c.detail == nil {
		return ""
	}
	m, _ := c.detail.Steps[step].(map[string]any)
	v, _ := m[key].(string)
	return v
}

// refusalCode is the code the waste system refused the case's call with.
func refusalCode(c *faultCase, step string) string {
	if c.detail == nil {
		return ""
	}
	m, _ := c.detail.Steps[step].(map[string]any)
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// checks runs every check on what the run left.
func (r *faultRun) checks() []faultCheck {
	return []faultCheck{r.checkClosed(), r.checkMissed(), r.checkReservations(), r.checkConfirmations()}
}

// failedChecks names each check that failed, with its first problem.
func (r *faultRun) failedChecks() []string {
	var out []string
	for _, c := range r.checks() {
		if len(c.problems) > 0 {
			out = append(out, fmt.Sprintf("%s: %s (and %d more)", c.name, c.problems[0], len(c.problems)-1))
		}
	}
	return out
}

func (r *faultRun) checkClosed() faultCheck {
	ch := faultCheck{name: checkClosed}
	for _, c := range r.cases {
		switch {
		case c.notStarted != nil:
			ch.problems = append(ch.problems, fmt.Sprintf("%s case for %s did not start: %v", c.service, c.email, c.notStarted))
		case !c.closed():
			what := fmt.Sprintf("%s is still %s at %v", c.ref, c.view.Status, c.view.CurrentSteps)
			for _, in := range r.openIncidents(c) {
				what += fmt.Sprintf("; incident at step %s: %s", in.Step, in.Error)
			}
			ch.problems = append(ch.problems, what)
		}
	}
	return ch
}

// openIncidents are the case's incidents staff have not resolved.
func (r *faultRun) openIncidents(c *faultCase) []*workflows.Incident {
	if c.detail == nil {
		return nil
	}
	var out []*workflows.Incident
	for _, in := range c.detail.Incidents {
		if in.Resolution == nil {
			out = append(out, in)
		}
	}
	return out
}

func (r *faultRun) checkMissed() faultCheck {
	ch := faultCheck{name: checkMissedRecord}
	claimed := map[string]bool{}
	for _, c := range r.cases {
		if c.service != missedBinService || c.view.Outcome != outcomeReported {
			continue
		}
		id := stepValue(c, "raise", "id")
		n := 0
		for _, m := range r.missed {
			if m.ID == id {
				n++
				if m.UPRN != c.answers["uprn"] || m.BinType != c.answers["bin_type"] {
					ch.problems = append(ch.problems, fmt.Sprintf("%s reported %s, which the waste system holds for %s %s, not %s %s", c.ref, id, m.UPRN, m.BinType, c.answers["uprn"], c.answers["bin_type"]))
				}
			}
		}
		if n != 1 {
			ch.problems = append(ch.problems, fmt.Sprintf("%s reported %q, of which the waste system holds %d records", c.ref, id, n))
		}
		claimed[id] = true
	}
	seen := map[string]string{}
	for _, m := range r.missed {
		if !claimed[m.ID] {
			ch.problems = append(ch.problems, fmt.Sprintf("the waste system holds %s (%s %s) that no case reports", m.ID, m.UPRN, m.BinType))
		}
		k := m.UPRN + " " + m.BinType + " " + m.CollectionDate
		if first, ok := seen[k]; ok {
			ch.problems = append(ch.problems, fmt.Sprintf("%s and %s are the same missed collection (%s)", first, m.ID, k))
		}
		seen[k] = m.ID
	}
	return ch
}

func (r *faultRun) checkReservations() faultCheck {
	ch := faultCheck{name: checkReservations}
	claimed := map[string]bool{}
	for _, c := range r.cases {
		if c.service != bulkyService || c.ref == "" {
			continue
		}
		id := stepValue(c, "reserve", "id")
		if id == "" {
			if c.view.Outcome == outcomeBooked || c.view.Outcome == outcomeNotPaid {
				ch.problems = append(ch.problems, fmt.Sprintf("%s ended %q with no reservation recorded", c.ref, c.view.Outcome))
			}
			continue
		}
		claimed[id] = true
		var held []string
		for _, res := range r.reservations {
			if res.ID != id {
				continue
			}
			held = append(held, res.Status)
			switch {
			case c.view.Outcome == outcomeBooked && (res.Status != "confirmed" || res.PaymentRef != c.paymentRef):
				ch.problems = append(ch.problems, fmt.Sprintf("%s is booked, but reservation %s is %s paid by %q, not confirmed paid by %s", c.ref, id, res.Status, res.PaymentRef, c.paymentRef))
			case c.closed() && c.view.Outcome != outcomeBooked && res.Status != "cancelled":
				ch.problems = append(ch.problems, fmt.Sprintf("%s ended %q, but reservation %s is %s, not cancelled", c.ref, c.view.Outcome, id, res.Status))
			}
		}
		if len(held) != 1 {
			ch.problems = append(ch.problems, fmt.Sprintf("%s holds reservation %s, of which the waste system has %d", c.ref, id, len(held)))
		}
	}
	for _, res := range r.reservations {
		if !claimed[res.ID] {
			ch.problems = append(ch.problems, fmt.Sprintf("reservation %s (%s on %s, %s) belongs to no case", res.ID, res.UPRN, res.Date, res.Status))
		}
	}
	return ch
}

// confirmationSubject is the start of the subject of the email that tells
// the resident the case's outcome, when it is a success.
func confirmationSubject(outcome string) string {
	switch outcome {
	case outcomeReported:
		return subjectReported
	case outcomeBooked:
		return subjectBooked
	}
	return ""
}

func (r *faultRun) checkConfirmations() faultCheck {
	ch := faultCheck{name: checkConfirmation}
	if r.outboxErr != nil {
		ch.problems = append(ch.problems, "the outbox could not be read: "+r.outboxErr.Error())
	}
	byResident := map[string][]outboxEmail{}
	for _, e := range r.emails {
		byResident[e.to] = append(byResident[e.to], e)
	}
	residents := map[string]bool{}
	for _, c := range r.cases {
		residents[c.email] = true
		if !c.closed() {
			continue // counted by checkClosed
		}
		var letters, payLinks []string
		for _, e := range byResident[c.email] {
			if strings.HasPrefix(e.subject, subjectPayLink) {
				payLinks = append(payLinks, e.subject)
			} else {
				letters = append(letters, e.subject)
			}
		}
		want := confirmationSubject(c.view.Outcome)
		switch {
		case len(letters) != 1:
			ch.problems = append(ch.problems, fmt.Sprintf("%s (%s, %q) was sent %d letters, want one: %q", c.email, c.ref, c.view.Outcome, len(letters), letters))
		case want != "" && letters[0] != want+c.ref:
			ch.problems = append(ch.problems, fmt.Sprintf("%s (%s, %q) was sent %q, want its confirmation", c.email, c.ref, c.view.Outcome, letters[0]))
		case want == "" && (strings.HasPrefix(letters[0], subjectReported) || strings.HasPrefix(letters[0], subjectBooked)):
			ch.problems = append(ch.problems, fmt.Sprintf("%s (%s, %q) was sent a confirmation %q", c.email, c.ref, c.view.Outcome, letters[0]))
		}
		if c.service == bulkyService {
			want := 0 // a link to pay goes once a date is held
			if stepValue(c, "reserve", "id") != "" {
				want = 1
			}
			if len(payLinks) != want {
				ch.problems = append(ch.problems, fmt.Sprintf("%s (%s) was sent %d links to pay, want %d", c.email, c.ref, len(payLinks), want))
			}
		}
	}
	for to, es := range byResident {
		if !residents[to] {
			ch.problems = append(ch.problems, fmt.Sprintf("%d emails went to %s, who sent no case", len(es), to))
		}
	}
	return ch
}

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
