package staff

import (
	"strings"
	"time"

	"github.com/larder-council/larder/workflows"
)

// caseEvent is one line of a case's history as staff read it.
type caseEvent struct {
	// At is when it happened.
	At time.Time
	// Title says what happened: "Form submitted", "Email sent to
	// s***@example.com", "Task completed by Pat Jones: Date agreed".
	Title string
	// Result is what a call answered, in short: "waste report_missed:
	// ref MC-000123".
	Result string
	// Problem is the real error behind a step that went wrong, for staff.
	Problem string
}

// caseTimeline turns a case's events into what staff read, oldest first; name
// gives the name of a user by username (the username itself when unknown).
func caseTimeline(events []workflows.Event, name func(username string) string) []caseEvent {
	out := make([]caseEvent, 0, len(events))
	for _, ev := range events {
		e := caseEvent{At: ev.At, Title: ev.Note, Result: ev.Result}
		detail := strings.TrimSpace(ev.Detail)
		switch {
		case ev.Kind == "submitted":
			e.Title = "Form submitted"
		case ev.Kind == "email" && strings.HasPrefix(detail, "to "):
			// The email step's detail is its masked recipient.
			e.Title = ev.Note + " " + detail
			detail = ""
		case ev.Kind == "task" && strings.HasPrefix(ev.Note, "Decided: ") && ev.By != "":
			e.Title = "Task completed by " + name(ev.By) + ": " + strings.TrimPrefix(ev.Note, "Decided: ")
		case ev.Kind == "incident" && strings.HasPrefix(ev.Note, "Resolved: ") && ev.By != "":
			e.Title = "Incident resolved by " + name(ev.By) + ": " + strings.TrimPrefix(ev.Note, "Resolved: ")
		case ev.By != "" && !strings.Contains(ev.Note, ev.By):
			e.Title = ev.Note + " (" + name(ev.By) + ")"
		}
		e.Problem = detail
		out = append(out, e)
	}
	return out
}

// submittedAt is when the case's form was submitted, or zero.
func submittedAt(events []workflows.Event) time.Time {
	for _, ev := range events {
		if ev.Kind == "submitted" {
			return ev.At
		}
	}
	return time.Time{}
}
