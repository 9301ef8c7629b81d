package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

// page executes one resident page with the layout, as render does.
func page(t *testing.T, name, title string, hasErrors bool, data any) string {
	t.Helper()
	ps, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	b := Branding{CouncilName: "Larchester Council"}.withDefaults("")
	v := view{Council: b.CouncilName, Branding: b, Title: title, HasErrors: hasErrors, Data: data,
		Assets: assetLinks{CSS: "/assets/larder.css?v=1", Brand: "/assets/brand.css?v=2", Script: "/assets/init.js?v=3"}}
	var out bytes.Buffer
	if err := ps.byName[name].Execute(&out, v); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	return out.String()
}

func mustContain(t *testing.T, html string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(html, w) {
			t.Errorf("page lacks %s", w)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", html)
	}
}

func mustNotContain(t *testing.T, html string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(html, w) {
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
		"Recipe":    map[string]any{"Title": "Report a missed bin", "NextSteps": "We will come back within 2 working days."},
		"Reference": "MB-7K4Q-2PXD",
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
	)
	if london != time.UTC {
		mustContain(t, track, "1 July 2026 at 2:05pm") // British Summer Time
	}
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

func TestLayoutIsTheCouncilsNotGOVUKs(t *testing.T) {
	html := page(t, "problem", "Page not found", false, map[string]any{"Heading": "Page not found", "Body": "Check the address."})
	mustContain(t, html,
		`<html lang="en" class="govuk-template">`,
		`<body class="govuk-template__body">`,
		`<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>`,
		`<span class="larder-header__council-name">Larchester Council</span>`,
		`<div class="govuk-width-container">`,
		`<main class="govuk-main-wrapper" id="main-content">`,
		`<div class="govuk-footer__meta-item">Larchester Council</div>`,
		`<link rel="stylesheet" href="/assets/larder.css?v=1">`,
		`<link rel="stylesheet" href="/assets/brand.css?v=2">`,
		`<script type="module" src="/assets/init.js?v=3"></script>`,
		`<h1 class="govuk-heading-l">Page not found</h1>`,
	)
	// No crown, logo, crest, licence, or inline script (the CSP forbids it).
	mustNotContain(t, html, "govuk-logo", "govuk-header__logotype", "crown", "crest", "licence", "GOV.UK", "<script>")

	ps, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	b := Branding{CouncilName: "Larchester <Council>", LogoURL: "/logo.svg"}.withDefaults("")
	var out bytes.Buffer
	err = ps.byName["home"].Execute(&out, view{Council: b.CouncilName, Branding: b, Title: "Council services", Data: map[string]any{"Services": nil}})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, out.String(), `<img class="larder-header__logo-image" src="/logo.svg" alt="Larchester &lt;Council&gt;">`)
	// Without built assets the page still links nothing it cannot serve.
	mustNotContain(t, out.String(), "larder.css", "<script", "larder-header__council-name")
}

func TestBrandingValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    Branding
		want string // "" for valid
	}{
		{"defaults", Branding{}, ""},
		{"council colours", Branding{HeaderColour: "#00539F", LinkColour: "#005ea5", LogoURL: "https://www.larchester.gov.uk/logo.svg"}, ""},
		{"site logo", Branding{LogoURL: "/brand/logo.png"}, ""},
		{"short hex", Branding{HeaderColour: "#fff"}, `header_colour "#fff": want a colour like #1d70b8`},
		{"css injection", Branding{LinkColour: "red}body{display:none"}, `link_colour "red}body{display:none": want a colour`},
		{"pale header", Branding{HeaderColour: "#ffdd00"}, "header_colour #ffdd00: white text on it has a contrast of 1.3:1"},
		{"pale links", Branding{LinkColour: "#b1b4b6"}, "link_colour #b1b4b6: it on a white page has a contrast"},
		{"http logo", Branding{LogoURL: "http://example.com/logo.png"}, `logo_url "http://example.com/logo.png": use a path on this site`},
		{"protocol-relative logo", Branding{LogoURL: "//example.com/logo.png"}, "logo_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
}

func TestAssetsAreServedWithBranding(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{CouncilName: "Larchester Council", Log: slog.New(slog.NewTextHandler(&logged, nil)),
		Branding: Branding{HeaderColour: "#00539f", LinkColour: "#005ea5", LogoURL: "https://www.larchester.gov.uk/logo.svg"}}
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, header ...string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Result()
	}
	body := func(r *http.Response) string {
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}

	home := get("/")
	csp := home.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self';") || !strings.Contains(csp, "img-src 'self' https://www.larchester.gov.uk") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("content security policy %q", csp)
	}
	homeHTML := body(home)
	mustContain(t, homeHTML, `alt="Larchester Council"`)
	brandLink := regexp.MustCompile(`href="(/assets/brand\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(homeHTML)
	if brandLink == nil {
		t.Fatalf("home page does not link brand.css:\n%s", homeHTML)
	}

	brand := get(brandLink[1])
	css := body(brand)
	if brand.StatusCode != http.StatusOK || !strings.HasPrefix(brand.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(css, ".govuk-header{background-color:#00539f}") || !strings.Contains(css, "color:#005ea5") {
		t.Errorf("brand.css: %d %s\n%s", brand.StatusCode, brand.Header.Get("Content-Type"), css)
	}
	if cc := brand.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("a versioned asset should be cached for long, got %q", cc)
	}
	if cc := get("/assets/brand.css").Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("an unversioned asset must not be cached for ever, got %q", cc)
	}
	if again := get("/assets/brand.css", "If-None-Match", brand.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating brand.css gave %d, want 304", again.StatusCode)
	}

	initJS := get("/assets/init.js")
	if initJS.StatusCode != http.StatusOK || !strings.HasPrefix(initJS.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(body(initJS), "initAll()") {
		t.Errorf("init.js: %d %s", initJS.StatusCode, initJS.Header.Get("Content-Type"))
	}
	for _, path := range []string{"/assets/README.md", "/assets/../server.go", "/assets/fonts/bold.woff2"} {
		if r := get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
		}
	}

	if _, err := staticFS.Open("static/larder.css"); err != nil {
		if !strings.Contains(logged.String(), "make assets") {
			t.Errorf("unbuilt assets should be logged once at start; log:\n%s", logged.String())
		}
		t.Skip("GOV.UK Frontend assets not built; run make assets to check them")
	}
	if logged.Len() > 0 {
		t.Errorf("built assets should not warn:\n%s", logged.String())
	}
	mustContain(t, homeHTML, `<link rel="stylesheet" href="/assets/larder.css?v=`, `<script type="module" src="/assets/init.js?v=`)
	styles := get("/assets/larder.css", "Accept-Encoding", "gzip")
	if styles.Header.Get("Content-Encoding") != "gzip" {
		t.Error("larder.css should be sent compressed to browsers that take gzip")
	}
	styles = get("/assets/larder.css")
	compiled := body(styles)
	if !strings.Contains(compiled, ".govuk-error-summary") || !strings.Contains(compiled, "system-ui") {
		t.Error("larder.css is not GOV.UK Frontend compiled with the system font")
	}
	for _, banned := range []string{"GDS Transport", "/assets/fonts/", "govuk-crest", "/assets/images/"} {
		if strings.Contains(compiled, banned) {
			t.Errorf("larder.css refers to %s, which councils may not use", banned)
		}
	}
	bundle := get("/assets/govuk-frontend.min.js")
	if bundle.StatusCode != http.StatusOK || !strings.Contains(body(bundle), "initAll") {
		t.Errorf("govuk-frontend.min.js: %d", bundle.StatusCode)
	}
}
