package http_test

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
	"github.com/larder-council/larder/internal/wastesim"
)

// simClock is the waste simulator's clock, moved by the test.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// simWith starts the reference waste system asking for auth.
func simWith(t *testing.T, auth *wastesim.Auth) (*wastesim.Server, *simClock, string) {
	t.Helper()
	clock := &simClock{now: time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)}
	sim := wastesim.New(wastesim.Options{Now: clock.Now, Auth: auth})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, clock, srv.URL
}

// TestWasteSimulatorAuthKinds calls the reference waste system, asking for
// each kind of credentials, with a connector set up for that kind: the
// right credentials get through and wrong ones are refused without the
// error showing them.
func TestWasteSimulatorAuthKinds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sim       wastesim.Auth
		good, bad httpconn.Auth
	}{
		{"basic", wastesim.Auth{Username: "larder", Password: password},
			httpconn.Auth{Kind: "basic", Username: "larder", Password: password},
			httpconn.Auth{Kind: "basic", Username: "larder", Password: "wr0ng-" + password}},
		{"bearer", wastesim.Auth{BearerToken: "tok-5ecret-f00d"},
			httpconn.Auth{Kind: "bearer", Token: "tok-5ecret-f00d"},
			httpconn.Auth{Kind: "bearer", Token: "wr0ng-tok-5ecret"}},
		{"api key header", wastesim.Auth{APIKey: apiKey, APIKeyHeader: "X-Council-Key"},
			httpconn.Auth{Kind: "api_key", Name: "X-Council-Key", Value: apiKey},
			httpconn.Auth{Kind: "api_key", Name: "X-Council-Key", Value: "wr0ng-" + apiKey}},
		{"api key query", wastesim.Auth{APIKey: apiKey, APIKeyQuery: "key"},
			httpconn.Auth{Kind: "api_key", In: "query", Name: "key", Value: apiKey},
			httpconn.Auth{Kind: "api_key", In: "query", Name: "key", Value: "wr0ng-" + apiKey}},
		{"oauth2 client credentials", wastesim.Auth{ClientID: "larder client", ClientSecret: clientSecret},
			httpconn.Auth{Kind: "oauth2_client_credentials", TokenURL: "/oauth/token", ClientID: "larder client", ClientSecret: clientSecret},
			httpconn.Auth{Kind: "oauth2_client_credentials", TokenURL: "/oauth/token", ClientID: "larder client", ClientSecret: "wr0ng-" + clientSecret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, _, base := simWith(t, &tc.sim)
			for _, a := range []*httpconn.Auth{&tc.good, &tc.bad} {
				if a.TokenURL != "" {
					a.TokenURL = base + a.TokenURL
				}
			}
			out, err := write(t, authClient(t, base, &tc.good), "MB-7K4Q-2PXD/raise")
			if err != nil || out["id"] == nil {
				t.Fatalf("with the right credentials: %v, %v", out, err)
			}
			if n := len(sim.MissedCollections()); n != 1 {
				t.Errorf("the waste system recorded %d reports, want 1", n)
			}
			_, err = write(t, authClient(t, base, &tc.bad), "MB-9ZZZ-1AAA/raise")
			if err == nil {
				t.Fatal("wrong credentials got through")
			}
			connectortest.NoSecretInError(t, err, password, "tok-5ecret-f00d", apiKey, clientSecret)
			if n := len(sim.MissedCollections()); n != 1 {
				t.Errorf("after a refused call the waste system holds %d reports, want 1", n)
			}
		})
	}
}

// TestWasteSimulatorOAuth2TokenRefreshed: one token serves the calls of its
// hour; once it has expired on the system's clock the next call fetches a
// new one and goes through.
func TestWasteSimulatorOAuth2TokenRefreshed(t *testing.T) {
	sim, clock, base := simWith(t, &wastesim.Auth{ClientID: "larder", ClientSecret: clientSecret, TokenTTL: time.Hour})
	c := authClient(t, base, &httpconn.Auth{Kind: "oauth2_client_credentials", TokenURL: base + "/oauth/token", ClientID: "larder", ClientSecret: clientSecret, AuthStyle: "header"})
	for range 3 {
		if _, _, err := call(c, "get_property", map[string]any{"uprn": "100001000001"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.TokensIssued(); n != 1 {
		t.Errorf("3 calls in the token's hour fetched %d tokens, want 1", n)
	}
	clock.add(61 * time.Minute)
	if _, _, err := call(c, "get_property", map[string]any{"uprn": "100001000001"}); err != nil {
		t.Fatalf("after the token expired: %v, want a new token fetched and the call through", err)
	}
	if n := sim.TokensIssued(); n != 2 {
		t.Errorf("after expiry %d tokens were fetched in all, want 2", n)
	}
}

// TestWasteSimulatorShortLivedTokens: a token that lasts less than the
// margin kept before expiry is fetched for every call.
func TestWasteSimulatorShortLivedTokens(t *testing.T) {
	sim, _, base := simWith(t, &wastesim.Auth{ClientID: "larder", ClientSecret: clientSecret, TokenTTL: 5 * time.Second})
	c := authClient(t, base, &httpconn.Auth{Kind: "oauth2_client_credentials", TokenURL: base + "/oauth/token", ClientID: "larder", ClientSecret: clientSecret, AuthStyle: "form"})
	for range 3 {
		if _, _, err := call(c, "get_property", map[string]any{"uprn": "100001000001"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.TokensIssued(); n != 3 {
		t.Errorf("3 calls with 5-second tokens fetched %d tokens, want 3", n)
	}
}
