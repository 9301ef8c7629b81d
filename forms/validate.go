// Package forms turns a recipe's form into questions residents answer: it
// checks answers with validator/v10 rules and GOV.UK-style messages. The web
// journey (forms/web) and the JSON API share it, so both say the same thing.
package forms

import (
	"fmt"
	"regexp"
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
// and uk_phone.
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
	must("uk_phone", ukPhonePattern, func(s string) string { return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(s) })
	return &Validator{v: v}
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
	}
	return s
}

// Field checks one cleaned answer; it returns "" when the answer is fine.
func (v *Validator) Field(f recipe.Field, value string) string {
	rules := strings.Split(f.Validate, ",")
	required := f.Required()
	if value == "" {
		if required {
			return message(f, "required", "")
		}
		return ""
	}
	for _, r := range rules {
		r = strings.TrimSpace(r)
		if r == "" || r == "required" {
			continue
		}
		if err := v.v.Var(value, r); err != nil {
			name, param, _ := strings.Cut(r, "=")
			return message(f, name, param)
		}
	}
	if f.Type == "radios" && !hasOption(f, value) {
		return message(f, "oneof", "")
	}
	return ""
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

// Form checks a whole submission and returns the cleaned answers. Answers to
// questions the form does not ask are refused, so a typo is not lost silently.
func (v *Validator) Form(r *recipe.Recipe, raw map[string]any) (map[string]any, []FieldError) {
	clean := map[string]any{}
	var errs []FieldError
	known := map[string]bool{}
	for _, f := range r.Fields() {
		known[f.ID] = true
		s := ""
		if val, ok := raw[f.ID]; ok && val != nil {
			s = fmt.Sprint(val)
		}
		s = Clean(f, s)
		if msg := v.Field(f, s); msg != "" {
			errs = append(errs, FieldError{Field: f.ID, Message: msg})
			continue
		}
		if s != "" {
			clean[f.ID] = s
		}
	}
	for _, k := range sortedKeys(raw) {
		if !known[k] {
			errs = append(errs, FieldError{Field: k, Message: "This is not a question in this form"})
		}
	}
	return clean, errs
}

func hasOption(f recipe.Field, value string) bool {
	for _, o := range f.Options {
		if o.Value == value {
			return true
		}
	}
	return false
}
