package forms

import (
	"net/url"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// FuzzFormPost feeds a posted form body to the path a resident's answers
// take: each question's value is cleaned and checked, then the whole form
// is checked as a submission. Nothing panics, and cleaning an answer
// twice changes nothing.
func FuzzFormPost(f *testing.F) {
	var recipes []*recipe.Recipe
	for _, file := range []string{"../recipes/missed-bin.yaml", "../recipes/fly-tipping.yaml"} {
		r, err := recipe.LoadFile(file, nil)
		if err != nil {
			f.Fatal(err)
		}
		recipes = append(recipes, r)
		examples := url.Values{}
		for _, fl := range r.Fields() {
			examples.Set(fl.ID, fl.Example)
		}
		f.Add(examples.Encode())
	}
	f.Add("postcode=lr11aa&date=31%2F02%2F2024&number=NaN&email=A%40B.C")
	f.Add("items=a%0Ab,c&items=d&%ff=1&=&&;")
	f.Fuzz(func(t *testing.T, body string) {
		posted, err := url.ParseQuery(body)
		if err != nil && posted == nil {
			return
		}
		v := New()
		for _, r := range recipes {
			answers := map[string]string{}
			raw := map[string]any{}
			for _, fl := range r.Fields() {
				vals, ok := posted[fl.ID]
				if !ok {
					continue
				}
				list := make([]any, len(vals))
				for i, s := range vals {
					list[i] = s
				}
				raw[fl.ID] = list
				s := Clean(fl, vals[0])
				if again := Clean(fl, s); again != s {
					t.Fatalf("%s: Clean(%q) = %q, then %q", fl.ID, vals[0], s, again)
				}
				answers[fl.ID] = s
				_ = v.Field(fl, s)
			}
			for _, p := range Visible(r, answers) {
				_ = v.Page(p, answers)
			}
			for k, vals := range posted {
				if _, ok := raw[k]; !ok && len(vals) > 0 {
					raw[k] = vals[0]
				}
			}
			_, _ = v.Form(r, raw)
		}
	})
}
