package staff_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSearchByReferenceGoesToTheCase(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref, _ := booked(t, o)
	pat := o.signIn(t, "pat")
	got := pat.get("/staff/search")
	if got.Status != http.StatusOK {
		t.Fatalf("the search page: %d", got.Status)
	}
	says(t, "the search page", got, "Find a case", `name="q"`, "Reference, postcode, email address or name")
	doesNotSay(t, "the search page", got, "Results", "No cases match")
	for _, q := range []string{ref, strings.ToLower(ref), "  " + ref + " "} {
		got := pat.get("/staff/search?q=" + url.QueryEscape(q))
		if got.Status != http.StatusOK || got.Path != "/staff/cases/"+ref {
			t.Errorf("searching %q: landed on %s (%d), want the case page", q, got.Path, got.Status)
		}
	}
}

// searchFor searches as s until the results say want (visibility takes a
// moment to see a new case) and returns the page.
func searchFor(t *testing.T, s *clerk, q, want string) page {
	t.Helper()
	var got page
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = s.get("/staff/search?q=" + url.QueryEscape(q)); got.Status == http.StatusOK && strings.Contains(got.Body, want) {
			return got
		}
	}
	t.Fatalf("searching %q never showed %q; last (%d):\n%s", q, want, got.Status, got.Body)
	return got
}

// TestSearchFindsCasesByWhatResidentsGave: email address, postcode and
// name find a case however they are typed, within the user's queues.
func TestSearchFindsCasesByWhatResidentsGave(t *testing.T) {
	o := newBackOffice(t, withCases)
	permit := o.submit(t, "permit", map[string]any{"full_name": "Robin Ashworth", "email": "sam@example.com", "postcode": "LR1 1AA"})
	o.waitFor(t, permit, hasOpenTask)
	booking, _ := booked(t, o) // sam@example.com too
	pat := o.signIn(t, "pat")
	got := searchFor(t, pat, " SAM@Example.com", booking)
	says(t, "searching an email address", got, `href="/staff/cases/`+permit+`"`, "Apply for a skip permit", "Book a bulky waste collection", "In progress")
	for _, q := range []string{"lr11aa", "LR1 1AA", "ashworth", "Robin Ashworth"} {
		got := searchFor(t, pat, q, permit)
		doesNotSay(t, "searching "+q, got, booking)
	}
	says(t, "searching someone else", pat.get("/staff/search?q=nobody%40example.com"), "No cases match")
	// Robin works the waste crew, which neither case has reached.
	says(t, "robin searching", o.signIn(t, "robin").get("/staff/search?q=sam%40example.com"), "No cases match")
	searchFor(t, o.signIn(t, "alex"), "sam@example.com", permit)
}

// TestSearchTextIsOnlyEverText: what was searched for is shown back in
// the box, escaped, and nowhere else.
func TestSearchTextIsOnlyEverText(t *testing.T) {
	o := newBackOffice(t, withCases)
	q := `"><script>alert(1)</script>`
	got := o.signIn(t, "pat").get("/staff/search?q=" + url.QueryEscape(q))
	if got.Status != http.StatusOK {
		t.Fatalf("searching markup: %d", got.Status)
	}
	says(t, "searching markup", got, `value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`, "No cases match")
	doesNotSay(t, "searching markup", got, "<script>alert", `"><script`)
	if n := strings.Count(got.Body, "alert(1)"); n != 1 {
		t.Errorf("the search text appears %d times, want once, in the box", n)
	}
	got = o.signIn(t, "pat").get("/staff/search?q=" + strings.Repeat("x", 201))
	if got.Status != http.StatusUnprocessableEntity {
		t.Errorf("searching 201 characters: %d, want 422", got.Status)
	}
	says(t, "searching 201 characters", got, "Enter at most 200 characters", `href="#q"`)
}

// TestCaseSearchThroughTheAPI: a client of every queue finds cases by an
// email address; the answer names no resident.
func TestCaseSearchThroughTheAPI(t *testing.T) {
	o := newBackOffice(t, withCases)
	ref := o.submit(t, "permit", map[string]any{"full_name": "Robin Ashworth", "email": "sam@example.com", "postcode": "LR1 1AA"})
	o.waitFor(t, ref, hasOpenTask)
	var found struct {
		Cases []map[string]any `json:"cases"`
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && len(found.Cases) == 0; time.Sleep(100 * time.Millisecond) {
		if code := call(t, http.MethodGet, o.API+"/cases?q=Sam%40example.com", token, nil, &found); code != http.StatusOK {
			t.Fatalf("searching: %d", code)
		}
	}
	if len(found.Cases) != 1 || found.Cases[0]["reference"] != ref || found.Cases[0]["service"] != "permit" || found.Cases[0]["status"] == "" {
		t.Fatalf("search found %v, want the permit %s", found.Cases, ref)
	}
	var p problem
	if code := call(t, http.MethodGet, o.API+"/cases?q=", token, nil, &p); code != http.StatusBadRequest {
		t.Errorf("searching nothing: %d %+v, want 400", code, p)
	}
}
