package web

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestAudiencePartialsFillTheServiceNavigation parses an audience whose
// templates/_*.html partials define the layout's "service navigation" and
// a shared template: its pages and its problem page get both; another
// audience's pages get neither.
func TestAudiencePartialsFillTheServiceNavigation(t *testing.T) {
	site, _ := newSite(t, Branding{CouncilName: "Larchester Council"})
	staff := fstest.MapFS{
		"templates/_nav.html": {Data: []byte(`{{define "service navigation"}}{{with .User}}<nav class="govuk-service-navigation">Signed in as {{.}}</nav>{{end}}{{end}}
{{define "greeting"}}<p class="govuk-body">Hello {{.}}</p>{{end}}`)},
		"templates/inbox.html": {Data: []byte(`{{define "content"}}<h1 class="govuk-heading-l">Inbox</h1>{{template "greeting" .User}}{{end}}`)},
	}
	pages, err := site.Pages(staff, "inbox")
	if err != nil {
		t.Fatal(err)
	}
	var inbox, problem strings.Builder
	if err := pages.Execute(&inbox, "inbox", "Inbox", false, map[string]any{"User": "Pat"}); err != nil {
		t.Fatal(err)
	}
	pageHas(t, inbox.String(), "</header><nav class=\"govuk-service-navigation\">Signed in as Pat</nav>\n  <div class=\"govuk-width-container\">",
		`<p class="govuk-body">Hello Pat</p>`)
	if err := pages.Execute(&problem, "problem", "Not found", false, map[string]any{"User": "Pat", "Heading": "Not found", "Body": "Check it."}); err != nil {
		t.Fatal(err)
	}
	pageHas(t, problem.String(), "Signed in as Pat")

	resident := fstest.MapFS{"templates/hello.html": {Data: []byte(`{{define "content"}}<h1 class="govuk-heading-l">Hello</h1>{{end}}`)}}
	other, err := site.Pages(resident, "hello")
	if err != nil {
		t.Fatal(err)
	}
	var hello strings.Builder
	if err := other.Execute(&hello, "hello", "Hello", false, map[string]any{"User": "Pat"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hello.String(), "Signed in") || !strings.Contains(hello.String(), "</header>\n  <div class=\"govuk-width-container\">") {
		t.Errorf("an audience without partials got another's navigation, or lost its layout:\n%s", hello.String())
	}
}
