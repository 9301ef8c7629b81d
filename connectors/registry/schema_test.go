package registry

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/larder-council/larder/connectors"
	httpconn "github.com/larder-council/larder/connectors/http"
)

const schemaURL = "https://larder.example/schema/connectors.json"

// compileSchema compiles connectors.Schema; compiling checks it against
// the draft 2020-12 meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(connectors.Schema))
	if err != nil {
		t.Fatalf("connectors.schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatalf("connectors.schema.json does not compile: %v", err)
	}
	return sch
}

// validateYAML checks YAML against the schema, as an editor would.
func validateYAML(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("convert to JSON: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("read converted JSON: %v", err)
	}
	return sch.Validate(inst)
}

// examples are the files the README shows: one per auth kind, and TLS.
func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in testdata/examples: %v", err)
	}
	return append(files, filepath.Join("..", "..", "recipes", "connectors.yaml"))
}

// TestExamplesLoad: the shipped connectors.yaml and every README example
// load (with the TLS files they name beside them) and the schema takes them.
func TestExamplesLoad(t *testing.T) {
	sch := compileSchema(t)
	for _, name := range []string{"WASTE_PASSWORD", "WASTE_TOKEN", "HIGHWAYS_API_KEY", "LICENSING_API_KEY", "WASTE_CLIENT_SECRET"} {
		t.Setenv(name, "s3cret-"+strings.ToLower(name))
	}
	for _, path := range examples(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeTLSFiles(t, dir)
			reg, err := Parse(filepath.Join(dir, "connectors.yaml"), data)
			if err != nil {
				t.Fatalf("the loader refuses it:\n%v", err)
			}
			if len(reg.Names()) == 0 {
				t.Error("no connectors")
			}
			if err := validateYAML(t, sch, data); err != nil {
				t.Errorf("the loader takes it but the schema refuses it:\n%v", err)
			}
		})
	}
}

// TestSchemaCompiles checks the embedded schema is a valid draft 2020-12
// schema under the address files name in their modeline.
func TestSchemaCompiles(t *testing.T) {
	compileSchema(t)
	var head struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(connectors.Schema, &head); err != nil {
		t.Fatal(err)
	}
	if head.Schema != "https://json-schema.org/draft/2020-12/schema" || head.ID != schemaURL {
		t.Errorf("$schema %q, $id %q", head.Schema, head.ID)
	}
}

// TestSchemaRejectsMistakes checks each mistake is refused where an editor
// should show it.
func TestSchemaRejectsMistakes(t *testing.T) {
	sch := compileSchema(t)
	const head = "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: https://waste.example\n"
	for _, tc := range []struct {
		name, yaml string
		at, says   string
	}{
		{"unknown kind", "connectors:\n  waste:\n    kind: smtp\n", "/connectors/waste/kind", "value must be one of"},
		{"kind without settings", "connectors:\n  waste:\n    kind: http\n", "/connectors/waste", "missing property 'http'"},
		{"settings of another kind", head + "      operations: { x: { path: /x } }\n    open311: { base_url: https://x.example }\n", "/connectors/waste/open311", "false schema"},
		{"typo", head + "      operations: { x: { path: /x, methd: POST } }\n", "/connectors/waste/http/operations/x", "additional properties 'methd' not allowed"},
		{"ftp", "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: ftp://x\n      operations: { x: { path: /x } }\n", "/connectors/waste/http/base_url", "does not match pattern"},
		{"no operations", head, "/connectors/waste/http", "missing property 'operations'"},
		{"bad method", head + "      operations: { x: { path: /x, method: FETCH } }\n", "/connectors/waste/http/operations/x/method", "value must be one of"},
		{"query in path", head + "      operations: { x: { path: /x?a=1 } }\n", "/connectors/waste/http/operations/x/path", "does not match pattern"},
		{"body on a GET", head + "      operations: { x: { path: /x, body: { a: b } } }\n", "/connectors/waste/http/operations/x/body", "false schema"},
		{"refuse a success", head + "      operations: { x: { path: /x, refuse: [200] } }\n", "/connectors/waste/http/operations/x/refuse/0", "minimum"},
		{"bad timeout", head + "      operations: { x: { path: /x, timeout: soon } }\n", "/connectors/waste/http/operations/x/timeout", "'anyOf' failed"},
		{"bad encoding", head + "      operations: { x: { method: POST, path: /x, encoding: xml } }\n", "/connectors/waste/http/operations/x/encoding", "value must be one of"},
		{"auth field of another kind", head + "      auth: { kind: bearer, token: t, password: p }\n      operations: { x: { path: /x } }\n", "/connectors/waste/http/auth/password", "false schema"},
		{"auth missing field", head + "      auth: { kind: oauth2_client_credentials, client_id: larder }\n      operations: { x: { path: /x } }\n", "/connectors/waste/http/auth", "missing properties 'token_url', 'client_secret'"},
		{"certificate without key", head + "      tls: { cert_file: larder.pem }\n      operations: { x: { path: /x } }\n", "/connectors/waste/http/tls", "missing property 'key_file'"},
		{"no skipping checks", head + "      tls: { insecure_skip_verify: true }\n      operations: { x: { path: /x } }\n", "/connectors/waste/http/tls", "additional properties 'insecure_skip_verify' not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateYAML(t, sch, []byte(tc.yaml))
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("schema accepts it (err = %v)", err)
			}
			for line := range strings.Lines(ve.Error()) {
				if strings.Contains(line, "at '"+tc.at+"':") && strings.Contains(line, tc.says) {
					return
				}
			}
			t.Errorf("no error at %s saying %q; got:\n%v", tc.at, tc.says, ve)
		})
	}
}

// TestSchemaMatchesModel fails when the settings gain, lose or rename a key
// the schema does not, or Larder learns a kind the schema does not offer.
func TestSchemaMatchesModel(t *testing.T) {
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(connectors.Schema, &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		typ reflect.Type
		def string
	}{
		{reflect.TypeFor[httpconn.Config](), "http"},
		{reflect.TypeFor[httpconn.Operation](), "operation"},
		{reflect.TypeFor[httpconn.Auth](), "auth"},
		{reflect.TypeFor[httpconn.TLS](), "tls"},
	} {
		if got, want := slices.Sorted(maps.Keys(doc.Defs[tc.def].Properties)), yamlKeys(tc.typ); !slices.Equal(got, want) {
			t.Errorf("$defs/%s keys = %v, want %v as in %s", tc.def, got, want, tc.typ)
		}
	}
	conn := doc.Defs["connector"].Properties
	for _, key := range yamlKeys(reflect.TypeFor[entry]()) {
		if _, ok := conn[key]; !ok {
			t.Errorf("$defs/connector has no key %s, which connectors.yaml takes", key)
		}
	}
	for kind := range kinds {
		if !slices.Contains(conn["kind"].Enum, kind) {
			t.Errorf("$defs/connector kind enum %v lacks %s", conn["kind"].Enum, kind)
		}
		if _, ok := doc.Defs[kind]; !ok {
			t.Errorf("no $defs/%s for kind %s", kind, kind)
		}
	}
	if got := doc.Defs["auth"].Properties["kind"].Enum; !slices.Equal(got, []string{httpconn.AuthNone, httpconn.AuthBasic, httpconn.AuthBearer, httpconn.AuthAPIKey, httpconn.AuthOAuth2}) {
		t.Errorf("auth kinds %v", got)
	}
}

// yamlKeys lists a struct's YAML keys, sorted.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// writeTLSFiles writes the files the TLS example names: a CA, and a client
// certificate it signed with its key.
func writeTLSFiles(t *testing.T, dir string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "council CA"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "larder"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	for name, block := range map[string]*pem.Block{
		"council-ca.pem": {Type: "CERTIFICATE", Bytes: caDER},
		"larder.pem":     {Type: "CERTIFICATE", Bytes: leafDER},
		"larder-key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
