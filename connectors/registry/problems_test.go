package registry_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/registry"
)

// TestProblemsArePositioned: every mistake in a connector's settings is
// reported at its line and column with the keys down to it, in file order.
func TestProblemsArePositioned(t *testing.T) {
	body := `connectors:
  waste:
    kind: http
    http:
      base_url: ftp://waste.example
      auth:
        kind: bearer
        password: ${LARDER_TEST_PASSWORD}
      tls:
        ca_file: council-ca.pem
      operations:
        report:
          method: FETCH
          path: /x
          refuse: [200]
          result:
            id: replay.id
`
	t.Setenv("LARDER_TEST_PASSWORD", "pa55-w0rd-x9")
	path := writeConnectors(t, body)
	_, err := registry.LoadFile(path)
	var ps registry.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v, want Problems", err)
	}
	dir := filepath.ToSlash(filepath.Dir(path))
	want := []string{
		path + `:5:17: connectors.waste.http.base_url: must be an http or https URL`,
		path + `:6:7: connectors.waste.http.auth.token: is required for auth kind bearer`,
		path + `:8:19: connectors.waste.http.auth.password: is not used by auth kind bearer`,
		path + `:10:18: connectors.waste.http.tls.ca_file: no file ` + dir + `/council-ca.pem`,
		path + `:13:19: connectors.waste.http.operations.report.method: "FETCH" is not GET, POST, PUT, PATCH or DELETE`,
		path + `:15:11: connectors.waste.http.operations.report.refuse: 200 is not a failing status (400 to 599)`,
		path + `:17:17: connectors.waste.http.operations.report.result.id: expression "replay.id": unknown name replay (1:1)`,
	}
	if got := strings.Split(ps.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	connectortest.NoSecretInError(t, err, "pa55-w0rd-x9")
}

// TestSecretsCannotBreakTheFile: values from the environment are placed
// after the file is read as YAML, so a secret with quotes, a colon or a
// line break is taken as it is and never shows in a syntax error.
func TestSecretsCannotBreakTheFile(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	secret := "s3c\"r3t: {x}\n# y"
	t.Setenv("LARDER_TEST_WASTE_URL", srv.URL)
	t.Setenv("LARDER_TEST_SECRET", secret)
	reg, err := registry.LoadFile(writeConnectors(t, `connectors:
  waste:
    kind: http
    http:
      base_url: ${LARDER_TEST_WASTE_URL}
      auth: { kind: basic, username: larder, password: "${LARDER_TEST_SECRET}" }
      operations:
        get_property: { path: "/api/properties/{uprn}" }
`))
	if err != nil {
		t.Fatal(err)
	}
	getProperty(t, reg)
	u, p, ok := (&http.Request{Header: srv.Only(t).Header}).BasicAuth()
	if !ok || u != "larder" || p != secret {
		t.Errorf("basic auth %q %q %v, want the secret as it is", u, p, ok)
	}

	_, err = registry.LoadFile(writeConnectors(t, "connectors:\n  waste:\n    kind: http\n    http: { base_url: \"${LARDER_TEST_SECRET}\" \n"))
	if err == nil {
		t.Fatal("a broken file was taken")
	}
	connectortest.NoSecretInError(t, err, "s3c\"r3t")
}

// TestSettingsFromYAML: the YAML forms of an operation's settings (a query
// as a list or a map, a nested body template, form encoding, result,
// refuse) reach the request and the result.
func TestSettingsFromYAML(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{"service_request_id": "311-7"}`)
	t.Setenv("LARDER_TEST_WASTE_URL", srv.URL)
	reg, err := registry.LoadFile(writeConnectors(t, `connectors:
  waste:
    kind: http
    http:
      base_url: ${LARDER_TEST_WASTE_URL}
      auth: { kind: api_key, in: query, name: api_key, value: k3y }
      operations:
        find:
          path: /api/properties
          query: [postcode]
        report:
          method: post
          path: /requests.json
          query: { jurisdiction: larder.example }
          headers: { X-Reference: "{reference}" }
          encoding: form
          timeout: 30s
          refuse: [400, 403, 404]
          body:
            service_code: missed-bin
            attribute:
              bin_type: "{bin}"
          result:
            id: reply.service_request_id
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := reg.Get("waste")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := c.Call(t.Context(), connectorsRequest("report", map[string]any{"reference": "MB-1", "bin": "general", "uprn": "100"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"id": "311-7"}; !reflect.DeepEqual(out, want) {
		t.Errorf("result %v, want %v", out, want)
	}
	r := srv.Only(t)
	if want := (url.Values{"jurisdiction": {"larder.example"}, "api_key": {"k3y"}}); !reflect.DeepEqual(r.Query, want) {
		t.Errorf("query %v, want %v", r.Query, want)
	}
	form, _ := url.ParseQuery(string(r.Body))
	if want := (url.Values{"service_code": {"missed-bin"}, "attribute[bin_type]": {"general"}, "uprn": {"100"}}); !reflect.DeepEqual(form, want) {
		t.Errorf("form %v, want %v", form, want)
	}
	if r.Header.Get("X-Reference") != "MB-1" {
		t.Errorf("X-Reference %q", r.Header.Get("X-Reference"))
	}
	if _, _, err := c.Call(t.Context(), connectorsRequest("find", map[string]any{"postcode": "LR1 1AA"})); err != nil {
		t.Fatal(err)
	}
	if q := srv.Requests()[1].Query; q.Get("postcode") != "LR1 1AA" {
		t.Errorf("query %v, want the postcode from a query list", q)
	}
}

// TestTLSFilesBesideTheFile: relative ca_file, cert_file and key_file are
// read from connectors.yaml's folder, wherever Larder was started.
func TestTLSFilesBesideTheFile(t *testing.T) {
	path := writeConnectors(t, "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: https://waste.example\n      tls: { ca_file: ca.pem }\n      operations: { get: { path: /x } }\n")
	_, err := registry.LoadFile(path)
	if want := filepath.ToSlash(filepath.Join(filepath.Dir(path), "ca.pem")); err == nil || !strings.Contains(err.Error(), "no file "+want) {
		t.Fatalf("err = %v, want the CA looked for beside connectors.yaml", err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "ca.pem"), testCA(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.LoadFile(path); err != nil {
		t.Errorf("with ca.pem beside connectors.yaml: %v", err)
	}
}

func connectorsRequest(op string, input map[string]any) connectors.Request {
	return connectors.Request{Operation: op, Input: input, IdempotencyKey: "MB-1/raise"}
}

// testCA is a self-signed CA certificate, PEM-encoded.
func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestUnsetEnvironmentIsNamed: a value left empty because the environment
// lacks it is reported with the setting's name, the likely fix.
func TestUnsetEnvironmentIsNamed(t *testing.T) {
	t.Setenv("LARDER_TEST_UNSET", "")
	path := writeConnectors(t, "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: ${LARDER_TEST_UNSET}\n      auth: { kind: bearer, token: \"${LARDER_TEST_UNSET}\" }\n      operations: { get: { path: /x } }\n")
	_, err := registry.LoadFile(path)
	for _, want := range []string{
		path + ":5:17: connectors.waste.http.base_url: must be an http or https URL (it comes from LARDER_TEST_UNSET in the environment, which is unset or empty)",
		path + ":6:36: connectors.waste.http.auth.token: is required for auth kind bearer (it comes from LARDER_TEST_UNSET in the environment, which is unset or empty)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// TestEveryUnknownKeyAtOnce: each misspelt key is reported, not only the
// first, with the key it is nearest to.
func TestEveryUnknownKeyAtOnce(t *testing.T) {
	path := writeConnectors(t, `conectors: {}
connectors:
  waste:
    kind: http
    http:
      base_url: https://waste.example
      auth: { kind: bearer, tokne: t }
      tls: { insecure_skip_verify: true }
      operations:
        report:
          method: POST
          path: /x
          reslt: { id: reply.id }
          body: { anything: { goes: here } }
          query: { free: form }
`)
	_, err := registry.LoadFile(path)
	want := []string{
		path + `:1:1: conectors: unknown key "conectors" (did you mean "connectors"?)`,
		path + `:7:29: connectors.waste.http.auth.tokne: unknown key "tokne" (did you mean "token"?)`,
		path + `:8:14: connectors.waste.http.tls.insecure_skip_verify: unknown key "insecure_skip_verify"`,
		path + `:13:11: connectors.waste.http.operations.report.reslt: unknown key "reslt" (did you mean "result"?)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}
