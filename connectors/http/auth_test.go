package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
)

const (
	clientSecret = "cl1ent-5ecret-b33f"
	apiKey       = "k3y-a91-c0de"
)

// authClient is a connector to base with the given auth.
func authClient(t *testing.T, base string, auth *httpconn.Auth) *httpconn.Client {
	t.Helper()
	c, err := httpconn.New("waste", httpconn.Config{BaseURL: base, Timeout: 2 * time.Second, Auth: auth, Operations: operations()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// TestAuthKinds checks what each auth kind puts on the request.
func TestAuthKinds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		auth  *httpconn.Auth
		check func(r connectortest.Request) string
	}{
		{"left out", nil, func(r connectortest.Request) string {
			return r.Header.Get("Authorization")
		}},
		{"none", &httpconn.Auth{Kind: "none"}, func(r connectortest.Request) string {
			return r.Header.Get("Authorization")
		}},
		{"basic", &httpconn.Auth{Kind: "basic", Username: "larder", Password: password}, func(r connectortest.Request) string {
			req := &http.Request{Header: r.Header}
			if u, p, ok := req.BasicAuth(); !ok || u != "larder" || p != password {
				return fmt.Sprintf("basic auth %q %q %v", u, p, ok)
			}
			return ""
		}},
		{"bearer", &httpconn.Auth{Kind: "bearer", Token: "tok-5ecret-f00d"}, func(r connectortest.Request) string {
			if got := r.Header.Get("Authorization"); got != token {
				return "Authorization " + got
			}
			return ""
		}},
		{"api key in a header", &httpconn.Auth{Kind: "api_key", Name: "X-API-Key", Value: apiKey}, func(r connectortest.Request) string {
			if got := r.Header.Get("X-API-Key"); got != apiKey || r.Query.Has("X-API-Key") {
				return fmt.Sprintf("X-API-Key header %q, query %v", got, r.Query)
			}
			return ""
		}},
		{"api key in the query", &httpconn.Auth{Kind: "api_key", In: "query", Name: "api_key", Value: apiKey}, func(r connectortest.Request) string {
			if got := r.Query.Get("api_key"); got != apiKey || r.Query.Get("postcode") != "LR1 1AA" || r.Header.Get("api_key") != "" {
				return fmt.Sprintf("query %v, header %q", r.Query, r.Header.Get("api_key"))
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := connectortest.NewServer(t, 200, `{}`)
			if _, _, err := call(authClient(t, srv.URL, tc.auth), "find_properties", map[string]any{"postcode": "LR1 1AA"}); err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(srv.Only(t)); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// tokenServer is an OAuth2 token endpoint and an API taking its tokens.
type tokenServer struct {
	*httptest.Server
	mu        sync.Mutex
	expiresIn int
	issued    int
	forms     []string // how each token request carried the client: header or form
	valid     map[string]bool
}

func newTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	ts := &tokenServer{expiresIn: 3600, valid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, inHeader := r.BasicAuth()
		how := "header"
		if !inHeader {
			id, secret, how = r.PostFormValue("client_id"), r.PostFormValue("client_secret"), "form"
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("grant_type") != "client_credentials" || id != "larder" || secret != clientSecret {
			w.WriteHeader(http.StatusUnauthorized)
			// A careless server echoes what it was sent.
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": "bad secret " + secret})
			return
		}
		ts.mu.Lock()
		ts.issued++
		tok := fmt.Sprintf("at-%d", ts.issued)
		ts.valid[tok] = true
		ts.forms = append(ts.forms, how)
		expires := ts.expiresIn
		ts.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": expires, "scope": r.PostFormValue("scope")})
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ok := ts.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		ts.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"code": "unauthorised", "message": "no valid token"}`))
			return
		}
		_, _ = w.Write([]byte(`{"id": "MC-1"}`))
	})
	ts.Server = httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) set(expiresIn int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.expiresIn = expiresIn
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.valid = map[string]bool{}
}

func (ts *tokenServer) tokens() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

func oauth2Auth(ts *tokenServer, style string) *httpconn.Auth {
	return &httpconn.Auth{Kind: "oauth2_client_credentials", TokenURL: ts.URL + "/oauth/token", ClientID: "larder", ClientSecret: clientSecret, Scopes: []string{"waste.write"}, AuthStyle: style}
}

// TestOAuth2TokenKeptUntilItExpires: one token serves many calls; a token
// about to expire (within the last 10 seconds of its life) is replaced.
func TestOAuth2TokenKeptUntilItExpires(t *testing.T) {
	ts := newTokenServer(t)
	c := authClient(t, ts.URL, oauth2Auth(ts, ""))
	ts.set(5) // shorter than the margin: spent as soon as it comes
	for i, want := range []int{1, 2} {
		if _, _, err := call(c, "get_property", map[string]any{"uprn": "1"}); err != nil {
			t.Fatal(err)
		}
		if got := ts.tokens(); got != want {
			t.Errorf("call %d with a token that expires at once: %d tokens fetched, want %d", i+1, got, want)
		}
	}
	ts.set(3600)
	for i := range 4 {
		if _, _, err := call(c, "report_missed", map[string]any{"uprn": "1"}); err != nil {
			t.Fatal(err)
		}
		if got := ts.tokens(); got != 3 {
			t.Errorf("call %d with an hour-long token: %d tokens fetched, want 3 (one for all four)", i+1, got)
		}
	}
}

// TestOAuth2TokenConcurrentCallsShareOneFetch: calls at once wait for one
// token rather than each fetching its own.
func TestOAuth2TokenConcurrentCallsShareOneFetch(t *testing.T) {
	ts := newTokenServer(t)
	c := authClient(t, ts.URL, oauth2Auth(ts, "header"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if _, _, err := call(c, "get_property", map[string]any{"uprn": "1"}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := ts.tokens(); got != 1 {
		t.Errorf("8 calls at once fetched %d tokens, want 1", got)
	}
}

// TestOAuth2RefusedTokenIsReplaced: a system that ends a token early answers
// 401; the call fetches a new token and tries once more.
func TestOAuth2RefusedTokenIsReplaced(t *testing.T) {
	ts := newTokenServer(t)
	c := authClient(t, ts.URL, oauth2Auth(ts, ""))
	if _, _, err := call(c, "get_property", map[string]any{"uprn": "1"}); err != nil {
		t.Fatal(err)
	}
	ts.revokeAll()
	out, _, err := call(c, "get_property", map[string]any{"uprn": "1"})
	if err != nil || out["id"] != "MC-1" {
		t.Fatalf("after the token was ended: %v, %v; want the call to pass with a new token", out, err)
	}
	if got := ts.tokens(); got != 2 {
		t.Errorf("%d tokens fetched, want 2", got)
	}
}

// TestOAuth2AuthStyle checks the client id and secret go where auth_style says.
func TestOAuth2AuthStyle(t *testing.T) {
	for _, style := range []string{"header", "form"} {
		t.Run(style, func(t *testing.T) {
			ts := newTokenServer(t)
			if _, _, err := call(authClient(t, ts.URL, oauth2Auth(ts, style)), "get_property", map[string]any{"uprn": "1"}); err != nil {
				t.Fatal(err)
			}
			if len(ts.forms) != 1 || ts.forms[0] != style {
				t.Errorf("token requests carried the client in %v, want [%s]", ts.forms, style)
			}
		})
	}
}

// TestOAuth2TokenRefusedIsAnOutage: a token endpoint that refuses Larder's
// credentials is a fault for staff to fix and retry, not the resident's
// refusal; the error says what to check and never the secret, even when the
// endpoint echoes it.
func TestOAuth2TokenRefusedIsAnOutage(t *testing.T) {
	ts := newTokenServer(t)
	auth := oauth2Auth(ts, "form")
	auth.ClientSecret = "wr0ng-" + clientSecret
	_, retry, err := call(authClient(t, ts.URL, auth), "report_missed", map[string]any{"uprn": "1"})
	if err == nil || !retry {
		t.Fatalf("retry = %v, err = %v; want a retryable error", retry, err)
	}
	if _, ok := connectors.AsError(err); ok {
		t.Errorf("the token endpoint's answer is not the system's about the request: %v", err)
	}
	for _, want := range []string{"connector waste", "oauth2 token", "401", "invalid_client", "auth.client_secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	connectortest.NoSecretInError(t, err, auth.ClientSecret, clientSecret)
}

func TestOAuth2TokenEndpointDownIsAnOutage(t *testing.T) {
	ts := newTokenServer(t)
	auth := oauth2Auth(ts, "")
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	auth.TokenURL = down.URL + "/oauth/token"
	_, retry, err := call(authClient(t, ts.URL, auth), "get_property", map[string]any{"uprn": "1"})
	if err == nil || !retry {
		t.Fatalf("retry = %v, err = %v; want a retryable error", retry, err)
	}
	connectortest.NoSecretInError(t, err, clientSecret)
}

func TestAuthConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth httpconn.Auth
		want []string
	}{
		{"unknown kind", httpconn.Auth{Kind: "digest"}, []string{`connectors.waste.http.auth.kind: "digest" is not none, basic, bearer, api_key or oauth2_client_credentials`}},
		{"basic without user", httpconn.Auth{Kind: "basic", Password: password}, []string{"connectors.waste.http.auth.username: is required for auth kind basic"}},
		{"bearer without token", httpconn.Auth{Kind: "bearer"}, []string{"connectors.waste.http.auth.token: is required for auth kind bearer"}},
		{"field of another kind", httpconn.Auth{Kind: "bearer", Token: "t", Password: password}, []string{"connectors.waste.http.auth.password: is not used by auth kind bearer"}},
		{"api key somewhere else", httpconn.Auth{Kind: "api_key", In: "cookie", Name: "k", Value: apiKey}, []string{`connectors.waste.http.auth.in: "cookie" is not header or query`}},
		{"api key without name or value", httpconn.Auth{Kind: "api_key"}, []string{"auth.name: is required", "auth.value: is required"}},
		{"oauth2 incomplete", httpconn.Auth{Kind: "oauth2_client_credentials", TokenURL: "ftp://x", AuthStyle: "cookie"}, []string{
			"auth.token_url: must be an http or https URL", "auth.client_id: is required", "auth.client_secret: is required", `auth.auth_style: "cookie" is not header or form`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth := tc.auth
			_, err := httpconn.New("waste", httpconn.Config{BaseURL: "https://waste.example", Auth: &auth, Operations: operations()})
			if err == nil {
				t.Fatal("New accepted it")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			connectortest.NoSecretInError(t, err, password, apiKey)
		})
	}
}

func TestAuthorizationGivenTwiceIsRefused(t *testing.T) {
	_, err := httpconn.New("waste", httpconn.Config{
		BaseURL: "https://waste.example", Headers: map[string]string{"Authorization": token},
		Auth: &httpconn.Auth{Kind: "bearer", Token: "0ther-t0ken"}, Operations: operations(),
	})
	if err == nil || !strings.Contains(err.Error(), "connectors.waste.http.headers.Authorization: auth already sets Authorization") {
		t.Errorf("err = %v, want the header refused", err)
	}
	connectortest.NoSecretInError(t, err, token, "0ther-t0ken")
}
