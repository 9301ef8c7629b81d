package registry_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/internal/wastesim"
)

// An open311 connector declared in connectors.yaml reports a street issue
// to the waste simulator's GeoReport v2 service, once, with its API key
// taken from the environment.
func TestLoadFileOpen311ReportsToAGeoReportServer(t *testing.T) {
	waste := wastesim.New(wastesim.Options{Open311APIKey: "council-open311-key"})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("LARDER_TEST_OPEN311_URL", ws.URL+"/open311/v2")
	t.Setenv("LARDER_TEST_OPEN311_KEY", "council-open311-key")
	reg, err := registry.LoadFile(writeConnectors(t, `connectors:
  streets:
    kind: open311
    open311:
      base_url: ${LARDER_TEST_OPEN311_URL}
      format: xml
      api_key: ${LARDER_TEST_OPEN311_KEY}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := reg.Get("streets")
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := c.Call(context.Background(), connectors.Request{
		Operation:      "submit_request",
		Input:          map[string]any{"service_code": "graffiti", "address_id": "100001000001", "description": "Tag on the bus shelter"},
		IdempotencyKey: "GR-TEST-0001/report",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := waste.ServiceRequests(); len(got) != 1 || got[0].ID != out["service_request_id"] || got[0].ServiceCode != "graffiti" {
		t.Fatalf("the GeoReport server holds %+v after a reply %v; want the one graffiti request", got, out)
	}
}

// A mistake in an open311 connector is reported at its key, like an http one's.
func TestLoadFileOpen311MistakeIsPositioned(t *testing.T) {
	_, err := registry.LoadFile(writeConnectors(t, `connectors:
  streets:
    kind: open311
    open311:
      base_url: ftp://streets.example
`))
	if err == nil || !strings.Contains(err.Error(), ":5:") || !strings.Contains(err.Error(), "connectors.streets.open311.base_url") {
		t.Fatalf("err = %v, want the base_url problem at line 5", err)
	}
}
