package main

import (
	"context"
	"fmt"
	"mime"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/larder-council/larder/workflows"
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
		switch n := len(c.problems); {
		case n == 1:
			out = append(out, c.name+": "+c.problems[0])
		case n > 1:
			out = append(out, fmt.Sprintf("%s: %s (and %d more)", c.name, c.problems[0], n-1))
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
