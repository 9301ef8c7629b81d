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
	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// brokenCases is a case client whose Temporal is unreachable; it counts
// what it was asked.
type brokenCases struct{ asked atomic.Int32 }

var errInternal = errors.New("query case: rpc error: dial tcp 10.9.8.7:7233: connection refused")

func (b *brokenCases) Detail(context.Context, string) (workflows.CaseDetail, error) {
	b.asked.Add(1)
	return workflows.CaseDetail{}, errInternal
}

func (b *brokenCases) SensitiveDetail(context.Context, string) (workflows.CaseDetail, error) {
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

func (b *brokenCases) AssignTask(context.Context, string, workflows.Assignment) error {
	b.asked.Add(1)
	return errInternal
}

func (b *brokenCases) AddNote(context.Context, string, workflows.TaskNote) error {
	b.asked.Add(1)
	return errInternal
}

func (b *brokenCases) Search(context.Context, cases.SearchQuery) ([]cases.CaseSummary, error) {
	b.asked.Add(1)
	return nil, errInternal
}

// routes is every staff API route, as method and path under /api/v1, with
// a body it takes.
var routes = []struct{ method, path, body string }{
	{http.MethodGet, "/tasks", ``},
	{http.MethodPost, "/tasks/BK-2345-6789/check/claim", `{"by":"pat"}`},
	{http.MethodPost, "/tasks/BK-2345-6789/check/unclaim", `{"by":"pat"}`},
	{http.MethodPost, "/tasks/BK-2345-6789/check/complete", `{"outcome":"ok","by":"pat","values":{"crew":"C7"}}`},
	{http.MethodGet, "/incidents", ``},
	{http.MethodPost, "/incidents/BK-2345-6789/book-1/resolve", `{"action":"retry","by":"pat"}`},
	{http.MethodGet, "/cases?q=sam@example.com", ``},
	{http.MethodGet, "/cases/BK-2345-6789/detail", ``},
	{http.MethodPost, "/cases/BK-2345-6789/tasks/check/complete", `{"outcome":"ok","by":"pat","values":{"crew":"C7"}}`},
	{http.MethodPost, "/cases/BK-2345-6789/incidents/book-1/resolve", `{"action":"retry","by":"pat"}`},
	{http.MethodPost, "/cases/BK-2345-6789/cancel", ``},
}

func TestStaffAPIIsOffWithoutClients(t *testing.T) {
	none, err := (&access.Directory{}).Clients("")
	if err != nil {
		t.Fatal(err)
	}
	for name, api := range map[string]*staff.API{
		"no clients":    {},
		"an empty list": {Clients: none},
		"a nil list":    {Clients: (*access.Clients)(nil)},
	} {
		cases := &brokenCases{}
		api.Cases, api.Validator, api.Log = cases, forms.New(), casetest.Log()
		base := serve(t, api)
		for _, r := range routes {
			var p problem
			if code := call(t, r.method, base+r.path, "", r.body, &p); code != http.StatusServiceUnavailable || !strings.Contains(p.Title, "turned off") {
				t.Errorf("%s: %s %s: %d %+v, want 503 turned off", name, r.method, r.path, code, p)
			}
			// Not even an empty bearer opens routes with no client configured.
			if code := call(t, r.method, base+r.path, " ", r.body, nil); code != http.StatusServiceUnavailable {
				t.Errorf("%s: %s %s with an empty bearer: %d, want 503", name, r.method, r.path, code)
			}
		}
		if n := cases.asked.Load(); n != 0 {
			t.Errorf("%s: cases were asked %d times with the staff API off", name, n)
		}
	}
}

func TestStaffAPIRefusesAWrongToken(t *testing.T) {
	cases := &brokenCases{}
	base := serve(t, &staff.API{Cases: cases, Validator: forms.New(), Clients: apiClients(t), Log: casetest.Log()})
	for _, r := range routes {
		for _, bearer := range []string{"", "wrong-token", token + "x", crmToken[1:]} {
			var p problem
			if code := call(t, r.method, base+r.path, bearer, r.body, &p); code != http.StatusUnauthorized || p.Title != "A valid bearer token is required" {
				t.Errorf("%s %s with bearer %q: %d %+v, want 401", r.method, r.path, bearer, code, p)
			}
		}
	}
	if n := cases.asked.Load(); n != 0 {
		t.Errorf("cases were asked %d times without the right token", n)
	}
}

func TestCasesUnavailableIs503WithoutDetail(t *testing.T) {
	base := serve(t, &staff.API{Cases: &brokenCases{}, Validator: forms.New(), Clients: apiClients(t), Log: casetest.Log()})
	for _, r := range routes {
		var p problem
		code := call(t, r.method, base+r.path, token, r.body, &p)
		if code != http.StatusServiceUnavailable || !strings.Contains(p.Title, "try again") || strings.Contains(p.Title, "10.9.8.7") {
			t.Errorf("%s %s with Temporal down: %d %+v, want 503 asking to try again, without the internal error", r.method, r.path, code, p)
		}
	}
}

func TestUnknownReferenceIs404(t *testing.T) {
	o := newBackOffice(t, withCases)
	for _, ref := range []string{"BK-2345-6789", "not-a-reference"} {
		for _, r := range routes {
			if !strings.Contains(r.path, "BK-2345-6789") {
				continue
			}
			path := strings.Replace(r.path, "BK-2345-6789", ref, 1)
			var p problem
			if code := call(t, r.method, o.API+path, token, r.body, &p); code != http.StatusNotFound || p.Title != "No case has that reference" {
				t.Errorf("%s %s: %d %+v, want 404", r.method, path, code, p)
			}
		}
	}
}

func TestBodiesThatAreNotJSONAre400(t *testing.T) {
	cases := &brokenCases{}
	base := serve(t, &staff.API{Cases: cases, Validator: forms.New(), Clients: apiClients(t), Log: casetest.Log()})
	for _, r := range routes {
		if r.body == "" {
			continue
		}
		var p problem
		if code := call(t, r.method, base+r.path, token, `outcome=ok`, &p); code != http.StatusBadRequest || !strings.Contains(p.Title, "JSON") {
			t.Errorf("%s %s with a form body: %d %+v, want 400 asking for JSON", r.method, r.path, code, p)
		}
	}
	if n := cases.asked.Load(); n != 0 {
		t.Errorf("cases were asked %d times with bodies that are not JSON", n)
	}
}
