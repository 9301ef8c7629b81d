package recipe

import (
	"fmt"
	"html"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Env is what expressions see: form answers, variables, the case and step results.
type Env map[string]any

// exprOptions are shared by compilation at load time and in the workflow.
// Env is untyped maps, so missing keys yield nil rather than an error.
// label(form.<id>) gives the words of an answer (see FormEnv).
// Built-ins that read the clock or return map entries in random order are
// disabled: a case replayed from history must decide the same way.
func exprOptions() []expr.Option {
	return []expr.Option{
		expr.AllowUndefinedVariables(),
		expr.DisableBuiltin("now"),
		expr.DisableBuiltin("keys"),
		expr.DisableBuiltin("values"),
		expr.DisableBuiltin("toPairs"),
		expr.Patch(labelPatch{}),
		expr.Function("label", label),
	}
}

// compile parses an expression; load time uses it to reject bad ones early.
func compile(src string) (*vm.Program, error) {
	return expr.Compile(src, exprOptions()...)
}

// compileBool parses a condition and checks it yields true or false.
func compileBool(src string) (*vm.Program, error) {
	return expr.Compile(src, append(exprOptions(), expr.AsBool())...)
}

// Eval evaluates an expression. It is pure and deterministic, so the
// interpreter runs it inline in workflow code.
func Eval(src string, env Env) (any, error) {
	prog, err := compile(src)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	out, err := expr.Run(prog, map[string]any(env))
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	return out, nil
}

// EvalBool evaluates a condition; anything but true is false.
func EvalBool(src string, env Env) (bool, error) {
	v, err := Eval(src, env)
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

// segment is literal text or, when isExpr, an expression between {{ and }}.
type segment struct {
	text   string
	isExpr bool
}

// parseTemplate splits "Hello {{ form.name }}" into segments.
func parseTemplate(s string) ([]segment, error) {
	var out []segment
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			out = append(out, segment{text: s})
			break
		}
		if i > 0 {
			out = append(out, segment{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template: %q has {{ without }}", s)
		}
		out = append(out, segment{text: strings.TrimSpace(s[i+2 : i+j]), isExpr: true})
		s = s[i+j+2:]
	}
	return out, nil
}

// Render expands every {{ expression }} in a template to text.
func Render(tmpl string, env Env) (string, error) {
	return render(tmpl, env, false)
}

// RenderHTML expands a template of HTML: the template's own text is markup,
// and each expression's value is text, escaped (<, >, &, ' and "), so an
// answer cannot add markup to the council's email. Values belong in element
// text or quoted attributes, not in URLs or scripts.
func RenderHTML(tmpl string, env Env) (string, error) {
	return render(tmpl, env, true)
}

// render expands a template, escaping each value for HTML when asked.
func render(tmpl string, env Env, escapeHTML bool) (string, error) {
	segs, err := parseTemplate(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, seg := range segs {
		if !seg.isExpr {
			b.WriteString(seg.text)
			continue
		}
		v, err := Eval(seg.text, env)
		if err != nil {
			return "", err
		}
		if v == nil {
			continue
		}
		if !escapeHTML {
			fmt.Fprint(&b, v)
			continue
		}
		var value strings.Builder
		fmt.Fprint(&value, v)
		b.WriteString(html.EscapeString(value.String()))
	}
	return b.String(), nil
}

// Value expands a template like Render, except that a template made of one
// expression keeps its type: "{{ form.count }}" stays a number.
func Value(tmpl string, env Env) (any, error) {
	segs, err := parseTemplate(tmpl)
	if err != nil {
		return nil, err
	}
	if len(segs) == 1 && segs[0].isExpr {
		return Eval(segs[0].text, env)
	}
	return Render(tmpl, env)
}

// Values expands a map of templates, in key order so errors are stable.
func Values(tmpls map[string]string, env Env) (map[string]any, error) {
	out := make(map[string]any, len(tmpls))
	for _, k := range SortedKeys(tmpls) {
		v, err := Value(tmpls[k], env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// checkTemplate reports the first expression in a template that does not compile.
func checkTemplate(tmpl string) error {
	segs, err := parseTemplate(tmpl)
	if err != nil {
		return err
	}
	for _, seg := range segs {
		if seg.isExpr {
			if _, err := compile(seg.text); err != nil {
				return fmt.Errorf("expression %q does not compile: %s", seg.text, firstLine(err.Error()))
			}
		}
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
