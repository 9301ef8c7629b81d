package resident

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// largerBin asks why a resident needs a larger bin; a medical need brings
// a page about it, and needing equipment one more; another reason asks
// for it in words, on the form's last page.
const largerBin = `id: larger-bin
version: "1"
title: Ask for a larger bin
reference_prefix: LB
next_steps: >-
  We will look at why you need a larger bin ({{ label(form.reason) }}, {{
  form.reason }}) within 5 working days, {{ form.name }}. Quote {{
  case.reference }} if you call us.
form:
  pages:
    - id: reason
      title: Why do you need a larger bin?
      fields:
        - id: reason
          type: radios
          label: Why do you need a larger bin?
          validate: required
          options:
            - { value: family, label: A bigger family }
            - { value: medical, label: A medical need }
            - { value: other, label: Something else }
          example: family
    - id: medical
      title: Your medical need
      show_if: form.reason == "medical"
      fields:
        - id: medical_kind
          type: radios
          label: What does the medical need involve?
          validate: required
          options:
            - { value: dressings, label: Dressings or nappies }
            - { value: equipment, label: Medical equipment }
          example: dressings
    - id: equipment
      title: The equipment
      show_if: form.reason == "medical" && form.medical_kind == "equipment"
      fields:
        - { id: equipment, type: text, label: Equipment, validate: "required,max=100", example: Dialysis machine }
    - id: contact
      title: Your name
      fields:
        - { id: name, type: text, label: Full name, validate: "required,max=100", example: Sam Resident }
    - id: other
      title: Tell us why
      show_if: form.reason == "other"
      fields:
        - { id: other, type: textarea, label: Tell us why, validate: "required,max=500", example: Lodgers }
steps:
  - id: asked
    end:
      outcome: Request received
`

func serveLargerBin(t *testing.T) (*larder, *fakeCases) {
	t.Helper()
	r, err := recipe.Parse("larger-bin.yaml", []byte(largerBin), nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := &fakeCases{}
	return serve(t, &Handler{Recipes: []*recipe.Recipe{r}, Cases: cases}, 0, nil), cases
}

func largerBinPage(id string) string { return "/services/larger-bin/pages/" + id }

const largerBinCheck = "/services/larger-bin/check"

// TestAPageThatDoesNotApplyRedirects: a page whose show_if does not hold
// for the answers given is not served at its address; the browser is sent
// (303) to the next page that applies, or to check answers when none does
// or the resident came from there, and what is posted to it is not kept.
func TestAPageThatDoesNotApplyRedirects(t *testing.T) {
	l, _ := serveLargerBin(t)
	r := newResident(t, l.URL)

	for _, tc := range []struct{ what, path, want string }{
		{"before any answer", largerBinPage("medical"), largerBinPage("contact")},
		{"a change from check answers", largerBinPage("medical") + "?return=check", largerBinCheck},
		{"the last page", largerBinPage("other"), largerBinCheck},
	} {
		if status, to := r.peek(tc.path); status != http.StatusSeeOther || to != tc.want {
			t.Errorf("%s: %s answered %d to %q, want 303 to %s", tc.what, tc.path, status, to, tc.want)
		}
	}

	r.post(largerBinPage("reason"), url.Values{"reason": {"medical"}})
	if status, _ := r.peek(largerBinPage("medical")); status != http.StatusOK {
		t.Errorf("the medical page once it applies: %d, want 200", status)
	}
	if status, to := r.peek(largerBinPage("equipment")); status != http.StatusSeeOther || to != largerBinPage("contact") {
		t.Errorf("the equipment page before the medical need is told: %d to %q, want 303 to the contact page", status, to)
	}
	if status, to := r.peek(largerBinPage("other")); status != http.StatusSeeOther || to != largerBinCheck {
		t.Errorf("the last page, not applying: %d to %q, want 303 to check answers", status, to)
	}

	// A page left open in another tab, posted once it no longer applies.
	if got := r.post(largerBinPage("reason"), url.Values{"reason": {"family"}}); got.Path != largerBinPage("contact") {
		t.Fatalf("after a family reason, landed on %s", got.Path)
	}
	if got := r.send(largerBinPage("medical"), url.Values{"medical_kind": {"equipment"}, "csrf_token": {r.token}}); got.Path != largerBinPage("contact") {
		t.Errorf("posting a page that does not apply landed on %s, want the next page that does", got.Path)
	}
	r.post(largerBinPage("reason"), url.Values{"reason": {"medical"}})
	mustNotSay(t, "the medical page, after a post while it did not apply", r.get(largerBinPage("medical")), "checked")
}

// TestAChangeReturnsToCheckAnswers: "Change" on check answers comes back
// to check answers, unless the change makes a page apply that has not been
// answered; then that page is asked (and any it brings in turn), and then
// check answers again. A page answered before, hidden and shown again,
// keeps its answers and is not asked again.
func TestAChangeReturnsToCheckAnswers(t *testing.T) {
	l, cases := serveLargerBin(t)
	r := newResident(t, l.URL)
	r.post(largerBinPage("reason"), url.Values{"reason": {"family"}})
	if got := r.post(largerBinPage("contact"), url.Values{"name": {"Sam Resident"}}); got.Path != largerBinCheck {
		t.Fatalf("after the last page that applies, landed on %s", got.Path)
	}
	check := r.get(largerBinCheck)
	mustSay(t, "check answers", check, `href="/services/larger-bin/pages/reason?return=check"`, "A bigger family", "Sam Resident")

	if got := r.post(largerBinPage("contact")+"?return=check", url.Values{"name": {"Sam Jones"}}); got.URL != largerBinCheck {
		t.Errorf("a change that brings no page landed on %s, want check answers", got.URL)
	}

	changed := r.post(largerBinPage("reason")+"?return=check", url.Values{"reason": {"medical"}})
	if changed.URL != largerBinPage("medical")+"?return=check" {
		t.Fatalf("a change that brings the medical page landed on %s", changed.URL)
	}
	// Back goes to the page changed: check answers would only send the
	// resident here again.
	mustSay(t, "the page a change brought", changed, `<a href="/services/larger-bin/pages/reason?return=check" class="govuk-back-link">Back</a>`)

	bad := r.post(largerBinPage("medical")+"?return=check", url.Values{})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("the brought page sent empty: %d, want 422", bad.Status)
	}
	// The brought page brings another in turn, then check answers.
	if got := r.post(largerBinPage("medical")+"?return=check", url.Values{"medical_kind": {"equipment"}}); got.URL != largerBinPage("equipment")+"?return=check" {
		t.Fatalf("a page that brings another landed on %s", got.URL)
	}
	if got := r.post(largerBinPage("equipment")+"?return=check", url.Values{"equipment": {"Dialysis machine"}}); got.URL != largerBinCheck {
		t.Fatalf("after the pages a change brought, landed on %s, want check answers", got.URL)
	}
	mustSay(t, "check answers after the change", r.get(largerBinCheck), "A medical need", "Medical equipment", "Dialysis machine", "Sam Jones")

	// A change that hides pages goes back to check answers, which drops them.
	if got := r.post(largerBinPage("reason")+"?return=check", url.Values{"reason": {"family"}}); got.URL != largerBinCheck {
		t.Fatalf("a change that hides pages landed on %s", got.URL)
	}
	mustNotSay(t, "check answers for a family", r.get(largerBinCheck), "Dialysis machine")
	// Shown again, they keep their answers and are not asked again.
	if got := r.post(largerBinPage("reason")+"?return=check", url.Values{"reason": {"medical"}}); got.URL != largerBinCheck {
		t.Fatalf("a change back to pages answered before landed on %s, want check answers", got.URL)
	}
	mustSay(t, "check answers for a medical need again", r.get(largerBinCheck), "Medical equipment", "Dialysis machine")

	// A change that brings the last page: asked, then check answers.
	if got := r.post(largerBinPage("reason")+"?return=check", url.Values{"reason": {"other"}}); got.URL != largerBinPage("other")+"?return=check" {
		t.Fatalf("a change that brings the last page landed on %s", got.URL)
	}
	if got := r.post(largerBinPage("other")+"?return=check", url.Values{"other": {"Lodgers"}}); got.URL != largerBinCheck {
		t.Fatalf("after the last page, landed on %s", got.URL)
	}
	done := r.post(largerBinCheck, url.Values{})
	if !regexp.MustCompile(`LB-[A-Z0-9]{4}-[A-Z0-9]{4}`).MatchString(done.Body) {
		t.Fatalf("no reference on %s:\n%s", done.Path, done.Body)
	}
	started := cases.Started()
	if len(started) != 1 {
		t.Fatalf("%d cases started, want 1", len(started))
	}
	if a := started[0].Answers; a["reason"] != "other" || a["other"] != "Lodgers" || a["medical_kind"] != nil || a["equipment"] != nil {
		t.Errorf("the case got answers %v", a)
	}
}

// TestCheckAnswersAsksForWhatIsMissing: check answers with a page still to
// answer sends the resident to it and, once it is answered, back to check
// answers rather than on through pages already answered.
func TestCheckAnswersAsksForWhatIsMissing(t *testing.T) {
	l, _ := serveLargerBin(t)
	r := newResident(t, l.URL)
	r.post(largerBinPage("reason"), url.Values{"reason": {"medical"}})
	r.post(largerBinPage("medical"), url.Values{"medical_kind": {"dressings"}})
	r.post(largerBinPage("contact"), url.Values{"name": {"Sam Resident"}})
	// Another tab changes the medical need: the equipment page now applies.
	r.post(largerBinPage("medical"), url.Values{"medical_kind": {"equipment"}})
	got := r.get(largerBinCheck)
	if got.URL != largerBinPage("equipment")+"?return=check" {
		t.Fatalf("check answers with the equipment missing went to %s", got.URL)
	}
	mustSay(t, "the page check answers asked for", got, `<a href="/services/larger-bin/pages/medical?return=check" class="govuk-back-link">Back</a>`)
	if got := r.post(largerBinPage("equipment")+"?return=check", url.Values{"equipment": {"Hoist"}}); got.URL != largerBinCheck {
		t.Fatalf("after the missing page, landed on %s, want check answers", got.URL)
	}
}

// TestNextStepsSpeakOfTheAnswers: the confirmation's "what happens next"
// is next_steps written for the answers sent and the case's reference,
// escaped as text; anyone else opening the confirmation's address does not
// read the resident's answers.
func TestNextStepsSpeakOfTheAnswers(t *testing.T) {
	l, _ := serveLargerBin(t)
	r := newResident(t, l.URL)
	r.post(largerBinPage("reason"), url.Values{"reason": {"family"}})
	r.post(largerBinPage("contact"), url.Values{"name": {"Jo <b>Bloggs</b>"}})
	done := r.post(largerBinCheck, url.Values{})
	ref := regexp.MustCompile(`LB-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(done.Body)
	if ref == "" {
		t.Fatalf("no reference on %s:\n%s", done.Path, done.Body)
	}
	want := "We will look at why you need a larger bin (A bigger family, family) within 5 working days, Jo &lt;b&gt;Bloggs&lt;/b&gt;. Quote " + ref + " if you call us."
	mustSay(t, "the confirmation", done, "What happens next", want)
	mustNotSay(t, "the confirmation", done, "<b>Bloggs", "{{")
	mustSay(t, "the confirmation again", r.get(done.Path), want)

	other := newResident(t, l.URL).get(done.Path)
	mustSay(t, "someone else's view of the confirmation", other, ref)
	mustNotSay(t, "someone else's view of the confirmation", other, "Bloggs", "What happens next", "{{")

	// A next_steps with no expressions is the same for everyone.
	plain := serve(t, &Handler{}, 0, nil)
	stranger := newResident(t, plain.URL).get("/services/missed-bin/done/MB-7K4Q-2PXD")
	mustSay(t, "a plain next_steps", stranger, "What happens next", "A crew will return to empty your")
	if strings.Contains(stranger.Body, "{{") {
		t.Error("a plain next_steps shows braces")
	}
}
