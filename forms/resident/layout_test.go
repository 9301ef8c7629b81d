package resident

import (
	"html"
	"net/http"
	"regexp"
	"testing"

	"github.com/larder-council/larder/forms/web"
)

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
		`<link rel="stylesheet" href="/assets/brand.css?v=`,
		`<h1 class="govuk-heading-l">Page not found</h1>`,
	)
	// No crown, logo, crest, licence, or inline script (the CSP forbids it).
	mustNotContain(t, html, "govuk-logo", "govuk-header__logotype", "crown", "crest", "licence", "GOV.UK", "<script>")

	b := web.Branding{CouncilName: "Larchester <Council>", LogoURL: "/logo.svg"}
	home := pageFor(t, b, "home", "Council services", false, map[string]any{"Services": nil})
	mustContain(t, home, `<img class="larder-header__logo-image" src="/logo.svg" alt="Larchester &lt;Council&gt;">`,
		"There are no services to use online yet.")
	mustNotContain(t, home, "larder-header__council-name")
}

// TestPagesLinkOnlyAssetsTheSiteServes follows every /assets/ link on a
// served page: none may be missing, built assets or not.
func TestPagesLinkOnlyAssetsTheSiteServes(t *testing.T) {
	l := serve(t, &Handler{}, 0, nil)
	r := newResident(t, l.URL)
	home := r.get("/")
	links := regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(home.Body, -1)
	if len(links) == 0 {
		t.Fatalf("the home page links no assets, not even brand.css:\n%s", home.Body)
	}
	for _, m := range links {
		if got := r.get(html.UnescapeString(m[1])); got.Status != http.StatusOK {
			t.Errorf("the page links %s, which the site answers %d", m[1], got.Status)
		}
	}
}
