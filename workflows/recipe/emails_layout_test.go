package recipe_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// layoutFolder writes emails.yaml and one recipe into a new folder.
func layoutFolder(t *testing.T, emails, source string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{recipe.EmailsFile: emails, "a.yaml": source} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const testLayout = `layout: |
  <!DOCTYPE html>
  <html lang="en"><body>
  <div class="header">Larchester Council: {{ case.title }}</div>
  {{ content }}
  <div class="footer">Reference {{ case.reference }}</div>
  </body></html>
`

const layoutTemplates = `templates:
  thanks:
    subject: "Thanks {{ case.reference }}"
    text: "Dear {{ form.name }}, thank you."
    html: "<p>Dear {{ form.name }}, thank you.</p>"
`

// layoutRecipe has an email from a template with html, one with its own
// html, one with text only, one that is a whole document, and a task's
// escalation email with html.
const layoutRecipe = `id: a
version: "1"
title: Report a problem
reference_prefix: RP
form:
  pages:
    - id: p
      title: P
      fields:
        - { id: name, type: text, label: Name }
        - { id: email, type: email, label: Email }
steps:
  - id: from_template
    email:
      template: thanks
      to: "{{ form.email }}"
    next: own_html
  - id: own_html
    email:
      to: "{{ form.email }}"
      subject: Own
      text: "Own text {{ form.name }}"
      html: "<p>Own html {{ form.name }}</p>"
    next: text_only
  - id: text_only
    email:
      to: "{{ form.email }}"
      subject: Text
      text: "Only text {{ form.name }}"
    next: whole
  - id: whole
    email:
      to: "{{ form.email }}"
      subject: Whole
      text: Whole
      html: "<!DOCTYPE html><html><body><p>Mine</p></body></html>"
    next: check
  - id: check
    task:
      queue: waste-team
      title: Check it
      outcomes:
        - { id: done, label: Done, next: done }
      escalate:
        after: 24h
        email:
          to: managers@larchester.example
          subject: "Overdue {{ case.reference }}"
          text: "Still open."
          html: "<p>Still open.</p>"
  - id: done
    end:
      outcome: Done
`

func loadLayoutRecipe(t *testing.T, emails string) *recipe.Recipe {
	t.Helper()
	rs, err := recipe.LoadDir(layoutFolder(t, emails, layoutRecipe), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

func emailOf(t *testing.T, r *recipe.Recipe, id string) *recipe.EmailStep {
	t.Helper()
	s, ok := r.StepByID(id)
	if !ok {
		t.Fatalf("no step %s", id)
	}
	if s.Task != nil {
		return s.Task.Escalate.Email
	}
	return s.Email
}

func TestLayoutWrapsEveryHTMLPartAtLoad(t *testing.T) {
	r := loadLayoutRecipe(t, testLayout+layoutTemplates)
	for id, own := range map[string]string{
		"from_template": "<p>Dear {{ form.name }}, thank you.</p>",
		"own_html":      "<p>Own html {{ form.name }}</p>",
		"check":         "<p>Still open.</p>",
	} {
		html := emailOf(t, r, id).HTML
		want := "<!DOCTYPE html>\n<html lang=\"en\"><body>\n<div class=\"header\">Larchester Council: {{ case.title }}</div>\n" +
			own + "\n<div class=\"footer\">Reference {{ case.reference }}</div>\n</body></html>\n"
		if html != want {
			t.Errorf("step %s html:\n%s\nwant the layout around its own html:\n%s", id, html, want)
		}
	}
	if e := emailOf(t, r, "text_only"); e.HTML != "" || e.Text != "Only text {{ form.name }}" {
		t.Errorf("an email without html gained one, or its text changed: %+v", e)
	}
	if e := emailOf(t, r, "whole"); e.HTML != "<!DOCTYPE html><html><body><p>Mine</p></body></html>" {
		t.Errorf("an html part that is a whole document was wrapped: %s", e.HTML)
	}
	for id, text := range map[string]string{"from_template": "Dear {{ form.name }}, thank you.", "own_html": "Own text {{ form.name }}", "check": "Still open."} {
		if got := emailOf(t, r, id).Text; got != text {
			t.Errorf("step %s text part is %q, want it untouched: %q", id, got, text)
		}
	}

	// The snapshot a case starts with is the recipe as JSON: it carries
	// the layout, so the workflow renders it without reading emails.yaml.
	snapshot, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var again recipe.Recipe
	if err := json.Unmarshal(snapshot, &again); err != nil {
		t.Fatal(err)
	}
	if html := emailOf(t, &again, "own_html").HTML; !strings.Contains(html, `<div class="header">`) {
		t.Errorf("the snapshot lost the layout: %s", html)
	}
}

func TestLayoutEscapesValuesNotMarkup(t *testing.T) {
	r := loadLayoutRecipe(t, testLayout+layoutTemplates)
	env := recipe.Env{
		"form": map[string]any{"name": `<script>alert("x")</script> & {{ case.reference }}`},
		"case": map[string]any{"reference": "RP-1234-ABCD", "title": "Bins & <boxes>"},
	}
	html, err := recipe.RenderHTML(emailOf(t, r, "own_html").HTML, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<!DOCTYPE html>",
		`<div class="header">Larchester Council: Bins &amp; &lt;boxes&gt;</div>`,
		"<p>Own html &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; {{ case.reference }}</p>",
		`<div class="footer">Reference RP-1234-ABCD</div>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered html lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "<boxes>") {
		t.Errorf("a value reached the html as markup:\n%s", html)
	}
	text, err := recipe.Render(emailOf(t, r, "own_html").Text, env)
	if err != nil {
		t.Fatal(err)
	}
	if text != `Own text <script>alert("x")</script> & {{ case.reference }}` {
		t.Errorf("text part is %q, want the answer verbatim and no layout", text)
	}
}

func TestLayoutPlaceholderSpacingIsFree(t *testing.T) {
	r := loadLayoutRecipe(t, "layout: \"<main>{{content}}</main>\"\n"+layoutTemplates)
	if html := emailOf(t, r, "own_html").HTML; html != "<main><p>Own html {{ form.name }}</p></main>" {
		t.Errorf("html = %q", html)
	}
}

func TestNoLayoutLeavesHTMLAsWritten(t *testing.T) {
	r := loadLayoutRecipe(t, layoutTemplates)
	if html := emailOf(t, r, "own_html").HTML; html != "<p>Own html {{ form.name }}</p>" {
		t.Errorf("html = %q", html)
	}
}

func TestLayoutMistakesArePositioned(t *testing.T) {
	for name, tc := range map[string]struct{ layout, want string }{
		"no placeholder": {
			"layout: |\n  <html>\n  <body></body>\n  </html>\n",
			"emails.yaml:1:9: layout: needs one {{ content }}: where each email's own html goes",
		},
		"placeholder twice, in a block": {
			"layout: |\n  <html>\n  {{ content }}\n    <p>{{content}}</p>\n  </html>\n",
			"emails.yaml:4:8: layout: has {{ content }} 2 times; keep one, where each email's own html goes",
		},
		"placeholder three times, in a string": {
			"# the layout\nlayout: \"{{ content }}{{ content }}{{ content }}\"\n",
			"emails.yaml:2:9: layout: has {{ content }} 3 times; keep one, where each email's own html goes",
		},
		"expression left open": {
			"layout: |\n  <html>{{ content }}\n  {{ case.reference\n  </html>\n",
			`emails.yaml:3:3: layout: template: "{{ case.reference\n</html>\n" has {{ without }}`,
		},
		"expression that does not compile": {
			"layout: |\n  <html>{{ content }}\n  <p>{{ case.reference + }}</p>\n  </html>\n",
			`emails.yaml:3:6: layout: expression "case.reference +" does not compile`,
		},
		"a form answer": {
			"layout: |\n  <p>Dear {{ form.name }}</p>\n  {{ content }}\n",
			"emails.yaml:2:11: layout: form.name: the layout is shared by every recipe",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := layoutFolder(t, tc.layout+layoutTemplates, layoutRecipe)
			_, err := recipe.LoadDir(dir, nil)
			var ps recipe.Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("LoadDir = %v, want one problem", err)
			}
			if got := ps[0].Error(); !strings.Contains(got, filepath.Join(dir, tc.want)) {
				t.Errorf("problem:\n%s\nwant it to contain:\n%s", got, filepath.Join(dir, tc.want))
			}
		})
	}
}

// TestShippedLayout renders the shipped refusal in the shipped layout: the
// council's header and footer around the message, an answer escaped, and
// nothing fetched from elsewhere when the email is opened.
func TestShippedLayout(t *testing.T) {
	emails, err := recipe.LoadEmails("../../recipes/" + recipe.EmailsFile)
	if err != nil {
		t.Fatal(err)
	}
	refusal, ok := emails.Templates["refusal"]
	if !ok || refusal.HTML == "" || emails.Layout == "" {
		t.Fatalf("emails.yaml should have a layout and a refusal with html: %+v", emails)
	}
	html, err := recipe.RenderHTML(recipe.WrapInLayout(refusal.HTML, emails.Layout), recipe.Env{
		"form": map[string]any{"name": "<b>Sam</b>"},
		"vars": map[string]any{"reason": "the bin was not due"},
		"case": map[string]any{"reference": "MB-7K4Q-2PXD", "title": "Report a missed bin"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", ">Larchester Council</span>", "Dear &lt;b&gt;Sam&lt;/b&gt;,",
		"request to report a missed bin: the bin was not due.", "<strong>MB-7K4Q-2PXD</strong>", "Reference: MB-7K4Q-2PXD (Report a missed bin)"} {
		if !strings.Contains(html, want) {
			t.Errorf("shipped refusal lacks %q:\n%s", want, html)
		}
	}
	for _, external := range []string{"src=", "<link", "url(", "@import", "<script", "<img", "http:", "https:"} {
		if strings.Contains(strings.ToLower(emails.Layout), external) {
			t.Errorf("the shipped layout has %q: an email should need nothing from elsewhere", external)
		}
	}
}
