package designer

import (
	"fmt"
	"strings"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// stepRow is one row of the steps table: what a step is, what it does and
// where it leads, the same things the diagram draws.
type stepRow struct {
	ID, Kind, Element, Title string
	// In names the parallel branch the step runs in, or "".
	In string
	// Does says what the step does, a line each.
	Does []string
	// Routes are the ways out of the step.
	Routes []route
}

// route is one way out of a step: when it is taken and the step it leads
// to; To is "" for a way that leads to no step (the end of a branch).
type route struct{ When, To string }

// stepRows lists every step, those inside parallel branches too, in file
// order.
func stepRows(r *recipe.Recipe) []stepRow {
	in := map[string]string{}
	var mark func(steps []recipe.Step)
	mark = func(steps []recipe.Step) {
		for _, s := range steps {
			if s.Parallel == nil {
				continue
			}
			for i, b := range s.Parallel.Branches {
				for _, bs := range b.Steps {
					in[bs.ID] = fmt.Sprintf("branch %d of %s", i+1, s.ID)
				}
				mark(b.Steps)
			}
		}
	}
	mark(r.Steps)
	var rows []stepRow
	for _, s := range r.AllSteps() {
		row := describe(s)
		row.ID, row.Kind, row.Title, row.In = s.ID, s.Kind(), s.Title, in[s.ID]
		if s.Next == "" && in[s.ID] != "" && len(row.Routes) == 0 {
			row.Routes = []route{{When: "Ends the branch"}}
		}
		rows = append(rows, row)
	}
	return rows
}

// then is the route to a step's next, when it has one.
func then(when, next string) []route {
	if next == "" {
		return nil
	}
	return []route{{When: when, To: next}}
}

// describe says what a step does and where it leads, by its kind.
func describe(s recipe.Step) stepRow {
	switch {
	case s.Call != nil:
		c := s.Call
		row := stepRow{Element: "Service task", Does: []string{"Calls " + c.Connector + "." + c.Operation}}
		row.Does = append(row.Does, inputs(c.Input)...)
		if c.Timeout > 0 {
			row.Does = append(row.Does, "Each attempt times out after "+duration(c.Timeout))
		}
		if c.Retry != nil && c.Retry.MaxAttempts > 0 {
			row.Does = append(row.Does, fmt.Sprintf("Tries at most %d times when the system is out", c.Retry.MaxAttempts))
		}
		if c.Undo != nil {
			row.Does = append(row.Does, "Undone by "+c.Connector+"."+c.Undo.Operation+" if the case later fails or is cancelled")
		}
		row.Routes = then("Done", s.Next)
		if c.OnError != "" {
			row.Routes = append(row.Routes, route{When: "Refused (error boundary event)", To: c.OnError})
		}
		return row
	case s.Email != nil:
		e := s.Email
		does := []string{}
		if e.Template != "" {
			does = append(does, "Uses the email template "+e.Template)
		}
		if e.Subject != "" {
			does = append(does, "Subject: "+e.Subject)
		}
		if e.To != "" {
			does = append(does, "To: "+e.To)
		}
		return stepRow{Element: "Send task", Does: append([]string{"Sends an email"}, does...), Routes: then("Sent", s.Next)}
	case s.Task != nil:
		t := s.Task
		row := stepRow{Element: "User task", Does: []string{"Opens a task for the " + t.Queue + " queue: " + t.Title}}
		if !t.Due.IsZero() {
			row.Does = append(row.Does, "Due within "+period(t.Due))
		}
		if e := t.Escalate; e != nil {
			what := "escalates"
			if e.Queue != "" {
				what += ", moving to the " + e.Queue + " queue"
			}
			if e.Email != nil {
				what += ", sending an email"
			}
			row.Does = append(row.Does, "If still open after "+period(e.After)+", "+what+" (timer boundary event)")
		}
		for _, f := range t.Fields {
			row.Does = append(row.Does, "Staff answer: "+f.Label+" ("+f.Type+")")
		}
		for _, o := range t.Outcomes {
			row.Routes = append(row.Routes, route{When: "Outcome " + o.Label + " (" + o.ID + ")", To: o.Next})
		}
		return row
	case s.Decide != nil:
		row := stepRow{Element: "Exclusive gateway", Does: []string{"Takes the first branch whose condition holds"}}
		for _, b := range s.Decide.Branches {
			row.Routes = append(row.Routes, route{When: "When " + b.When, To: b.Next})
		}
		row.Routes = append(row.Routes, then("Otherwise", s.Decide.Otherwise)...)
		return row
	case s.Parallel != nil:
		n := len(s.Parallel.Branches)
		row := stepRow{Element: "Parallel gateway", Does: []string{fmt.Sprintf("Runs %d branches at the same time and carries on when all are done", n)}}
		for i, b := range s.Parallel.Branches {
			if len(b.Steps) > 0 {
				row.Routes = append(row.Routes, route{When: fmt.Sprintf("Branch %d starts", i+1), To: b.Steps[0].ID})
			}
		}
		row.Routes = append(row.Routes, then("All done", s.Next)...)
		return row
	case s.Wait != nil:
		return describeWait(s)
	case s.Set != nil:
		row := stepRow{Element: "Script task"}
		for _, k := range recipe.SortedKeys(*s.Set) {
			row.Does = append(row.Does, "Sets vars."+k+" to "+(*s.Set)[k])
		}
		row.Routes = then("Done", s.Next)
		return row
	case s.Subrecipe != nil:
		sr := s.Subrecipe
		row := stepRow{Element: "Call activity", Does: []string{"Runs the recipe " + sr.Recipe + " as a child case"}}
		row.Does = append(row.Does, inputs(sr.Input)...)
		row.Routes = then("Child case done", s.Next)
		if sr.OnError != "" {
			row.Routes = append(row.Routes, route{When: "Child case fails", To: sr.OnError})
		}
		return row
	case s.End != nil:
		return stepRow{Element: "End event", Does: []string{"Closes the case: " + s.End.Outcome}}
	case s.Fail != nil:
		row := stepRow{Element: "Error end event", Does: []string{"Closes the case as failed: " + s.Fail.Outcome}}
		if s.Fail.Reason != "" {
			row.Does = append(row.Does, "Reason for staff: "+s.Fail.Reason)
		}
		return row
	}
	return stepRow{}
}

// describeWait says what a wait step waits for.
func describeWait(s recipe.Step) stepRow {
	w := s.Wait
	var does []string
	timer := w.For > 0 || w.Until != ""
	if w.For > 0 {
		does = append(does, "Waits "+duration(w.For))
	}
	if w.Until != "" {
		does = append(does, "Waits until "+w.Until)
	}
	if w.Message != "" {
		m := "Waits for the message " + w.Message
		if w.Correlation != "" {
			m += " carrying " + w.Correlation
		}
		does = append(does, m)
	}
	row := stepRow{Does: does}
	switch {
	case timer && w.Message != "":
		row.Element = "Event-based gateway"
		row.Does = append(row.Does, "Whichever comes first")
		row.Routes = then("Time is up", s.Next)
	case timer:
		row.Element = "Timer catch event"
		row.Routes = then("Time is up", s.Next)
	default:
		row.Element = "Message catch event"
	}
	if w.Message != "" {
		next := w.OnMessage
		if next == "" {
			next = s.Next
		}
		row.Routes = append(row.Routes, then("Message "+w.Message+" arrives", next)...)
	}
	return row
}

// inputs are a call's or child case's inputs, one line each, in key order.
func inputs(in map[string]string) []string {
	var out []string
	for _, k := range recipe.SortedKeys(in) {
		out = append(out, "Input "+k+": "+in[k])
	}
	return out
}

// period is how long, as a designer writes it: 48h, 1h30m, 3 working days.
func period(p recipe.Period) string {
	if p.WorkingDays != 0 {
		return p.String()
	}
	return duration(p.Duration)
}

// duration is d as a designer writes it: 2d, 48h, 1h30m, 10s.
func duration(d time.Duration) string {
	if d >= recipe.Day && d%recipe.Day == 0 {
		return fmt.Sprintf("%dd", d/recipe.Day)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
