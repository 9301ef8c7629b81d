package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// The secrets Larder is given, each distinctive enough that finding it
// anywhere can only mean it leaked.
const (
	secretBearer       = "bearer-5ecret-Qz7K2pXw"
	secretBasic        = "basic-5ecret-Lm4N8vRt"
	secretHeaderKey    = "hdrkey-5ecret-Jd3F6gHs"
	secretQueryKey     = "qrykey-5ecret-Wc9B1nYe"
	secretClientSecret = "client-5ecret-Tv5P0kAu"
	secretFixedHeader  = "fixed-5ecret-Gx2M7rDo"
	secretURLPassword  = "urlpw-5ecret-Hb8S4jKi"
)

// secretsEnv are the environment variables connectors.yaml takes the
// secrets from.
var secretsEnv = map[string]string{
	"LARDER_TEST_BEARER_TOKEN":   secretBearer,
	"LARDER_TEST_BASIC_PASSWORD": secretBasic,
	"LARDER_TEST_HEADER_KEY":     secretHeaderKey,
	"LARDER_TEST_QUERY_KEY":      secretQueryKey,
	"LARDER_TEST_CLIENT_SECRET":  secretClientSecret,
	"LARDER_TEST_FIXED_HEADER":   secretFixedHeader,
	"LARDER_TEST_URL_PASSWORD":   secretURLPassword,
}

// secretConnectors are the connectors of TestSecretsStaySecret, each
// carrying a secret its own way: name and the lines under http: besides
// base_url, timeout and operations. The waste system refuses the first
// seven; down's system is not there and slow's never answers.
var secretConnectors = []struct{ name, baseURL, timeout, settings string }{
	{"bearer", "${LARDER_TEST_WASTE_URL}", "5s", `auth: { kind: bearer, token: "${LARDER_TEST_BEARER_TOKEN}" }`},
	{"basic", "${LARDER_TEST_WASTE_URL}", "5s", `auth: { kind: basic, username: larder, password: "${LARDER_TEST_BASIC_PASSWORD}" }`},
	{"api_key_header", "${LARDER_TEST_WASTE_URL}", "5s", `auth: { kind: api_key, name: X-API-Key, value: "${LARDER_TEST_HEADER_KEY}" }`},
	{"api_key_query", "${LARDER_TEST_WASTE_URL}", "5s", `auth: { kind: api_key, in: query, name: api_key, value: "${LARDER_TEST_QUERY_KEY}" }`},
	{"oauth2", "${LARDER_TEST_WASTE_URL}", "5s", `auth: { kind: oauth2_client_credentials, token_url: "${LARDER_TEST_WASTE_URL}/oauth/token", client_id: larder, client_secret: "${LARDER_TEST_CLIENT_SECRET}" }`},
	{"fixed_header", "${LARDER_TEST_WASTE_URL}", "5s", `headers: { Authorization: "Bearer ${LARDER_TEST_FIXED_HEADER}" }`},
	{"url_password", "http://larder:${LARDER_TEST_URL_PASSWORD}@${LARDER_TEST_WASTE_HOST}", "5s", ``},
	{"down", "http://larder:${LARDER_TEST_URL_PASSWORD}@${LARDER_TEST_DOWN_HOST}", "5s", `auth: { kind: api_key, in: query, name: api_key, value: "${LARDER_TEST_QUERY_KEY}" }`},
	{"slow", "http://larder:${LARDER_TEST_URL_PASSWORD}@${LARDER_TEST_SLOW_HOST}", "300ms", `auth: { kind: api_key, in: query, name: api_key, value: "${LARDER_TEST_QUERY_KEY}" }`},
}

// secretsRouted is the form answer whose case calls the bearer connector
// with on_error, so the refusal is routed rather than an incident.
const secretsRouted = "bearer_routed"

// secretsFiles writes connectors.yaml and the recipe calling each
// connector into dir.
func secretsFiles(t *testing.T, dir string) {
	t.Helper()
	var conns, options, branches, steps strings.Builder
	conns.WriteString("connectors:\n")
	for _, c := range secretConnectors {
		fmt.Fprintf(&conns, "  %s:\n    kind: http\n    http:\n      base_url: %q\n      timeout: %s\n", c.name, c.baseURL, c.timeout)
		if c.settings != "" {
			fmt.Fprintf(&conns, "      %s\n", c.settings)
		}
		conns.WriteString("      operations:\n        get_property:\n          path: /api/properties/{uprn}\n")
	}
	call := func(id, connector, extra string) {
		fmt.Fprintf(&steps, `  - id: %s
    title: Asked %s
    call:
      connector: %s
      operation: get_property
      input: { uprn: "100001000001" }
      retry: { max_attempts: 2, interval: 100ms, max_interval: 200ms }
      timeout: 10s%s
    next: done
`, id, connector, connector, extra)
	}
	for _, c := range secretConnectors {
		fmt.Fprintf(&options, "            - { value: %s, label: %s }\n", c.name, c.name)
		fmt.Fprintf(&branches, "        - { when: 'form.system == \"%s\"', next: call_%s }\n", c.name, c.name)
		call("call_"+c.name, c.name, "")
	}
	fmt.Fprintf(&options, "            - { value: %s, label: %s }\n", secretsRouted, secretsRouted)
	fmt.Fprintf(&branches, "        - { when: 'form.system == \"%s\"', next: call_%s }\n", secretsRouted, secretsRouted)
	call("call_"+secretsRouted, "bearer", "\n      on_error: refused")

	recipe := `id: secrets
version: "1"
title: Check secrets stay secret
reference_prefix: SK
form:
  pages:
    - id: which
      title: Which system
      fields:
        - id: system
          type: radios
          label: Which system?
          validate: required
          options:
` + options.String() + `steps:
  - id: route
    title: Chose the system
    decide:
      branches:
` + branches.String() + `      otherwise: done
` + steps.String() + `  - id: refused
    end:
      outcome: Not accepted
  - id: done
    end:
      outcome: Called
`
	for name, text := range map[string]string{"connectors.yaml": conns.String(), "secrets.yaml": recipe} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// syncBuffer is a log destination many goroutines write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// requestLog keeps what each request to the waste system carried, so the
// test knows every secret was sent (and so had the chance to leak).
type requestLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.RequestURI())
		_ = r.Header.Write(&b)
		b.Write(body)
		l.mu.Lock()
		l.seen = append(l.seen, b.String())
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.seen, "\n")
}

// writeSecretsStaff writes a staff.yaml with one administrator, benchUser
// (so signInToStaff signs them in), who may see incidents.
func writeSecretsStaff(t *testing.T, path string) string {
	t.Helper()
	password := "staff-password-for-secrets-test"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	staff := fmt.Sprintf("users:\n  - username: %s\n    name: Ada Admin\n    role: admin\n    password_hash: %q\n", benchUser, hash)
	if err := os.WriteFile(path, []byte(staff), 0o600); err != nil {
		t.Fatal(err)
	}
	return password
}

// secretsGet fetches u with c (and the staff token when token is set) and
// returns the body, failing unless it is 200.
func secretsGet(t *testing.T, c *http.Client, u, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

// TestSecretsStaySecret runs Larder with a connector for each way a secret
// can be given (each auth kind, a fixed header, a password and a query in
// base_url), all from the environment, against a waste system that wants
// other credentials, so every call fails. Each failure becomes an incident
// (or, routed by on_error, a refusal); then no secret, nor a basic
// credential's base64, may appear in the staff detail, the staff pages,
// the resident's views, the case's Temporal history or anything logged.
func TestSecretsStaySecret(t *testing.T) {
	waste := wastesim.New(wastesim.Options{Auth: &wastesim.Auth{
		BearerToken: "wastesim-own-bearer", Username: "wastesim", Password: "wastesim-own-password",
		APIKey: "wastesim-own-key", APIKeyHeader: "X-API-Key", APIKeyQuery: "api_key",
		ClientID: "wastesim-client", ClientSecret: "wastesim-own-client-secret",
	}})
	sent := &requestLog{}
	ws := httptest.NewServer(sent.wrap(waste))
	t.Cleanup(ws.Close)
	t.Setenv("LARDER_TEST_WASTE_URL", ws.URL)
	t.Setenv("LARDER_TEST_WASTE_HOST", strings.TrimPrefix(ws.URL, "http://"))
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	t.Setenv("LARDER_TEST_DOWN_HOST", strings.TrimPrefix(down.URL, "http://"))
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(slow.Close)
	t.Setenv("LARDER_TEST_SLOW_HOST", strings.TrimPrefix(slow.URL, "http://"))
	for k, v := range secretsEnv {
		t.Setenv(k, v)
	}

	dir := t.TempDir()
	recipes := filepath.Join(dir, "recipes")
	if err := os.MkdirAll(recipes, 0o755); err != nil {
		t.Fatal(err)
	}
	secretsFiles(t, recipes)
	staffFile := filepath.Join(dir, "staff.yaml")
	password := writeSecretsStaff(t, staffFile)
	dataDir := filepath.Join(dir, "data")
	logs := &syncBuffer{}
	// Every log line at every level goes to logs.
	var larder *app
	base, _ := startLarderWith(t, larderOptions{
		recipesDir: recipes, dataDir: dataDir, staffFile: staffFile,
		log:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		started: func(a *app) { larder = a },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	staff, err := signInToStaff(ctx, base, password)
	if err != nil {
		t.Fatal(err)
	}

	// What must never be seen: each secret, and what basic auth makes of
	// one (user:password in base64, the OAuth2 client's escaped first).
	forbidden := map[string]string{}
	for env, secret := range secretsEnv {
		forbidden[env] = secret
		forbidden[env+" in base64"] = base64.StdEncoding.EncodeToString([]byte(secret))
	}
	forbidden["basic credentials in base64"] = base64.StdEncoding.EncodeToString([]byte("larder:" + secretBasic))
	forbidden["base_url credentials in base64"] = base64.StdEncoding.EncodeToString([]byte("larder:" + secretURLPassword))
	forbidden["oauth2 client in base64"] = base64.StdEncoding.EncodeToString([]byte("larder:" + url.QueryEscape(secretClientSecret)))
	check := func(t *testing.T, what, text string) {
		t.Helper()
		if text == "" {
			t.Errorf("%s is empty: nothing was checked", what)
		}
		for _, name := range slices.Sorted(maps.Keys(forbidden)) {
			if i := strings.Index(text, forbidden[name]); i >= 0 {
				t.Errorf("%s shows the secret %s: ...%s...", what, name, text[max(0, i-200):min(len(text), i+len(forbidden[name])+100)])
			}
		}
	}

	// One case per connector, all at once.
	systems := []string{}
	for _, c := range secretConnectors {
		systems = append(systems, c.name)
	}
	systems = append(systems, secretsRouted)
	refs := map[string]string{}
	for _, system := range systems {
		code, reply := submitTo(t, base, "secrets", map[string]any{"system": system})
		ref, _ := reply["reference"].(string)
		if code != http.StatusCreated || ref == "" {
			t.Fatalf("submit %s: %d %v", system, code, reply)
		}
		refs[system] = ref
	}

	for _, system := range systems {
		ref := refs[system]
		t.Run(system, func(t *testing.T) {
			var d workflows.CaseDetail
			if system == secretsRouted {
				d = waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning })
				if d.Outcome != "Not accepted" {
					t.Errorf("routed refusal ended %q %q, want Not accepted", d.Status, d.Outcome)
				}
			} else {
				d = waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return len(d.Incidents) > 0 })
				inc := d.Incidents[0]
				t.Logf("incident %s: %s", inc.ID, inc.Error)
				if inc.Error == "" {
					t.Errorf("incident %s has no error to check", inc.ID)
				}
				check(t, "incident error", inc.Error)
				check(t, "staff case page", secretsGet(t, staff, base+"/staff/cases/"+ref, ""))
				check(t, "staff incident page", secretsGet(t, staff, base+"/staff/cases/"+ref+"/incidents/"+inc.ID, ""))
			}
			for _, e := range d.Timeline {
				if e.Detail != "" {
					t.Logf("timeline %s %s: %s: %s", e.Step, e.Kind, e.Note, e.Detail)
				}
			}
			check(t, "staff detail (JSON API)", secretsGet(t, http.DefaultClient, base+"/api/v1/cases/"+ref+"/detail", staffToken))
			check(t, "resident case (JSON API)", secretsGet(t, http.DefaultClient, base+"/api/v1/cases/"+ref, ""))
			check(t, "resident track page", secretsGet(t, http.DefaultClient, base+"/track/"+ref, ""))
			check(t, "Temporal history", caseHistory(t, larder, ref))
		})
	}

	check(t, "staff incidents page", secretsGet(t, staff, base+"/staff/incidents", ""))
	check(t, "staff incidents (JSON API)", secretsGet(t, http.DefaultClient, base+"/api/v1/incidents", staffToken))

	// Every secret was sent, so each had its chance to leak. (A query in
	// base_url is refused when connectors.yaml loads.)
	wire := sent.all()
	for env, want := range map[string]string{
		"LARDER_TEST_BEARER_TOKEN":   "Bearer " + secretBearer,
		"LARDER_TEST_BASIC_PASSWORD": forbidden["basic credentials in base64"],
		"LARDER_TEST_HEADER_KEY":     "X-Api-Key: " + secretHeaderKey,
		"LARDER_TEST_QUERY_KEY":      "api_key=" + secretQueryKey,
		"LARDER_TEST_CLIENT_SECRET":  secretClientSecret,
		"LARDER_TEST_FIXED_HEADER":   "Bearer " + secretFixedHeader,
		"LARDER_TEST_URL_PASSWORD":   forbidden["base_url credentials in base64"],
	} {
		if !strings.Contains(wire, want) {
			t.Errorf("no request carried %s (%q): the test did not exercise it", env, want)
		}
	}

	// Everything logged, Larder's own lines and embedded Temporal's file.
	logged := logs.String()
	for _, c := range secretConnectors {
		if !strings.Contains(logged, "connector "+c.name+": GET /api/properties/100001000001") {
			t.Errorf("the log has no line with connector %s's error: the test did not see it logged", c.name)
		}
	}
	check(t, "larder log", logged)
	if b, err := os.ReadFile(filepath.Join(dataDir, "temporal.log")); err == nil && len(b) > 0 {
		check(t, "embedded temporal log", string(b))
	}
	if testing.Verbose() {
		t.Logf("larder logged %d bytes", len(logs.String()))
	}
}

// caseHistory is a case's Temporal history as text, as the Temporal UI and
// CLI would show it to whoever may read it.
func caseHistory(t *testing.T, a *app, ref string) string {
	t.Helper()
	it := a.tc.GetWorkflowHistory(context.Background(), ref, "", false, 0)
	var b strings.Builder
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}
