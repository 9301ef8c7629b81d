package forms

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// UploadPrefix starts the answer to a file question: upload:<id>.
const UploadPrefix = "upload:"

// parseNumber reads "1,250.5" as 1250.5. Only finite numbers are numbers:
// ParseFloat also reads "Infinity", "inf" and "NaN", which no resident
// means and no case can keep (JSON has no such numbers).
func parseNumber(s string) (float64, bool) {
	n, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	return n, err == nil && !math.IsInf(n, 0) && !math.IsNaN(n)
}

// parseDate reads a date as 2026-03-07 or 2026-3-7 (the day, month and year
// boxes joined), and only real dates.
func parseDate(s string) (time.Time, bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	y, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	d, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || y < 1000 || y > 9999 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return time.Time{}, false // 31 February
	}
	return t, true
}

// dateRule checks date_before and date_after against a date, "today" or
// "tomorrow" (so date_before=tomorrow allows today).
func dateRule(name, param, value string) bool {
	d, ok := parseDate(value)
	if !ok {
		return false
	}
	limit, ok := parseDate(param)
	if param == "today" || param == "tomorrow" {
		now := time.Now()
		limit, ok = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), true
		if param == "tomorrow" {
			limit = limit.AddDate(0, 0, 1)
		}
	}
	if !ok {
		return false
	}
	if name == "date_before" {
		return d.Before(limit)
	}
	return d.After(limit)
}

// conditional reports whether any page or question has a show_if.
func conditional(r *recipe.Recipe) bool {
	for _, p := range r.Form.Pages {
		if p.ShowIf != "" {
			return true
		}
		for _, f := range p.Fields {
			if f.ShowIf != "" {
				return true
			}
		}
	}
	return false
}

// Visible lists the pages asked, with only the questions asked, given the
// answers so far: a page or question whose show_if does not hold is left out.
func Visible(r *recipe.Recipe, answers map[string]string) []recipe.Page {
	if !conditional(r) {
		return r.Form.Pages
	}
	form := make(map[string]any, len(answers))
	for k, v := range answers {
		form[k] = v
	}
	env := recipe.Env{"form": form}
	shown := func(cond string) bool {
		if cond == "" {
			return true
		}
		ok, err := recipe.EvalBool(cond, env)
		return err == nil && ok
	}
	var out []recipe.Page
	for _, p := range r.Form.Pages {
		if !shown(p.ShowIf) {
			continue
		}
		q := p
		q.Fields = nil
		for _, f := range p.Fields {
			if shown(f.ShowIf) {
				q.Fields = append(q.Fields, f)
			}
		}
		if len(q.Fields) > 0 {
			out = append(out, q)
		}
	}
	return out
}
