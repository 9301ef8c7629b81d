package wastesim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// secrets are the test's credentials; none may appear in an answer.
const (
	token        = "bearer-secret-7f3a"
	password     = "basic-secret-91c2"
	apiKey       = "key-secret-44d0"
	clientSecret = "client-secret&=/é"
)

// get sends a GET with what set adds and returns the status and body.
func get(t *testing.T, url string, set func(*http.Request)) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func TestAuthKinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth wastesim.Auth
		path string
		set  func(*http.Request)
		want int
	}{
		{"bearer", wastesim.Auth{BearerToken: token}, "", bearer(token), 200},
		{"wrong bearer", wastesim.Auth{BearerToken: token}, "", bearer(token + "x"), 401},
		{"no credentials", wastesim.Auth{BearerToken: token}, "", nil, 401},
		{"basic", wastesim.Auth{Username: "larder", Password: password}, "", func(r *http.Request) { r.SetBasicAuth("larder", password) }, 200},
		{"wrong basic password", wastesim.Auth{Username: "larder", Password: password}, "", func(r *http.Request) { r.SetBasicAuth("larder", "guess") }, 401},
		{"api key in X-API-Key", wastesim.Auth{APIKey: apiKey}, "", func(r *http.Request) { r.Header.Set("X-API-Key", apiKey) }, 200},
		{"api key in a named header", wastesim.Auth{APIKey: apiKey, APIKeyHeader: "X-Council-Key"}, "", func(r *http.Request) { r.Header.Set("X-Council-Key", apiKey) }, 200},
		{"api key in the wrong header", wastesim.Auth{APIKey: apiKey, APIKeyHeader: "X-Council-Key"}, "", func(r *http.Request) { r.Header.Set("X-API-Key", apiKey) }, 401},
		{"api key in the query", wastesim.Auth{APIKey: apiKey, APIKeyQuery: "key"}, "&key=" + apiKey, nil, 200},
		{"wrong api key in the query", wastesim.Auth{APIKey: apiKey, APIKeyQuery: "key"}, "&key=nope", nil, 401},
		{"bearer sent where basic is asked", wastesim.Auth{Username: "larder", Password: password}, "", bearer(password), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth := tc.auth
			_, _, srv := simWith(t, now, wastesim.Options{Auth: &auth})
			status, body := get(t, srv.URL+"/api/properties?postcode=LR1+1AA"+tc.path, tc.set)
			if status != tc.want {
				t.Fatalf("%d %s, want %d", status, body, tc.want)
			}
			if status == 401 {
				noSecret(t, body)
				if !strings.Contains(body, `"code":"unauthorized"`) {
					t.Errorf("401 body %s, want code unauthorized", body)
				}
			}
		})
	}
}

// TestAuthGuardsAPIAndOpen311Only: with credentials asked for, every API
// and Open311 route refuses a caller without them (the Open311 way for
// Open311), while health, faults and the OpenAPI document stay open.
func TestAuthGuardsAPIAndOpen311Only(t *testing.T) {
	_, _, srv := simWith(t, now, wastesim.Options{Auth: &wastesim.Auth{BearerToken: token}})
	for _, path := range []string{"/api/rounds", "/api/missed-collections", "/api/bulky-waste/reservations", "/api/garden-waste/subscriptions", "/open311/v2/services.json"} {
		if status, body := get(t, srv.URL+path, nil); status != 401 {
			t.Errorf("GET %s without credentials: %d %s, want 401", path, status, body)
		}
	}
	if _, body := get(t, srv.URL+"/open311/v2/services.json", nil); !strings.HasPrefix(body, `[{"code":401,"description":`) {
		t.Errorf("Open311 refusal %s, want a GeoReport error list", body)
	}
	for _, path := range []string{"/healthz", "/admin/faults", "/openapi.json"} {
		if status, _ := get(t, srv.URL+path, nil); status != 200 {
			t.Errorf("GET %s without credentials: %d, want 200", path, status)
		}
	}
	if status, _ := get(t, srv.URL+"/api/rounds", bearer(token)); status != 200 {
		t.Errorf("GET /api/rounds with the token: %d, want 200", status)
	}
}

// fetchToken asks the token endpoint; form adds to grant_type.
func fetchToken(t *testing.T, base string, basic bool, id, secret string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	noSecret(t, string(b))
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// TestOAuth2ClientCredentials: a token is issued to the right client only,
// lets calls through for its TTL on the simulator's clock, then is refused
// as expired until a new one is fetched; the count shows each fetch.
func TestOAuth2ClientCredentials(t *testing.T) {
	s, c, srv := simWith(t, now, wastesim.Options{Auth: &wastesim.Auth{ClientID: "larder client", ClientSecret: clientSecret, TokenTTL: 5 * time.Minute}})
	status, tok := fetchToken(t, srv.URL, true, "larder client", clientSecret)
	if status != 200 || tok["token_type"] != "Bearer" || tok["expires_in"] != 300.0 || tok["access_token"] == "" {
		t.Fatalf("token by basic auth: %d %v", status, tok)
	}
	access := tok["access_token"].(string)
	if status, body := get(t, srv.URL+"/api/rounds", bearer(access)); status != 200 {
		t.Errorf("with the token: %d %s", status, body)
	}
	c.Set(now.Add(5 * time.Minute))
	status, body := get(t, srv.URL+"/api/rounds", bearer(access))
	if status != 401 || !strings.Contains(body, "expired") {
		t.Errorf("after the TTL: %d %s, want 401 saying it expired", status, body)
	}
	if strings.Contains(body, access) {
		t.Errorf("the refusal repeats the token: %s", body)
	}
	status, tok = fetchToken(t, srv.URL, false, "larder client", clientSecret)
	if status != 200 {
		t.Fatalf("token by form: %d %v", status, tok)
	}
	if status, _ := get(t, srv.URL+"/api/rounds", bearer(tok["access_token"].(string))); status != 200 {
		t.Errorf("with the new token: %d", status)
	}
	if n := s.TokensIssued(); n != 2 {
		t.Errorf("%d tokens issued, want 2", n)
	}
	for _, tc := range []struct {
		name       string
		basic      bool
		id, secret string
	}{{"wrong secret by basic", true, "larder client", "guess"}, {"wrong secret by form", false, "larder client", "guess"}, {"wrong id", true, "other", clientSecret}} {
		if status, out := fetchToken(t, srv.URL, tc.basic, tc.id, tc.secret); status != 401 || out["error"] != "invalid_client" {
			t.Errorf("%s: %d %v, want 401 invalid_client", tc.name, status, out)
		}
	}
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=password&username=a&password=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("grant_type=password: %d, want 400", resp.StatusCode)
	}
	if n := s.TokensIssued(); n != 2 {
		t.Errorf("%d tokens issued after refusals, want still 2", n)
	}
}

func noSecret(t *testing.T, body string) {
	t.Helper()
	for _, secret := range []string{token, password, apiKey, clientSecret, url.QueryEscape(clientSecret)} {
		if strings.Contains(body, secret) {
			t.Errorf("an answer carries a secret: %s", body)
		}
	}
}
