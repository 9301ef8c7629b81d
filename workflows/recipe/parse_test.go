package recipe_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// validSource is testdata/recipes/valid.yaml, for tests that break a copy.
func validSource(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("testdata/recipes/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// onlyProblem parses src and returns its one problem.
func onlyProblem(t *testing.T, src string) recipe.Problem {
	t.Helper()
	_, err := recipe.Parse("r.yaml", []byte(src), testConnectors)
	var ps recipe.Problems
	if !errors.As(err, &ps) || len(ps) != 1 {
		t.Fatalf("Parse = %v, want one problem", err)
	}
	return ps[0]
}

func TestParseUnclosedQuoteIsBlamedWhereItOpens(t *testing.T) {
	src := strings.Replace(validSource(t), `subject: "Collection booked: {{ case.reference }}"`, `subject: "Collection booked: {{ case.reference }}`, 1)
	p := onlyProblem(t, src)
	if p.Line != 33 || p.Col != 16 || !strings.Contains(p.Message, "closing quote missing") {
		t.Errorf("problem %q, want it at the opening quote, 33:16, asking about the closing quote", p.Error())
	}
}

// TestParseQuotedTextOverLinesIsNotBlamed checks that text quoted over two
// lines on purpose is not taken for a quote left open when the mistake is
// on the line after it.
func TestParseQuotedTextOverLinesIsNotBlamed(t *testing.T) {
	src := strings.Replace(validSource(t), "title: Book a bulky waste collection\n", "title: \"Book a bulky\n  waste collection\"\n   summary: indented by mistake\n", 1)
	p := onlyProblem(t, src)
	if p.Line != 6 || strings.Contains(p.Message, "quote") {
		t.Errorf("problem %q, want the parser's own report on line 6", p.Error())
	}
}

func TestParseAnchorsAliasesAndMergeKeys(t *testing.T) {
	r, err := recipe.LoadFile("testdata/recipes/anchors_and_merge_keys.yaml", testConnectors)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "1" || r.Form.Pages[0].Title != r.Title {
		t.Errorf("version %q and page title %q: want the tagged 1 and the aliased recipe title", r.Version, r.Form.Pages[0].Title)
	}
	check, _ := r.StepByID("check")
	book, _ := r.StepByID("book")
	if check.Call.Retry.MaxAttempts != 8 || book.Call.Retry.MaxAttempts != 8 || book.Call.Retry.Interval != 5*time.Second {
		t.Errorf("retries %+v and %+v: want the merged 8 attempts, and book's own 5s interval", *check.Call.Retry, *book.Call.Retry)
	}
}

// TestParseWithoutALibrary checks that with no connectors and no email
// templates to check against, a recipe naming them still loads: the check
// waits for the folder's connectors.yaml and emails.yaml.
func TestParseWithoutALibrary(t *testing.T) {
	src := strings.Replace(validSource(t), "    email:\n", "    email:\n      template: booked\n", 1)
	r, err := recipe.Parse("r.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := r.StepByID("book"); s.Call.Connector != "waste" {
		t.Errorf("book = %+v", s)
	}
	if ops, ok := (recipe.Library{}).Operations("waste"); ok || ops != nil {
		t.Errorf("a library without connectors lists %v, %v; want none", ops, ok)
	}
}

func TestAllStepsInFileOrder(t *testing.T) {
	r, err := recipe.LoadFile("testdata/steps/parallel.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range r.AllSteps() {
		ids = append(ids, s.ID)
	}
	// Each parallel step comes before its branches, nested ones included.
	if got, want := strings.Join(ids, " "), "arrange confirm book crew notify vehicle close done"; got != want {
		t.Errorf("AllSteps = %s\nwant        %s", got, want)
	}
}
