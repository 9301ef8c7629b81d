package resident

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
)

// page renders one resident page with the council's layout, as the
// handler does.
func page(t *testing.T, name, title string, hasErrors bool, data any) string {
	t.Helper()
	return pageFor(t, web.Branding{CouncilName: "Larchester Council"}, name, title, hasErrors, data)
}

func pageFor(t *testing.T, b web.Branding, name, title string, hasErrors bool, data any) string {
	t.Helper()
	site, err := web.NewSite(b, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ps, err := site.Pages(templateFS, pageNames...)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := ps.Execute(&out, name, title, hasErrors, data); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return out.String()
}

func mustContain(t *testing.T, text string, want ...string) {
	t.Helper()
	missing := false
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %s", w)
			missing = true
		}
	}
	if missing {
		t.Logf("page:\n%s", text)
	}
}

func mustNotContain(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Errorf("page should not have %s", w)
		}
	}
}

// field is a question as the journey hands it to question.html.
func field(id, typ, label string, extra map[string]any) map[string]any {
	f := map[string]any{"Field": map[string]any{"ID": id, "Type": typ, "Label": label}}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

var bins = []map[string]any{{"Value": "general", "Label": "General waste"}, {"Value": "recycling", "Label": "Recycling (blue bin)"}}

func TestQuestionPageWithEveryFieldType(t *testing.T) {
	fields := []map[string]any{
		field("name", "text", "Full name", map[string]any{"Value": `"><script>alert(1)</script>`}),
		field("email", "email", "Email address", map[string]any{"Error": "Enter an email address in the correct format, like name@example.com",
			"Hint": "We will send your reference here", "Describedby": "email-hint email-error"}),
		field("phone", "phone", "Phone number", nil),
		field("bags", "number", "Number of bags", nil),
		field("postcode", "postcode", "Postcode", nil),
		field("details", "textarea", "What happened", map[string]any{"Value": "line one\nline two"}),
		field("bin", "radios", "Which bin", map[string]any{"Options": bins, "Value": "recycling"}),
		field("assisted", "yesno", "Do you have an assisted collection?", map[string]any{"Value": "no"}),
		field("bins", "checkboxes", "Which bins were missed", map[string]any{"Options": bins, "Values": []string{"general"}}),
		field("ward", "select", "Ward", map[string]any{"Options": bins, "Value": "general"}),
		field("when", "date", "When was it missed", map[string]any{"Day": "31", "Month": "2", "Year": "2026",
			"Error": "When was it missed must be a real date", "Describedby": " when-error"}),
		field("uprn", "address", "Address", map[string]any{"LookupFailed": "We could not find any addresses for that postcode."}),
		field("photo", "file", "Photo", map[string]any{"FileName": "bin.jpg", "Field": map[string]any{"ID": "photo", "Type": "file", "Label": "Photo", "Accept": []string{"image/jpeg", "application/pdf"}}}),
	}
	html := page(t, "question", "About the collection", true, map[string]any{
		"Page": map[string]any{"Title": "About the collection", "Blocks": []map[string]any{
			{"Heading": "Before you start"},
			{"Paragraph": "First paragraph.\n\nSecond paragraph."},
			{"Inset": "Bins must be out by 7am."},
			{"Details": map[string]any{"Summary": "What counts as missed", "Text": "A bin left out by 7am."}},
		}},
		"Fields": fields,
		"Errors": []map[string]any{
			{"Field": "email", "Message": "Enter an email address in the correct format, like name@example.com"},
			{"Field": "when", "Message": "When was it missed must be a real date"},
		},
		"CSRF": "token-123", "Back": "/services/missed-bin", "SaveURL": "/services/missed-bin/save",
	})

	mustContain(t, html,
		"<title>Error: About the collection – Larchester Council</title>",
		`<a href="/services/missed-bin" class="govuk-back-link">Back</a>`,
		`<div class="govuk-error-summary" data-module="govuk-error-summary">`,
		`<a href="#email">Enter an email address in the correct format, like name@example.com</a>`,
		`<a href="#when-day">When was it missed must be a real date</a>`,
		`<h1 class="govuk-heading-l">About the collection</h1>`,
		`<h2 class="govuk-heading-m">Before you start</h2>`,
		`<p class="govuk-body">First paragraph.</p>`, `<p class="govuk-body">Second paragraph.</p>`,
		`<div class="govuk-inset-text">`,
		`<span class="govuk-details__summary-text">What counts as missed</span>`,
		`enctype="multipart/form-data"`,
		`name="csrf_token" value="token-123"`,
		// text, escaped
		`<label class="govuk-label govuk-label--s" for="name">Full name</label>`,
		`value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`,
		// email with its hint and error
		`<div class="govuk-form-group govuk-form-group--error">`,
		`<div id="email-hint" class="govuk-hint">We will send your reference here</div>`,
		`<p id="email-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Enter an email`,
		`class="govuk-input govuk-input--error" id="email" name="email" type="email" autocomplete="email" spellcheck="false" value="" aria-describedby="email-hint email-error">`,
		`id="phone" name="phone" type="tel" autocomplete="tel"`,
		`class="govuk-input govuk-input--width-10" id="bags" name="bags" type="text" inputmode="numeric"`,
		`class="govuk-input govuk-input--width-10" id="postcode" name="postcode" type="text" autocomplete="postal-code"`,
		"<textarea class=\"govuk-textarea\" id=\"details\" name=\"details\" rows=\"5\">line one\nline two</textarea>",
		// radios: first item carries the field's id so error links land on it
		`<input class="govuk-radios__input" id="bin" name="bin" type="radio" value="general">`,
		`<input class="govuk-radios__input" id="bin-2" name="bin" type="radio" value="recycling" checked>`,
		`<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Which bin</legend>`,
		`<div class="govuk-radios govuk-radios--inline" data-module="govuk-radios">`,
		`id="assisted-2" name="assisted" type="radio" value="no" checked>`,
		`<input class="govuk-checkboxes__input" id="bins" name="bins" type="checkbox" value="general" checked>`,
		`<input class="govuk-checkboxes__input" id="bins-2" name="bins" type="checkbox" value="recycling">`,
		`<select class="govuk-select" id="ward" name="ward">`,
		`<option value="general" selected>General waste</option>`,
		// date
		`<fieldset class="govuk-fieldset" role="group" aria-describedby=" when-error">`,
		`<div class="govuk-date-input" id="when">`,
		`id="when-day" name="when-day" type="text" inputmode="numeric" value="31">`,
		`id="when-month" name="when-month" type="text" inputmode="numeric" value="2">`,
		`class="govuk-input govuk-date-input__input govuk-input--width-4 govuk-input--error" id="when-year" name="when-year" type="text" inputmode="numeric" value="2026">`,
		`<p class="govuk-body">We could not find any addresses for that postcode.</p>`,
		// file
		`<input class="govuk-file-upload" id="photo" name="photo" type="file" accept="image/jpeg,application/pdf" aria-describedby=" photo-current">`,
		`You have attached <strong>bin.jpg</strong>`,
		`<button type="submit" class="govuk-button" data-module="govuk-button">Continue</button>`,
		`<button type="submit" name="save" value="1" class="govuk-button govuk-button--secondary" data-module="govuk-button">Save and come back later</button>`,
	)
	mustNotContain(t, html, "<script>alert", "<no value>")
}

func TestOneQuestionIsThePageHeading(t *testing.T) {
	text := page(t, "question", "What is your postcode?", false, map[string]any{
		"Page":   map[string]any{"Title": "What is your postcode?"},
		"Fields": []map[string]any{field("postcode", "postcode", "Postcode", map[string]any{"Value": "LR1 1AA"})},
		"CSRF":   "t", "Back": "/services/missed-bin",
	})
	mustContain(t, text,
		"<title>What is your postcode? – Larchester Council</title>",
		"<h1 class=\"govuk-label-wrapper\">\n          <label class=\"govuk-label govuk-label--l\" for=\"postcode\">What is your postcode?</label>\n        </h1>",
		`value="LR1 1AA"`,
		`<form method="post" novalidate>`,
	)
	mustNotContain(t, text, "Error:", "govuk-error-summary", `class="govuk-heading-l"`, "multipart")

	radios := page(t, "question", "Which bin was missed?", false, map[string]any{
		"Page":   map[string]any{"Title": "Which bin was missed?"},
		"Fields": []map[string]any{field("bin", "radios", "Bin", map[string]any{"Options": bins})},
	})
	mustContain(t, radios,
		"<legend class=\"govuk-fieldset__legend govuk-fieldset__legend--l\">\n            <h1 class=\"govuk-fieldset__heading\">Which bin was missed?</h1>\n          </legend>")

	// Content before the question makes the title the heading instead.
	withBlocks := page(t, "question", "Your report", false, map[string]any{
		"Page":   map[string]any{"Title": "Your report", "Blocks": []map[string]any{{"Paragraph": "Tell us what happened."}}},
		"Fields": []map[string]any{field("details", "textarea", "What happened", nil)},
	})
	mustContain(t, withBlocks, `<h1 class="govuk-heading-l">Your report</h1>`,
		`<label class="govuk-label govuk-label--m" for="details">What happened</label>`)
}

func TestCheckDoneTrackPages(t *testing.T) {
	check := page(t, "check", "Check your answers", false, map[string]any{
		"Rows": []map[string]any{
			{"Label": "Name", "Value": "Jo <b>Bloggs</b>", "Change": "/services/missed-bin/pages/contact?return=check"},
			{"Label": "Phone", "Value": "", "Change": "/services/missed-bin/pages/contact?return=check"},
		},
		"CSRF": "t",
	})
	mustContain(t, check,
		`<dl class="govuk-summary-list`,
		`<dt class="govuk-summary-list__key">Name</dt>`,
		`<dd class="govuk-summary-list__value larder-answer">Jo &lt;b&gt;Bloggs&lt;/b&gt;</dd>`,
		`<a class="govuk-link" href="/services/missed-bin/pages/contact?return=check">Change<span class="govuk-visually-hidden"> name</span></a>`,
		`>Not answered</dd>`,
		`data-prevent-double-click="true"`,
	)
	mustNotContain(t, check, "<b>Bloggs")

	done := page(t, "done", "Report a missed bin: sent", false, map[string]any{
		"Recipe":    map[string]any{"Title": "Report a missed bin"},
		"Reference": "MB-7K4Q-2PXD",
		"NextSteps": "We will come back within 2 working days.",
	})
	mustContain(t, done,
		`<div class="govuk-panel govuk-panel--confirmation">`,
		`<h1 class="govuk-panel__title">Report a missed bin: sent</h1>`,
		`<strong>MB-7K4Q-2PXD</strong>`,
		`<p class="govuk-body">We will come back within 2 working days.</p>`,
		`href="/track/MB-7K4Q-2PXD"`,
	)

	at := time.Date(2026, 7, 1, 13, 5, 0, 0, time.UTC)
	track := page(t, "track", "Progress of MB-7K4Q-2PXD", false, map[string]any{
		"View": workflows.CaseView{Reference: "MB-7K4Q-2PXD", Status: workflows.StatusCompleted, Outcome: "Bin collected",
			Timeline: []workflows.Event{{At: at, Note: "Missed collection reported"}}},
		"Status": "Closed",
	})
	mustContain(t, track,
		`<strong class="govuk-tag govuk-tag--grey">Closed</strong>`,
		`<dd class="govuk-summary-list__value">Bin collected</dd>`,
		`<h3 class="larder-timeline__title">Missed collection reported</h3>`,
		`<time datetime="2026-07-01T13:05:00Z">`,
		"1 July 2026 at 2:05pm", // British Summer Time, whatever the server's zone
	)
}

func TestSaveForLaterPages(t *testing.T) {
	recipe := map[string]any{"ID": "missed-bin", "Title": "Report a missed bin"}
	email := map[string]any{"ID": "email", "Label": "Email address"}
	save := page(t, "save", "Save your answers and come back later", true, map[string]any{
		"Recipe": recipe, "CSRF": "t", "Field": email, "Value": "jo@",
		"Errors": []map[string]any{{"Field": "email", "Message": "Enter an email address in the correct format, like name@example.com"}},
	})
	mustContain(t, save,
		"<title>Error: Save your answers",
		`<a href="#email">Enter an email address in the correct format, like name@example.com</a>`,
		`<div class="govuk-form-group govuk-form-group--error">`,
		`id="email" name="email" type="email" autocomplete="email" spellcheck="false" value="jo@" aria-describedby="email-error">`,
	)
	saved := page(t, "saved", "Your answers have been saved", false, map[string]any{
		"Recipe": recipe, "Email": "jo@example.com", "Expires": "3:04pm on 8 July 2026",
	})
	mustContain(t, saved, "<strong>jo@example.com</strong>", "before 3:04pm on 8 July 2026")
}
