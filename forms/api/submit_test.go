package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// missedBin is the missed-bin recipe's example answers.
func missedBin() map[string]any {
	return map[string]any{"postcode": "LR1 1AA", "uprn": "100001000001", "bin_type": "general",
		"name": "Sam Resident", "email": "sam@example.com"}
}

// submitted is a 201 reply to a submission.
type submitted struct {
	Reference string `json:"reference"`
	StatusURL string `json:"status_url"`
	TrackURL  string `json:"track_url"`
}

func TestSubmitStartsACaseAndGivesItsReference(t *testing.T) {
	base, env := running(t)
	r := postJSON(t, base+"/services/missed-bin/submissions", missedBin())
	var got submitted
	r.decode(t, &got)
	if r.status != http.StatusCreated || !regexp.MustCompile(`^MB-[A-Z2-9]{4}-[A-Z2-9]{4}$`).MatchString(got.Reference) {
		t.Fatalf("submit: %d %s, want 201 with a reference like MB-7K4Q-2PXD", r.status, r.body)
	}
	if got.StatusURL != "/api/v1/cases/"+got.Reference || got.TrackURL != "/track/"+got.Reference || r.header.Get("Location") != got.StatusURL {
		t.Errorf("submit answered %+v, Location %q: want the case's status and track URLs", got, r.header.Get("Location"))
	}
	// The case runs: the waste team hears of the missed bin.
	view := waitClosed(t, base, got.Reference)
	if view.Status != workflows.StatusCompleted || view.Service != "missed-bin" {
		t.Errorf("case ended %+v, want missed-bin completed", view)
	}
	if missed := env.Waste.MissedCollections(); len(missed) != 1 {
		t.Errorf("the waste system has %d missed collections, want the one reported", len(missed))
	}
}

func TestSubmitListsEveryAnswerThatNeedsFixing(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases)
	answers := map[string]any{"postcode": "not a postcode", "uprn": "100001000001", "bin_type": "purple", "email": "sam@", "colour": "black"}
	r := postJSON(t, base+"/services/missed-bin/submissions", answers)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad answers: %d %s, want 422", r.status, r.body)
	}
	p := r.problem(t)
	got := map[string]string{}
	for _, e := range p.Errors {
		got[e.Field] = e.Message
	}
	for field, want := range map[string]string{
		"postcode": "postcode",
		"bin_type": "Select",
		"name":     "Enter",
		"email":    "email address",
		"colour":   "not a question in this form",
	} {
		if !strings.Contains(got[field], want) {
			t.Errorf("%s: %q, want a message with %q", field, got[field], want)
		}
	}
	if _, ok := got["uprn"]; ok || len(got) != 5 {
		t.Errorf("errors %v, want exactly the five bad answers", got)
	}
	if cases.starts() != 0 {
		t.Error("a case was started with answers that need fixing")
	}
}

func TestSubmitWithTheSameIdempotencyKeyIsTheSameCase(t *testing.T) {
	base, env := running(t)
	url := base + "/services/missed-bin/submissions"
	var first, again, other submitted
	postJSON(t, url, missedBin(), "Idempotency-Key", "retry-me").decode(t, &first)
	if r := postJSON(t, url, missedBin(), "Idempotency-Key", "retry-me"); r.status != http.StatusCreated {
		t.Fatalf("repeat: %d %s, want 201 again", r.status, r.body)
	} else {
		r.decode(t, &again)
	}
	recycling := missedBin()
	recycling["bin_type"] = "recycling"
	postJSON(t, url, recycling, "Idempotency-Key", "another").decode(t, &other)
	if first.Reference == "" || again.Reference != first.Reference {
		t.Fatalf("the same key gave %q then %q, want one case", first.Reference, again.Reference)
	}
	if other.Reference == "" || other.Reference == first.Reference {
		t.Errorf("a different key gave %q, want a new case", other.Reference)
	}
	waitClosed(t, base, first.Reference)
	waitClosed(t, base, other.Reference)
	if missed := env.Waste.MissedCollections(); len(missed) != 2 {
		t.Errorf("%d missed bins reported, want the general and the recycling bins", len(missed))
	}
}

func TestSubmitTooLargeIs413(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases)
	big := `{"name":"` + strings.Repeat("a", web.MaxBody) + `"}`
	// Once with its length declared, once streamed, as a client may send it.
	for name, body := range map[string]io.Reader{"declared": strings.NewReader(big), "streamed": io.MultiReader(strings.NewReader(big))} {
		r := do(t, http.MethodPost, base+"/services/missed-bin/submissions", body, "Content-Type", "application/json")
		if r.status != http.StatusRequestEntityTooLarge || r.problem(t).Title != "Request body too large" {
			t.Errorf("%s: %d %s, want 413", name, r.status, r.body)
		}
	}
	if cases.starts() != 0 {
		t.Error("a case was started from a body too large")
	}
}

// Security finding 2: the body limit followed the client's Content-Type, so
// a 2 MiB JSON body labelled multipart/form-data was decoded in full and
// started a case. Submissions take no files: their limit is the JSON one.
func TestFinding2JSONLabelledMultipartIsHeldToTheJSONLimit(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases)
	answers, err := json.Marshal(missedBin())
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat(" ", 2<<20) + string(answers)
	for name, body := range map[string]io.Reader{"declared": strings.NewReader(big), "streamed": io.MultiReader(strings.NewReader(big))} {
		r := do(t, http.MethodPost, base+"/services/missed-bin/submissions", body, "Content-Type", "multipart/form-data; boundary=x")
		if r.status != http.StatusRequestEntityTooLarge || r.problem(t).Title != "Request body too large" {
			t.Errorf("%s: %d %s, want 413", name, r.status, r.body)
		}
	}
	if cases.starts() != 0 {
		t.Error("a case was started from a 2 MiB body")
	}
}

func TestSubmitThatIsNotAnObjectIs400(t *testing.T) {
	base := faked(t, &fakeCases{})
	for _, body := range []string{"", "name=Sam", `["LR1 1AA"]`} {
		r := do(t, http.MethodPost, base+"/services/missed-bin/submissions", strings.NewReader(body), "Content-Type", "application/json")
		if r.status != http.StatusBadRequest || !strings.Contains(r.problem(t).Title, "JSON object") {
			t.Errorf("body %q: %d %s, want 400 asking for a JSON object", body, r.status, r.body)
		}
	}
}

func TestSubmitWhenCasesCannotStartIs503WithoutDetail(t *testing.T) {
	base := faked(t, &fakeCases{startErr: errors.New("start case: dial tcp 10.9.8.7:7233: connection refused")})
	r := postJSON(t, base+"/services/missed-bin/submissions", missedBin())
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("submit with Temporal down: %d %s, want 503 with Retry-After", r.status, r.body)
	}
	if p := r.problem(t); !strings.Contains(p.Title, "try again") || bytes.Contains(r.body, []byte("10.9.8.7")) || bytes.Contains(r.body, []byte("dial")) {
		t.Errorf("the client is told %s; want a plain try again, not the internal error", r.body)
	}
}

func TestRateLimitGuardsOnlyWhatSendsSomething(t *testing.T) {
	refuse := func(c *gin.Context) { web.Problem(c, http.StatusTooManyRequests, "Too many requests", nil) }
	cases := &fakeCases{}
	base := serve(t, &api.Handler{Recipes: shipped(t), Cases: cases, Validator: forms.New(),
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}, refuse, pass)
	if r := postJSON(t, base+"/services/missed-bin/submissions", missedBin()); r.status != http.StatusTooManyRequests {
		t.Errorf("submission over the limit: %d, want 429", r.status)
	}
	if r := do(t, http.MethodPost, base+"/services/fly-tipping/uploads/photo", strings.NewReader("")); r.status != http.StatusTooManyRequests {
		t.Errorf("upload over the limit: %d, want 429", r.status)
	}
	for _, path := range []string{"/services", "/services/missed-bin", "/cases/MB-2345-6789", "/schema/recipe.json"} {
		if r := do(t, http.MethodGet, base+path, nil); r.status != http.StatusOK {
			t.Errorf("GET %s under the limit for posts: %d, want 200", path, r.status)
		}
	}
	if cases.starts() != 0 {
		t.Error("a case was started over the limit")
	}
}

// Security finding 4: "Infinity", "inf" and "NaN" passed as numbers; the
// case could then never start (its answers cannot be written as JSON) and
// every retry answered 503. They are refused with 422 naming the question.
func TestFinding4NonFiniteNumbersAreRefused(t *testing.T) {
	sizes := &recipe.Recipe{ID: "garden-waste", Title: "Garden waste", Form: recipe.Form{Pages: []recipe.Page{
		{ID: "garden", Title: "Your garden", Fields: []recipe.Field{{ID: "bins", Type: "number", Label: "Number of bins", Validate: "required,min=1,max=4"},
			{ID: "area", Type: "number", Label: "Size of the garden"}}},
	}}}
	cases := &fakeCases{}
	base := serve(t, &api.Handler{Recipes: []*recipe.Recipe{sizes}, Cases: cases, Validator: forms.New(),
		Uploads: &forms.Uploads{Dir: t.TempDir()}, Log: casetest.Log()}, pass, pass)
	for _, bad := range []string{"Infinity", "inf", "-Inf", "NaN", "nan"} {
		r := postJSON(t, base+"/services/garden-waste/submissions", map[string]any{"bins": 2, "area": bad})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("area %q: %d %s, want 422", bad, r.status, r.body)
			continue
		}
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "area" || p.Errors[0].Message != "Size of the garden must be a number" {
			t.Errorf("area %q: errors %+v, want one for area", bad, p.Errors)
		}
	}
	if cases.starts() != 0 {
		t.Errorf("%d cases started with a number that is not finite", cases.starts())
	}
	if r := postJSON(t, base+"/services/garden-waste/submissions", map[string]any{"bins": 2, "area": "1,250.5"}); r.status != http.StatusCreated {
		t.Errorf("a finite number: %d %s, want 201", r.status, r.body)
	}
}

// waitClosed polls the case API until the case leaves running.
func waitClosed(t *testing.T, base, ref string) workflows.CaseView {
	t.Helper()
	var view workflows.CaseView
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		view = workflows.CaseView{}
		if r := do(t, http.MethodGet, base+"/cases/"+ref, nil); r.status == http.StatusOK {
			r.decode(t, &view)
			if view.Status != workflows.StatusRunning {
				return view
			}
		}
	}
	t.Fatalf("case %s still %q", ref, view.Status)
	return view
}
