// Package bpmn writes a recipe's steps as a BPMN 2.0 process, with a
// diagram, for Camunda Modeler, bpmn-js and anyone who reads BPMN: each
// step is one element whose id is the step id, and what BPMN needs beside
// the steps (a start event, joins, catch and boundary events, undo
// handlers) has an id made from its step's with a dash, which no step id
// has.
//
// Steps map to elements as the recipe language says: call to a service
// task (its on_error an error boundary event, its undo a compensation
// boundary event and a service task for compensation), email to a send
// task, task to a user task (its outcomes through an exclusive gateway,
// its escalation a non-interrupting timer boundary event), decide to an
// exclusive gateway (otherwise its default flow), parallel to a parallel
// gateway and its join, wait to a timer or message catch event (an
// event-based gateway when it waits for more than one), set to a script
// task, subrecipe to a call activity, end to an end event and fail to an
// error end event. A task or event that more than one flow leads to has
// an exclusive gateway before it, as bpmnlint's rules ask.
package bpmn

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// Write writes the recipe's steps as BPMN 2.0 XML to w. The recipe should
// be one the loader took; the same recipe always gives the same bytes.
func Write(w io.Writer, r *recipe.Recipe) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(document(build(r), r.Title)); err != nil {
		return fmt.Errorf("write bpmn: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// duration is d as a designer writes it: 168h, 1h30m, 30s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// isoDuration is d in ISO 8601, as BPMN timers take it: PT168H, PT1H30M.
func isoDuration(d time.Duration) string {
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	s := d % time.Minute
	out := "PT"
	if h > 0 {
		out += fmt.Sprintf("%dH", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dM", m)
	}
	if s > 0 || out == "PT" {
		out += strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.9f", s.Seconds()), "0"), ".") + "S"
	}
	return out
}

// period is an escalation's period as a designer writes it.
func period(p recipe.Period) string {
	if p.WorkingDays != 0 {
		return p.String()
	}
	return duration(p.Duration)
}

// isoPeriod is a period for a timer: ISO 8601 for a length of time; ISO
// 8601 has no working days, so those stay as Larder counts them ("3
// working days").
func isoPeriod(p recipe.Period) string {
	if p.WorkingDays != 0 {
		return p.String()
	}
	return isoDuration(p.Duration)
}
