package cases_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// enquiryRecipe asks for a name, an email address and a postcode, and
// passes the enquiry to %QUEUE%.
const enquiryRecipe = `id: enquiry
version: "1"
title: Ask the council
reference_prefix: AQ
form:
  pages:
    - id: you
      title: About you
      fields:
        - id: full_name
          type: text
          label: Your name
          validate: required
          example: Sam Resident
        - id: email
          type: email
          label: Email address
          validate: required,email
          sensitive: true
          example: sam@example.com
        - id: postcode
          type: postcode
          label: Postcode
          validate: required,postcode
          example: LR1 1AA
steps:
  - id: answer
    task:
      queue: %QUEUE%
      title: Answer the enquiry
      outcomes:
        - { id: done, label: Done, next: done }
  - id: done
    end:
      outcome: Answered
`

// waitSearch searches until the answer lists want, in order.
func waitSearch(t *testing.T, e *env, q cases.SearchQuery, want ...string) []cases.CaseSummary {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		found, err := e.cases.Search(context.Background(), q)
		var refs []string
		for _, s := range found {
			refs = append(refs, s.Reference)
		}
		if err == nil && slices.Equal(refs, want) {
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %+v: %v, %v; want %v", q, refs, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSearchByEmailPostcodeAndName(t *testing.T) {
	u := unique()
	queue := "enquiries-" + u
	r := parse(t, "enquiry", strings.ReplaceAll(enquiryRecipe, "%QUEUE%", queue))
	e := newEnv(t, r)
	email, surname := "sam."+u+"@example.com", "Resident"+u
	first := e.start(t, r, map[string]any{"full_name": "Sam " + surname, "email": email, "postcode": "LR1 1AA"})
	time.Sleep(10 * time.Millisecond) // a later start
	second := e.start(t, r, map[string]any{"full_name": "Sam  " + surname, "email": email, "postcode": "LR2 3BB"})
	other := e.start(t, r, map[string]any{"full_name": "Alex Other" + u, "email": "alex." + u + "@example.com", "postcode": "LR1 1AA"})
	for _, ref := range []string{first, second, other} {
		e.waitDetail(t, ref, hasOpenTask)
	}

	waitSearch(t, e, cases.SearchQuery{Text: "  " + strings.ToUpper(email) + " "}, second, first)
	waitSearch(t, e, cases.SearchQuery{Text: "sam " + strings.ToLower(surname)}, second, first)
	found := waitSearch(t, e, cases.SearchQuery{Text: surname}, second, first)
	if s := found[0]; s.Service != "enquiry" || s.Status != workflows.StatusRunning || s.StartedAt.IsZero() || s.ClosedAt != nil {
		t.Errorf("summary %+v, want a running enquiry", s)
	}
	waitSearch(t, e, cases.SearchQuery{Text: "lr11aa", Queues: []string{queue}}, other, first)
	waitSearch(t, e, cases.SearchQuery{Text: "LR1 1AA", Queues: []string{queue}, Limit: 1}, other)
	waitSearch(t, e, cases.SearchQuery{Text: strings.ToLower(first)}, first)
	waitSearch(t, e, cases.SearchQuery{Text: first, Queues: []string{queue}}, first)

	// Cases only of the user's queues; none for a user with none.
	for _, queues := range [][]string{{"other-team"}, {}, {queue + "') OR ('a'='a"}} {
		if found, err := e.cases.Search(context.Background(), cases.SearchQuery{Text: email, Queues: queues}); err != nil || len(found) != 0 {
			t.Errorf("search with queues %q: %+v, %v; want nothing", queues, found, err)
		}
		if found, err := e.cases.Search(context.Background(), cases.SearchQuery{Text: first, Queues: queues}); err != nil || len(found) != 0 {
			t.Errorf("search for the reference with queues %q: %+v, %v; want nothing", queues, found, err)
		}
	}
	for _, text := range []string{`x' OR LarderService IS NULL OR 'a'='a`, `back\slash`, "", "Nobody " + u, e.cases.NewReference(r, "")} {
		if found, err := e.cases.Search(context.Background(), cases.SearchQuery{Text: text}); err != nil || len(found) != 0 {
			t.Errorf("search for %q: %+v, %v; want nothing and no error", text, found, err)
		}
	}
}

// TestSearchTermsKeepAnswersOutOfVisibility: what Temporal's visibility
// holds of a case names no answer a resident gave.
func TestSearchTermsKeepAnswersOutOfVisibility(t *testing.T) {
	u := unique()
	r := parse(t, "enquiry", strings.ReplaceAll(enquiryRecipe, "%QUEUE%", "enquiries-"+u))
	e := newEnv(t, r)
	answers := map[string]any{"full_name": "Sam Resident" + u, "email": "sam." + u + "@example.com", "postcode": "LR1 1AA"}
	ref := e.start(t, r, answers)
	d, err := e.cases.Temporal.DescribeWorkflowExecution(context.Background(), ref, "")
	if err != nil {
		t.Fatal(err)
	}
	attrs := d.GetWorkflowExecutionInfo().GetSearchAttributes().String()
	for _, v := range []string{"Resident" + u, "resident" + u, "sam." + u, "LR1 1AA", "LR11AA"} {
		if strings.Contains(attrs, v) {
			t.Errorf("visibility holds %q: %s", v, attrs)
		}
	}
	if n := len(e.cases.SearchTerms(r, answers)); n != 5 {
		t.Errorf("%d search terms, want 5: the email, the postcode, the whole name and its two words", n)
	}
	other := &cases.Client{Secret: []byte("another council")}
	if slices.Equal(other.SearchTerms(r, answers), e.cases.SearchTerms(r, answers)) {
		t.Error("search terms do not depend on the secret, so anyone can hash a guess")
	}
}

// TestSearchSaysHowACaseEnded: a case staff cancelled at an incident is
// cancelled, though Temporal records it as failed.
func TestSearchSaysHowACaseEnded(t *testing.T) {
	sizes := parse(t, "bin-size", binSizeRecipe)
	e := newEnv(t, sizes)
	ctx := context.Background()
	ref := e.start(t, sizes, map[string]any{"litres": "the big one"})
	d := e.waitDetail(t, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) == 1 })
	if _, err := e.cases.ResolveIncident(ctx, ref, workflows.Resolution{IncidentID: d.Incidents[0].ID, Action: workflows.ActionCancel, By: "alex"}); err != nil {
		t.Fatal(err)
	}
	e.waitClosed(t, ref)
	found := waitSearch(t, e, cases.SearchQuery{Text: ref}, ref)
	if s := found[0]; s.Status != workflows.StatusCancelled || s.ClosedAt == nil || s.Service != "bin-size" {
		t.Errorf("summary %+v, want a cancelled bin-size case with when it closed", s)
	}
}
