package designer

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/bpmn"
	"github.com/larder-council/larder/workflows/recipe"
)

// shipped loads the recipes Larder ships.
func shipped(t *testing.T) []*recipe.Recipe {
	t.Helper()
	recipes, err := recipe.LoadDir("../../recipes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recipes) == 0 {
		t.Fatal("no shipped recipes")
	}
	return recipes
}

// serve answers GET path from a designer handler over recipes.
func serve(t *testing.T, recipes []*recipe.Recipe, path string) *httptest.ResponseRecorder {
	t.Helper()
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h := &Handler{Recipes: recipes, Site: site}
	if err := h.Routes(r); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

var stepRowID = regexp.MustCompile(`<tr class="govuk-table__row" id="step-([^"]+)">`)

// stepExamples loads the recipe language's example of each kind of step,
// parallel branches and event-based waits among them.
func stepExamples(t *testing.T) []*recipe.Recipe {
	t.Helper()
	recipes, err := recipe.LoadDir("../../workflows/recipe/testdata/steps", nil)
	if err != nil {
		t.Fatal(err)
	}
	return recipes
}

// TestRecipePageTablesEveryStep: the steps table, the diagram's text
// equivalent, has one row per step of every shipped recipe and step
// example, branches' steps included, in file order, and the page shows
// every question.
func TestRecipePageTablesEveryStep(t *testing.T) {
	recipes := append(shipped(t), stepExamples(t)...)
	for _, r := range recipes {
		t.Run(r.ID, func(t *testing.T) {
			rec := serve(t, []*recipe.Recipe{r}, "/dev/recipes/"+r.ID)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			page := rec.Body.String()
			var got []string
			for _, m := range stepRowID.FindAllStringSubmatch(page, -1) {
				got = append(got, m[1])
			}
			var want []string
			for _, s := range r.AllSteps() {
				want = append(want, s.ID)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("steps table rows %v, want %v", got, want)
			}
			for _, f := range r.Fields() {
				if !strings.Contains(page, "form."+f.ID+"<") {
					t.Errorf("question %s (form.%s) is not on the page", f.Label, f.ID)
				}
			}
			for _, p := range r.Form.Pages {
				if !strings.Contains(page, `id="page-`+p.ID+`"`) {
					t.Errorf("form page %s is not on the page", p.ID)
				}
			}
			if !strings.Contains(page, `data-bpmn-url="/dev/recipes/`+r.ID+`/bpmn"`) {
				t.Error("the diagram does not name the recipe's BPMN export")
			}
		})
	}
}

// TestRecipePageSaysWhereStepsLead: a decide step's branches and a call's
// refusal route are listed with the steps they lead to.
func TestRecipePageSaysWhereStepsLead(t *testing.T) {
	src := `id: route-test
version: "1"
title: Route test
reference_prefix: RT
form:
  pages:
    - id: one
      title: One
      fields:
        - { id: size, type: number, label: Size, validate: required }
steps:
  - id: big
    decide:
      branches:
        - when: form.size > 3
          next: huge
      otherwise: small
  - id: huge
    title: Told it is huge
    wait: { for: 2d }
    next: small
  - id: small
    end: { outcome: Done }
`
	r, err := recipe.Parse("route-test.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	page := serve(t, []*recipe.Recipe{r}, "/dev/recipes/route-test").Body.String()
	for _, want := range []string{
		`When form.size &gt; 3: <a class="govuk-link" href="#step-huge">`,
		`Otherwise: <a class="govuk-link" href="#step-small">`,
		`Waits 2d`,
		`Time is up: <a class="govuk-link" href="#step-small">`,
		`Closes the case: Done`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestBPMNRouteServesTheExport: the XML the diagram is drawn from is the
// BPMN export of the recipe, as larder bpmn writes it.
func TestBPMNRouteServesTheExport(t *testing.T) {
	recipes := shipped(t)
	r := recipes[0]
	rec := serve(t, recipes, "/dev/recipes/"+r.ID+"/bpmn")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("Content-Type %q, want application/xml", ct)
	}
	var want bytes.Buffer
	if err := bpmn.Write(&want, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Body.Bytes(), want.Bytes()) {
		t.Error("the served XML differs from the recipe's BPMN export")
	}
	if err := xml.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(new(struct{})); err != nil && err != io.EOF {
		t.Errorf("served XML does not parse: %v", err)
	}
}

// TestUnknownRecipeIsNotFound: a recipe that does not exist has neither a
// page nor XML.
func TestUnknownRecipeIsNotFound(t *testing.T) {
	recipes := shipped(t)
	for _, path := range []string{"/dev/recipes/no-such-service", "/dev/recipes/no-such-service/bpmn"} {
		if rec := serve(t, recipes, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

// TestListLinksEveryRecipe: the list links each recipe's page.
func TestListLinksEveryRecipe(t *testing.T) {
	recipes := shipped(t)
	page := serve(t, recipes, "/dev/recipes").Body.String()
	for _, r := range recipes {
		if !strings.Contains(page, `href="/dev/recipes/`+r.ID+`"`) {
			t.Errorf("the list does not link %s", r.ID)
		}
	}
}

// TestRecipePageLinksTheDiagramScript: the diagram's script and styles
// are same-origin files, as the content security policy asks (no inline
// script); without them built, the page says what to run.
func TestRecipePageLinksTheDiagramScript(t *testing.T) {
	recipes := shipped(t)
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := serve(t, recipes, "/dev/recipes/"+recipes[0].ID).Body.String()
	if regexp.MustCompile(`<script(\s[^>]*)?>[^<]`).MatchString(page) {
		t.Error("the page has an inline script, which the content security policy blocks")
	}
	script, style := site.AssetLink("designer.js"), site.AssetLink("designer.css")
	if script == "" || style == "" {
		if !strings.Contains(page, "run make assets") {
			t.Error("without the diagram's script built, the page does not say to run make assets")
		}
		return
	}
	for _, want := range []string{
		`<script type="module" src="` + script + `"></script>`,
		`<link rel="stylesheet" href="` + style + `">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestRecipePagePreviewsEachPage: each form page can be seen as residents
// see it, filled in with the examples, in a fieldset that is disabled so
// nothing can be sent from it.
func TestRecipePagePreviewsEachPage(t *testing.T) {
	recipes := shipped(t)
	r := recipe.Find(recipes, "missed-bin")
	if r == nil {
		t.Fatal("no missed-bin recipe")
	}
	page := serve(t, recipes, "/dev/recipes/missed-bin").Body.String()
	if got, want := strings.Count(page, `<fieldset class="govuk-fieldset" disabled>`), len(r.Form.Pages); got != want {
		t.Errorf("%d disabled page previews, want one per page (%d)", got, want)
	}
	for _, want := range []string{
		`id="preview-bin_type" name="preview-bin_type" type="radio" value="general" checked`,
		`id="preview-email" name="preview-email" type="email" value="sam@example.com"`,
		`The choices are looked up from waste.find_properties when the page is shown.`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("preview lacks %s", want)
		}
	}
}

// TestPagesListTheLatestSavesMistakes: when the recipes folder's latest
// save did not load, the list and each recipe's page say they show the
// version that last loaded and list every mistake at its place; once a
// save loads, they say nothing of it.
func TestPagesListTheLatestSavesMistakes(t *testing.T) {
	site, err := web.NewSite(web.Branding{CouncilName: "Larchester Council"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	var latest []string
	r := gin.New()
	h := &Handler{Recipes: shipped(t), Site: site, Problems: func() []string { return latest }}
	if err := h.Routes(r); err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, rec.Code)
		}
		return rec.Body.String()
	}
	mistakes := []string{
		`recipes/missed-bin.yaml:17:12: steps.hold.wait.for: "a while" is not a duration`,
		`recipes/missed-bin.yaml:18:11: steps.hold.next: unknown step "nowhere"`,
	}
	for _, path := range []string{Base, Base + "/missed-bin"} {
		latest = nil
		if page := get(path); strings.Contains(page, "data-load-problems") {
			t.Errorf("GET %s: a banner of mistakes with none", path)
		}
		latest = mistakes
		page := get(path)
		if !strings.Contains(page, "2 mistakes, so this is the version that last loaded") {
			t.Errorf("GET %s: the page does not say it shows the version that last loaded", path)
		}
		for _, m := range mistakes {
			if !strings.Contains(page, "<code>"+template.HTMLEscapeString(m)+"</code>") {
				t.Errorf("GET %s: %s is not listed", path, m)
			}
		}
	}
}
