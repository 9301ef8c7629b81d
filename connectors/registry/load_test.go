package registry_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/registry"
)

// writeConnectors writes a connectors.yaml into a fresh folder.
func writeConnectors(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "connectors.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const wasteConnector = `connectors:
  waste:
    kind: http
    http:
      base_url: ${LARDER_TEST_WASTE_URL:-http://127.0.0.1:1}
      headers:
        Authorization: "Bearer ${LARDER_TEST_WASTE_TOKEN:- demo }"
      operations:
        get_property:
          path: /api/properties/{uprn}
        report_missed:
          method: POST
          path: /api/missed-collections
`

func getProperty(t *testing.T, reg *connectors.Registry) {
	t.Helper()
	c, err := reg.Get("waste")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Call(context.Background(), connectors.Request{Operation: "get_property", Input: map[string]any{"uprn": "1"}}); err != nil {
		t.Fatal(err)
	}
}

// TestLoadFileTakesSettingsFromTheEnvironment checks ${NAME} is replaced
// from the environment and ${NAME:-default} falls back when it is unset or
// empty, by calling the connector the file describes.
func TestLoadFileTakesSettingsFromTheEnvironment(t *testing.T) {
	srv := connectortest.NewServer(t, 200, `{}`)
	t.Setenv("LARDER_TEST_WASTE_URL", srv.URL)
	t.Setenv("LARDER_TEST_WASTE_TOKEN", "")
	reg, err := registry.LoadFile(writeConnectors(t, wasteConnector))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Names(), []string{"waste"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	if ops, ok := reg.Operations("waste"); !ok || !reflect.DeepEqual(ops, []string{"get_property", "report_missed"}) {
		t.Errorf("Operations(waste) = %v, %v", ops, ok)
	}
	getProperty(t, reg)
	if got := srv.Only(t).Header.Get("Authorization"); got != "Bearer demo" {
		t.Errorf("with the token empty, Authorization = %q, want the default, trimmed: Bearer demo", got)
	}

	t.Setenv("LARDER_TEST_WASTE_TOKEN", "s3cret")
	srv2 := connectortest.NewServer(t, 200, `{}`)
	t.Setenv("LARDER_TEST_WASTE_URL", srv2.URL)
	if reg, err = registry.LoadFile(writeConnectors(t, wasteConnector)); err != nil {
		t.Fatal(err)
	}
	getProperty(t, reg)
	if got := srv2.Only(t).Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("with the token set, Authorization = %q, want Bearer s3cret", got)
	}
}

func TestLoadFileWithoutAFileHasNoConnectors(t *testing.T) {
	reg, err := registry.LoadFile(filepath.Join(t.TempDir(), "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if names := reg.Names(); len(names) != 0 {
		t.Errorf("Names = %v, want none", names)
	}
	if _, err := reg.Get("waste"); err == nil || !strings.Contains(err.Error(), "define it in connectors.yaml") {
		t.Errorf("Get(waste) = %v, want an error saying where to define it", err)
	}
}

func TestLoadFileShipped(t *testing.T) {
	reg, err := registry.LoadFile("../../recipes/connectors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if ops, ok := reg.Operations("waste"); !ok || len(ops) == 0 {
		t.Errorf("the shipped waste connector has operations %v, %v", ops, ok)
	}
}

func TestLoadFileRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"unknown kind", "connectors:\n  mail:\n    kind: smtp\n", []string{`:3:11: connectors.mail.kind: unknown kind "smtp" (use http`}},
		{"http kind without settings", "connectors:\n  waste:\n    kind: http\n", []string{":2:3: connectors.waste.http: is required for kind http"}},
		{"bad http settings", "connectors:\n  waste:\n    kind: http\n    http:\n      base_url: ftp://waste.example\n      operations:\n        get: { path: /x }\n",
			[]string{":5:17: connectors.waste.http.base_url: must be an http or https URL"}},
		{"unknown key", "connectors:\n  waste:\n    kind: http\n    htttp: {}\n", []string{`:4:5: connectors.waste.htttp: unknown key "htttp" (did you mean "http"?)`}},
		{"every mistake at once", "connectors:\n  mail:\n    kind: smtp\n  waste:\n    kind: http\n",
			[]string{`:3:11: connectors.mail.kind: unknown kind "smtp"`, ":4:3: connectors.waste.http: is required for kind http"}},
		{"not YAML", "connectors:\n  waste:\n\tkind: http\n", []string{":3:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConnectors(t, tc.body)
			reg, err := registry.LoadFile(path)
			if err == nil {
				t.Fatalf("LoadFile accepted it: %v", reg.Names())
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), path+want) {
					t.Errorf("error %q does not contain %q", err, path+want)
				}
			}
		})
	}
}

func TestLoadFileUnreadable(t *testing.T) {
	if _, err := registry.LoadFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "read connectors") {
		t.Errorf("LoadFile of a folder = %v, want a read error", err)
	}
}
