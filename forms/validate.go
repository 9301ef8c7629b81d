// Package forms turns a recipe's form into questions residents answer: it
// decides which questions are asked, checks answers with validator/v10 rules
// and GOV.UK-style messages, and shapes them for the case. The web journey
// (forms/web) and the JSON API share it, so both say the same thing.
package forms

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/larder-council/larder/workflows/recipe"
)

// FieldError is one answer that needs fixing.
type FieldError struct {
	// Field is the question's id.
	Field string `json:"field"`
	// Message says what to do, e.g. "Enter a full UK postcode, like LR1 1AA".
	Message string `json:"message"`
}

// Validator checks answers against a recipe's questions.
type Validator struct {
	v *validator.Validate
}

var (
	postcodePattern = regexp.MustCompile(`^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2})$`)
	uprnPattern     = regexp.MustCompile(`^[0-9]{1,12}$`)
	ukPhonePattern  = regexp.MustCompile(`^(\+44|0)[0-9]{9,10}$`)
)

// New builds a validator with Larder's UK rules registered: postcode, uprn
// and uk_phone. Dates have date_before and date_after (a date or "today").
func New() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(tag string, re *regexp.Regexp, clean func(string) string) {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
			return re.MatchString(clean(fl.Field().String()))
		}); err != nil {
			panic(err) // only a bad tag name fails, which is a programming error
		}
	}
	must("postcode", postcodePattern, NormalisePostcode)
	must("uprn", uprnPattern, strings.TrimSpace)
	must("uk_phone", ukPhonePattern, compactPhone)
	return &Validator{v: v}
}

func compactPhone(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s)
}

// NormalisePostcode upper-cases a postcode and puts one space before the
// inward code: "lr11aa" becomes "LR1 1AA".
func NormalisePostcode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) < 5 {
		return s
	}
	return s[:len(s)-3] + " " + s[len(s)-3:]
}

// Clean tidies an answer the way the resident meant it.
func Clean(f recipe.Field, raw string) string {
	s := strings.TrimSpace(raw)
	switch f.Type {
	case "postcode":
		// Only a real postcode is reformatted; anything else is shown back as typed.
		if n := NormalisePostcode(s); postcodePattern.MatchString(n) {
			return n
		}
	case "email":
		return strings.ToLower(s)
	case "date":
		if d, ok := parseDate(s); ok {
			return d.Format("2006-01-02")
		}
	case "checkboxes":
		// One per line from a form post; an API or example may use commas.
		var vals []string
		for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, v)
			}
		}
		return strings.Join(vals, "\n")
	}
	return s
}

// Field checks one cleaned answer; it returns "" when the answer is fine.
// Checkbox answers arrive as their values joined by newlines.
func (v *Validator) Field(f recipe.Field, value string) string {
	if value == "" {
		if f.Required() {
			return message(f, "required", "")
		}
		return ""
	}
	if msg := v.typeCheck(f, value); msg != "" {
		return msg
	}
	for _, r := range strings.Split(f.Validate, ",") {
		name, param, _ := strings.Cut(strings.TrimSpace(r), "=")
		if name == "" || name == "required" {
			continue
		}
		if !v.rule(f, name, param, value) {
			return message(f, name, param)
		}
	}
	return ""
}

// typeCheck applies what the question's type implies.
func (v *Validator) typeCheck(f recipe.Field, value string) string {
	switch f.Type {
	case "radios", "select":
		// Choices a lookup offers are checked against the lookup
		// (CheckLookups), which knows them.
		if f.Lookup == nil && !hasOption(f, value) {
			return message(f, "oneof", "")
		}
	case "checkboxes":
		for _, c := range strings.Split(value, "\n") {
			if !hasOption(f, c) {
				return message(f, "oneof", "")
			}
		}
	case "yesno":
		if value != "yes" && value != "no" {
			return message(f, "yesno", "")
		}
	case "number":
		if _, ok := parseNumber(value); !ok {
			return message(f, "number", "")
		}
	case "date":
		if _, ok := parseDate(value); !ok {
			return message(f, "date", "")
		}
	case "phone":
		if !ukPhonePattern.MatchString(compactPhone(value)) {
			return message(f, "uk_phone", "")
		}
	case "postcode":
		if !postcodePattern.MatchString(NormalisePostcode(value)) {
			return message(f, "postcode", "")
		}
	case "email":
		if v.v.Var(value, "email") != nil {
			return message(f, "email", "")
		}
	case "file":
		if !strings.HasPrefix(value, UploadPrefix) {
			return message(f, "file", "")
		}
	}
	return ""
}

// rule checks one validator rule, on the number or date for those types.
func (v *Validator) rule(f recipe.Field, name, param, value string) bool {
	switch {
	case f.Type == "date" && (name == "date_before" || name == "date_after"):
		return dateRule(name, param, value)
	case f.Type == "number":
		n, _ := parseNumber(value)
		return v.v.Var(n, name+eq(param)) == nil
	case f.Type == "checkboxes":
		return v.v.Var(strings.Split(value, "\n"), name+eq(param)) == nil
	}
	return v.v.Var(value, name+eq(param)) == nil
}

func eq(param string) string {
	if param == "" {
		return ""
	}
	return "=" + param
}

// Page checks the answers to one page's questions.
func (v *Validator) Page(p recipe.Page, answers map[string]string) []FieldError {
	var errs []FieldError
	for _, f := range p.Fields {
		if msg := v.Field(f, answers[f.ID]); msg != "" {
			errs = append(errs, FieldError{Field: f.ID, Message: msg})
		}
	}
	return errs
}

// Form checks a whole submission and returns the answers the case gets:
// questions not asked (their show_if does not hold) are dropped, checkboxes
// become lists and numbers numbers. Answers to questions the form does not
// have at all are refused, so a typo is not lost silently.
func (v *Validator) Form(r *recipe.Recipe, raw map[string]any) (map[string]any, []FieldError) {
	strs := map[string]string{}
	known := map[string]bool{}
	for _, f := range r.Fields() {
		known[f.ID] = true
		if val, ok := raw[f.ID]; ok && val != nil {
			strs[f.ID] = Clean(f, text(val))
		}
	}
	var errs []FieldError
	clean := map[string]any{}
	for _, p := range Visible(r, strs) {
		for _, f := range p.Fields {
			if msg := v.Field(f, strs[f.ID]); msg != "" {
				errs = append(errs, FieldError{Field: f.ID, Message: msg})
				continue
			}
			if s := strs[f.ID]; s != "" {
				clean[f.ID] = typed(f, s)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !known[k] {
			errs = append(errs, FieldError{Field: k, Message: "This is not a question in this form"})
		}
	}
	return clean, errs
}

// text turns an API answer into the form's text: a list joins by newlines.
func text(v any) string {
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			parts = append(parts, fmt.Sprint(item))
		}
		return strings.Join(parts, "\n")
	}
	return fmt.Sprint(v)
}

// typed is the answer as the case sees it.
func typed(f recipe.Field, s string) any {
	switch f.Type {
	case "checkboxes":
		var out []any
		for _, c := range strings.Split(s, "\n") {
			out = append(out, c)
		}
		return out
	case "number":
		n, _ := parseNumber(s)
		return n
	}
	return s
}

func hasOption(f recipe.Field, value string) bool {
	for _, o := range f.Options {
		if o.Value == value {
			return true
		}
	}
	return false
}
