package recipe_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

func testEnv() recipe.Env {
	return recipe.Env{
		"form": map[string]any{"name": "Sam Resident", "count": 3, "bin_type": "garden"},
		"case": map[string]any{"reference": "MB-7K4Q-2PXD"},
		"steps": map[string]any{
			"check": map[string]any{"bins": []any{
				map[string]any{"type": "general"},
				map[string]any{"type": "garden"},
			}},
		},
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct{ name, tmpl, want string }{
		{"plain text", "Thank you.", "Thank you."},
		{"expressions", "Dear {{ form.name }}, your reference is {{case.reference}}.", "Dear Sam Resident, your reference is MB-7K4Q-2PXD."},
		{"number", "{{ form.count }} bags", "3 bags"},
		{"arithmetic", "{{ form.count * 2 }}", "6"},
		{"missing answer is blank", "Phone: {{ form.phone }}.", "Phone: ."},
		{"closing braces alone are text", "a }} b", "a }} b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := recipe.Render(tc.tmpl, testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Render(%q) = %q, want %q", tc.tmpl, got, tc.want)
			}
		})
	}
}

func TestRenderUnclosedTemplate(t *testing.T) {
	_, err := recipe.Render("Dear {{ form.name", testEnv())
	if err == nil || !strings.Contains(err.Error(), "{{ without }}") {
		t.Errorf("Render = %v, want an error about {{ without }}", err)
	}
	if _, err := recipe.Value("{{ form.count ", testEnv()); err == nil {
		t.Error("Value of an unclosed template: want an error")
	}
}

func TestRenderBadExpressionNamesIt(t *testing.T) {
	_, err := recipe.Render("Hello {{ form.name + }}", testEnv())
	if err == nil || !strings.Contains(err.Error(), `"form.name +"`) {
		t.Errorf("Render = %v, want an error quoting the expression", err)
	}
}

func TestValueKeepsTypeOfSingleExpression(t *testing.T) {
	for _, tc := range []struct {
		tmpl string
		want any
	}{
		{"{{ form.count }}", 3},
		{"{{ form.count > 2 }}", true},
		{"{{ steps.check.bins[1].type }}", "garden"},
		{"{{ form.count }} bags", "3 bags"},
		{"ref {{ case.reference }}", "ref MB-7K4Q-2PXD"},
		{"no template", "no template"},
	} {
		got, err := recipe.Value(tc.tmpl, testEnv())
		if err != nil {
			t.Fatalf("Value(%q): %v", tc.tmpl, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Value(%q) = %#v, want %#v", tc.tmpl, got, tc.want)
		}
	}
}

func TestValueKeepsLists(t *testing.T) {
	got, err := recipe.Value("{{ steps.check.bins }}", testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if bins, ok := got.([]any); !ok || len(bins) != 2 {
		t.Errorf("Value = %#v, want the list of two bins", got)
	}
}

func TestValuesNamesTheFailingKey(t *testing.T) {
	out, err := recipe.Values(map[string]string{"uprn": "{{ form.count }}", "bin": "{{ len(form.count) }}"}, testEnv())
	if err == nil || !strings.HasPrefix(err.Error(), "bin: ") {
		t.Fatalf("Values = %v, %v; want an error starting with the key bin", out, err)
	}
	out, err = recipe.Values(map[string]string{"uprn": "{{ form.count }}", "by": "{{ form.name }}"}, testEnv())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"uprn": 3, "by": "Sam Resident"}; !reflect.DeepEqual(out, want) {
		t.Errorf("Values = %#v, want %#v", out, want)
	}
}

func TestEvalBool(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"any(steps.check.bins, .type == form.bin_type)", true},
		{"any(steps.check.bins, .type == 'food')", false},
		{"form.count >= 3 && form.name != ''", true},
		{"form.name", false},    // a string is not true
		{"form.missing", false}, // nil is not true
	} {
		got, err := recipe.EvalBool(tc.expr, testEnv())
		if err != nil {
			t.Fatalf("EvalBool(%q): %v", tc.expr, err)
		}
		if got != tc.want {
			t.Errorf("EvalBool(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
	if _, err := recipe.EvalBool("form.count ==", testEnv()); err == nil {
		t.Error("EvalBool of an expression that does not compile: want an error")
	}
}

func TestRenderHTMLEscapesValuesNotTheTemplate(t *testing.T) {
	env := testEnv()
	env["form"].(map[string]any)["name"] = `<b>Sam</b> & 'Co'`
	for _, tc := range []struct{ name, tmpl, want string }{
		{"markup in the template stays", "<p>Dear {{ form.name }},</p>", "<p>Dear &lt;b&gt;Sam&lt;/b&gt; &amp; &#39;Co&#39;,</p>"},
		{"quoted attribute", `<a title="{{ form.name }}">x</a>`, `<a title="&lt;b&gt;Sam&lt;/b&gt; &amp; &#39;Co&#39;">x</a>`},
		{"number", "<b>{{ form.count }}</b> bags", "<b>3</b> bags"},
		{"string built by an expression", `{{ "<br>" + case.reference }}`, "&lt;br&gt;MB-7K4Q-2PXD"},
		{"missing answer is blank", "<p>{{ form.phone }}</p>", "<p></p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := recipe.RenderHTML(tc.tmpl, env)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("RenderHTML(%q) = %q, want %q", tc.tmpl, got, tc.want)
			}
		})
	}
	if text, _ := recipe.Render("Dear {{ form.name }}", env); text != `Dear <b>Sam</b> & 'Co'` {
		t.Errorf("Render, for text, = %q, want the value as written", text)
	}
}
