package staff_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
)

// brokenCases is a case client whose Temporal is unreachable; it counts
// what it was asked.
type brokenCases struct{ asked atomic.Int32 }

var errInternal = errors.New("query case: rpc error: dial tcp 10.9.8.7:7233: connection refused")

func (b *brokenCases) Detail(context.Context, string) (workflows.CaseDetail, error) {
	b.asked.Add(1)
	return workflows.CaseDetail{}, errInternal
}

func (b *brokenCases) CompleteTask(context.Context, string, workflows.Completion) (string, error) {
	b.asked.Add(1)
	return "", errInternal
}

func (b *brokenCases) ResolveIncident(context.Context, string, workflows.Resolution) (string, error) {
	b.asked.Add(1)
	return "", errInternal
}

func (b *brokenCases) Cancel(context.Context, string) error {
	b.asked.Add(1)
	return errInternal
}

// routes is every staff API route, as method and path under /api/v1.
var routes = [][2]string{
	{http.MethodGet, "/cases/BK-2345-6789/detail"},
	{http.MethodPost, "/cases/BK-2345-6789/tasks/check/complete"},
	{http.MethodPost, "/cases/BK-2345-6789/incidents/book-1/resolve"},
	{http.MethodPost, "/cases/BK-2345-6789/cancel"},
}

func TestStaffAPIIsOffWithoutAToken(t *testing.T) {
	cases := &brokenCases{}
	base := serve(t, &staff.API{Cases: cases, Validator: forms.New(), Log: casetest.Log()})
	for _, r := range routes {
		var p problem
		if code := call(t, r[0], base+r[1], "", `{}`, &p); code != http.StatusServiceUnavailable || !strings.Contains(p.Title, "turned off") {
			t.Errorf("%s %s with no token configured: %d %+v, want 503 turned off", r[0], r[1], code, p)
		}
		// Not even an empty bearer opens routes with no token configured.
		if code := call(t, r[0], base+r[1], " ", `{}`, nil); code != http.StatusServiceUnavailable {
			t.Errorf("%s %s with an empty bearer: %d, want 503", r[0], r[1], code)
		}
	}
	if n := cases.asked.Load(); n != 0 {
		t.Errorf("cases were asked %d times with the staff API off", n)
	}
}

func TestStaffAPIRefusesAWrongToken(t *testing.T) {
	cases := &brokenCases{}
	base := serve(t, &staff.API{Cases: cases, Validator: forms.New(), Token: token, Log: casetest.Log()})
	for _, r := range routes {
		for _, bearer := range []string{"", "wrong-token", token + "x"} {
			if code := call(t, r[0], base+r[1], bearer, `{}`, nil); code != http.StatusUnauthorized {
				t.Errorf("%s %s with bearer %q: %d, want 401", r[0], r[1], bearer, code)
			}
		}
	}
	if n := cases.asked.Load(); n != 0 {
		t.Errorf("cases were asked %d times without the right token", n)
	}
}

func TestCasesUnavailableIs503WithoutDetail(t *testing.T) {
	base := serve(t, &staff.API{Cases: &brokenCases{}, Validator: forms.New(), Token: token, Log: casetest.Log()})
	bodies := []string{``, `{"outcome":"ok","by":"pat"}`, `{"action":"retry","by":"pat"}`, ``}
	for i, r := range routes {
		var p problem
		code := call(t, r[0], base+r[1], token, bodies[i], &p)
		if code != http.StatusServiceUnavailable || !strings.Contains(p.Title, "try again") || strings.Contains(p.Title, "10.9.8.7") {
			t.Errorf("%s %s with Temporal down: %d %+v, want 503 asking to try again, without the internal error", r[0], r[1], code, p)
		}
	}
}

func TestUnknownReferenceIs404(t *testing.T) {
	e := start(t)
	bodies := []string{``, `{"outcome":"ok","by":"pat","values":{"crew":"C7"}}`, `{"action":"retry","by":"pat"}`, ``}
	for _, ref := range []string{"BK-2345-6789", "not-a-reference"} {
		for i, r := range routes {
			path := strings.Replace(r[1], "BK-2345-6789", ref, 1)
			var p problem
			if code := call(t, r[0], e.base+path, token, bodies[i], &p); code != http.StatusNotFound || p.Title != "No case has that reference" {
				t.Errorf("%s %s: %d %+v, want 404", r[0], path, code, p)
			}
		}
	}
}

func TestBodiesThatAreNotJSONAre400(t *testing.T) {
	cases := &brokenCases{}
	base := serve(t, &staff.API{Cases: cases, Validator: forms.New(), Token: token, Log: casetest.Log()})
	for _, r := range routes[1:3] {
		var p problem
		if code := call(t, r[0], base+r[1], token, `outcome=ok`, &p); code != http.StatusBadRequest || !strings.Contains(p.Title, "JSON") {
			t.Errorf("%s %s with a form body: %d %+v, want 400 asking for JSON", r[0], r[1], code, p)
		}
	}
	if n := cases.asked.Load(); n != 0 {
		t.Errorf("cases were asked %d times with bodies that are not JSON", n)
	}
}
