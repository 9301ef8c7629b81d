package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/forms/api"
	"github.com/larder-council/larder/internal/casetest"
)

// binsReported is the bin types the waste system was told of, sorted.
func binsReported(env *casetest.Env) []string {
	var bins []string
	for _, m := range env.Waste.MissedCollections() {
		bins = append(bins, m.BinType)
	}
	slices.Sort(bins)
	return bins
}

// binOf is the bin type case ref was started with, as staff see it.
func binOf(t *testing.T, env *casetest.Env, ref string) string {
	t.Helper()
	d, err := env.Cases.Detail(context.Background(), ref)
	if err != nil {
		t.Fatalf("case %s: %v", ref, err)
	}
	bin, _ := d.Form["bin_type"].(string)
	return bin
}

// Security finding 5: a repeat of an Idempotency-Key with other answers
// got 201 and the first case's reference, and its answers were dropped.
// It is now refused with 422, and starts no case.
func TestFinding5SameKeyWithOtherAnswersIs422(t *testing.T) {
	base, env := running(t)
	url := base + "/services/missed-bin/submissions"
	var first submitted
	postJSON(t, url, missedBin(), "Idempotency-Key", "report-1").decode(t, &first)
	recycling := missedBin()
	recycling["bin_type"] = "recycling"
	r := postJSON(t, url, recycling, "Idempotency-Key", "report-1")
	if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("the key again with other answers: %d %s, want 422 problem+json", r.status, r.body)
	}
	if p := r.problem(t); p.Title != api.IdempotencyKeyReused || first.Reference == "" || strings.Contains(string(r.body), first.Reference) {
		t.Errorf("the key again with other answers was told %s; want %q and not the first case's reference", r.body, api.IdempotencyKeyReused)
	}
	waitClosed(t, base, first.Reference)
	if bins := binsReported(env); !slices.Equal(bins, []string{"general"}) {
		t.Errorf("bins reported %v, want only the first submission's general bin", bins)
	}
}

// Security finding 5: keys were one namespace for every caller, so anyone
// who guessed a partner's key pre-empted its report and learnt its
// reference. A key is the caller's own: the same key from another caller
// (another bearer token, or none) is another case, with its own answers.
func TestFinding5SameKeyFromAnotherCallerIsAnotherCase(t *testing.T) {
	base, env := running(t)
	url := base + "/services/missed-bin/submissions"
	var partner, other, anonymous submitted
	postJSON(t, url, missedBin(), "Idempotency-Key", "report-1", "Authorization", "Bearer partner-secret").decode(t, &partner)
	recycling := missedBin()
	recycling["bin_type"] = "recycling"
	r := postJSON(t, url, recycling, "Idempotency-Key", "report-1", "Authorization", "Bearer someone-else")
	r.decode(t, &other)
	if r.status != http.StatusCreated || other.Reference == "" || other.Reference == partner.Reference {
		t.Fatalf("the partner's key from another token: %d %s; want 201 and a case other than the partner's %s", r.status, r.body, partner.Reference)
	}
	garden := missedBin()
	garden["bin_type"] = "garden"
	r = postJSON(t, url, garden, "Idempotency-Key", "report-1")
	r.decode(t, &anonymous)
	if r.status != http.StatusCreated || anonymous.Reference == "" || anonymous.Reference == partner.Reference || anonymous.Reference == other.Reference {
		t.Fatalf("the key with no token: %d %s; want 201 and a case of its own", r.status, r.body)
	}
	for ref, want := range map[string]string{partner.Reference: "general", other.Reference: "recycling", anonymous.Reference: "garden"} {
		if got := binOf(t, env, ref); got != want {
			t.Errorf("case %s is about the %q bin, want %q", ref, got, want)
		}
	}
}

// Security finding 5: a repeat with the same key and answers is the same
// case for its caller, whoever else has used the key since (before, the
// other caller was given this case's reference).
func TestFinding5SameKeyAndAnswersIsTheSameCase(t *testing.T) {
	base, env := running(t)
	url := base + "/services/missed-bin/submissions"
	var first, between, again submitted
	postJSON(t, url, missedBin(), "Idempotency-Key", "report-1", "Authorization", "Bearer partner-secret").decode(t, &first)
	postJSON(t, url, missedBin(), "Idempotency-Key", "report-1").decode(t, &between)
	// The same answers, written another way, are the same answers.
	same := missedBin()
	same["postcode"], same["email"] = "lr1 1aa", "Sam@example.com"
	r := postJSON(t, url, same, "Idempotency-Key", "report-1", "Authorization", "Bearer partner-secret")
	r.decode(t, &again)
	if r.status != http.StatusCreated || first.Reference == "" || again.Reference != first.Reference {
		t.Fatalf("the repeat: %d %s; want 201 and the first case, %s", r.status, r.body, first.Reference)
	}
	if between.Reference == "" || between.Reference == first.Reference {
		t.Errorf("another caller with the key was given %q; want a case other than %s", between.Reference, first.Reference)
	}
	for _, ref := range []string{first.Reference, between.Reference} {
		if got := binOf(t, env, ref); got != "general" {
			t.Errorf("case %s is about the %q bin, want the general bin", ref, got)
		}
	}
}
