package hooks_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors/hooks"
	"github.com/larder-council/larder/internal/casetest"
)

// faked serves the hooks over the test recipes and fake cases, with token.
func faked(t *testing.T, cases *fakeCases, token string) string {
	t.Helper()
	return serve(t, &hooks.Handler{Recipes: testRecipes(t), Cases: cases, Token: token, Log: casetest.Log()})
}

func TestHooksAreOffWithoutAToken(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases, "")
	for _, bearer := range []string{"", "anything"} {
		var p problem
		if code := post(t, base+"/hooks/garden/collected", bearer, message("GB-5521"), &p); code != http.StatusServiceUnavailable || !strings.Contains(p.Title, "Hooks are turned off") {
			t.Errorf("bearer %q with no token configured: %d %+v, want 503 turned off", bearer, code, p)
		}
	}
	if got := cases.deliveries(); len(got) != 0 {
		t.Errorf("delivered %v with hooks off", got)
	}
}

func TestHooksRefuseAWrongToken(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases, token)
	for _, bearer := range []string{"", "wrong-token"} {
		if code := post(t, base+"/hooks/garden/collected", bearer, message("GB-5521"), nil); code != http.StatusUnauthorized {
			t.Errorf("bearer %q: %d, want 401", bearer, code)
		}
	}
	if got := cases.deliveries(); len(got) != 0 {
		t.Errorf("delivered %v without the right token", got)
	}
}

func TestHookForNoWaitingServiceIs404(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases, token)
	for _, path := range []string{"/hooks/no-such-service/collected", "/hooks/garden/emptied", "/hooks/garden/paid"} {
		var p problem
		if code := post(t, base+path, token, message("GB-5521"), &p); code != http.StatusNotFound || !strings.Contains(p.Title, "waits for") {
			t.Errorf("%s: %d %+v, want 404 saying no service waits for it", path, code, p)
		}
	}
	if got := cases.deliveries(); len(got) != 0 {
		t.Errorf("delivered %v for messages no service waits for", got)
	}
}

func TestHookReachesAServiceWhoseSubrecipeWaits(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases, token)
	for _, path := range []string{"/hooks/permit/paid", "/hooks/fee/paid"} {
		if code := post(t, base+path, token, message("SP-2345-6789"), nil); code != http.StatusAccepted {
			t.Errorf("%s: %d, want 202", path, code)
		}
	}
	if got := cases.deliveries(); !slices.Equal(got, []string{"permit/paid/SP-2345-6789", "fee/paid/SP-2345-6789"}) {
		t.Errorf("delivered %v, want the paid message to each service", got)
	}
}

func TestHookBodyNeedsACorrelation(t *testing.T) {
	cases := &fakeCases{}
	base := faked(t, cases, token)
	for _, body := range []any{"", "correlation=GB-5521", `["GB-5521"]`, map[string]any{"data": map[string]any{"crew": "C7"}}, message("")} {
		var p problem
		if code := post(t, base+"/hooks/garden/collected", token, body, &p); code != http.StatusBadRequest || !strings.Contains(p.Title, "correlation") {
			t.Errorf("body %v: %d %+v, want 400 asking for a correlation", body, code, p)
		}
	}
	if got := cases.deliveries(); len(got) != 0 {
		t.Errorf("delivered %v from bad bodies", got)
	}
}

func TestHookWhenCasesAreUnavailableIs503WithoutDetail(t *testing.T) {
	base := faked(t, &fakeCases{err: errors.New("find cases: rpc error: dial tcp 10.9.8.7:7233: connection refused")}, token)
	var p problem
	if code := post(t, base+"/hooks/garden/collected", token, message("GB-5521"), &p); code != http.StatusServiceUnavailable ||
		!strings.Contains(p.Title, "try again") || strings.Contains(p.Title, "10.9.8.7") {
		t.Errorf("hook with Temporal down: %d %+v, want 503 asking to try again, without the internal error", code, p)
	}
}
