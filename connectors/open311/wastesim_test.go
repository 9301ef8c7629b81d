package open311_test

import (
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/open311"
	"github.com/larder-council/larder/internal/wastesim"
)

const wastesimKey = "wastesim-open311-k3y"

// newWastesim starts the waste simulator, the reference system Larder's
// demo runs against, with its GeoReport v2 face under /open311/v2.
func newWastesim(t *testing.T) (*wastesim.Server, string) {
	t.Helper()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sim := wastesim.New(wastesim.Options{Now: func() time.Time { return now }, Seed: 1, Open311APIKey: wastesimKey})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL + "/open311/v2"
}

// TestWastesim runs a resident's report through the waste simulator in
// each format: the services it offers, the attributes missed-bin asks
// for, the report, and its status.
func TestWastesim(t *testing.T) {
	results := map[string][]map[string]any{}
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			sim, base := newWastesim(t)
			c, err := open311.New("council", open311.Config{BaseURL: base, Format: format, APIKey: wastesimKey})
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := call(c, "services", nil)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, s := range out["services"].([]any) {
				codes = append(codes, s.(map[string]any)["service_code"].(string))
			}
			if want := []string{"missed-bin", "fly-tipping", "graffiti"}; !reflect.DeepEqual(codes, want) {
				t.Errorf("services = %v, want %v", codes, want)
			}
			results[format] = append(results[format], out)

			def, _, err := call(c, "service_definition", map[string]any{"service_code": "missed-bin"})
			if err != nil {
				t.Fatal(err)
			}
			attr := def["attributes"].([]any)[0].(map[string]any)
			if attr["code"] != "bin_type" || attr["datatype"] != "singlevaluelist" || attr["required"] != true ||
				attr["values"].([]any)[0].(map[string]any)["key"] != "general" {
				t.Errorf("missed-bin attribute = %v", attr)
			}
			results[format] = append(results[format], def)

			receipt, _, err := call(c, "submit_request", map[string]any{
				"service_code": "missed-bin", "address_id": "100001000001", "attribute.bin_type": "recycling",
				"email": "sam@example.com", "first_name": "Sam", "last_name": "Smith", "description": "Blue bin left full",
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"service_request_id": "SR-000001", "token": "", "service_notice": "A crew will return within 2 working days.", "account_id": ""}
			if !reflect.DeepEqual(receipt, want) {
				t.Errorf("submit_request = %v, want %v", receipt, want)
			}
			results[format] = append(results[format], receipt)

			status, _, err := call(c, "request_status", map[string]any{"service_request_id": receipt["service_request_id"]})
			if err != nil {
				t.Fatal(err)
			}
			if status["status"] != "open" || status["service_code"] != "missed-bin" || status["address"] != "1 Orchard Way, Larchester, LR1 1AA" ||
				status["zipcode"] != "LR1 1AA" || status["requested_datetime"] != "2026-11-27T10:00:00Z" || status["lat"] != nil {
				t.Errorf("request_status = %v", status)
			}
			results[format] = append(results[format], status)

			got := sim.ServiceRequests()
			if len(got) != 1 || got[0].Attributes["bin_type"][0] != "recycling" || got[0].Email != "sam@example.com" {
				t.Errorf("the waste system holds %+v", got)
			}
		})
	}
	if !reflect.DeepEqual(results["json"], results["xml"]) {
		t.Errorf("JSON and XML give different results:\njson %v\nxml  %v", results["json"], results["xml"])
	}
}

// TestWastesimRefusals: what the simulator refuses reaches a recipe's
// on_error route with its reason, not retried, and without the key.
func TestWastesimRefusals(t *testing.T) {
	for _, format := range formats {
		for _, tc := range []struct {
			name   string
			key    string
			input  map[string]any
			status int
		}{
			{"wrong api_key", "wrong-" + wastesimKey, map[string]any{"service_code": "graffiti", "address_string": "Town Hall"}, 403},
			{"no api_key", "", map[string]any{"service_code": "graffiti", "address_string": "Town Hall"}, 403},
			{"missing attribute", wastesimKey, map[string]any{"service_code": "fly-tipping", "lat": 52.1, "long": 0.5}, 400},
			{"value not listed", wastesimKey, map[string]any{"service_code": "missed-bin", "address_id": "100001000001", "attribute.bin_type": "purple"}, 400},
			{"no location", wastesimKey, map[string]any{"service_code": "graffiti"}, 400},
			{"unknown service", wastesimKey, map[string]any{"service_code": "potholes", "address_string": "Town Hall"}, 404},
		} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				sim, base := newWastesim(t)
				c, err := open311.New("council", open311.Config{BaseURL: base, Format: format, APIKey: tc.key})
				if err != nil {
					t.Fatal(err)
				}
				_, retry, err := call(c, "submit_request", tc.input)
				lob, ok := connectors.AsError(err)
				if !ok || lob.Status != tc.status || lob.Message == "" || retry {
					t.Fatalf("error %v (retry %v), want a refusal with status %d", err, retry, tc.status)
				}
				connectortest.NoSecretInError(t, err, wastesimKey)
				if n := len(sim.ServiceRequests()); n != 0 {
					t.Errorf("the waste system holds %d requests after a refusal", n)
				}
			})
		}
	}
}

// TestWastesimOutages: a simulator failing every request is an outage,
// retried; one that records a report and drops the connection before
// answering is retried too, and the repeat with the same idempotency key
// makes no second report.
func TestWastesimOutages(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			sim, base := newWastesim(t)
			c, err := open311.New("council", open311.Config{BaseURL: base, Format: format, APIKey: wastesimKey})
			if err != nil {
				t.Fatal(err)
			}
			report := map[string]any{"service_code": "graffiti", "address_string": "Town Hall", "description": "Tag on the door"}

			sim.SetFaults(wastesim.Faults{FailRate: 1})
			_, retry, err := call(c, "submit_request", report)
			if lob, ok := connectors.AsError(err); !ok || lob.Status != 503 || !retry {
				t.Fatalf("error %v (retry %v), want a 503 worth retrying", err, retry)
			}
			connectortest.NoSecretInError(t, err, wastesimKey)

			sim.SetFaults(wastesim.Faults{DropRate: 1})
			_, retry, err = call(c, "submit_request", report)
			if err == nil || !retry {
				t.Fatalf("error %v (retry %v), want a dropped connection worth retrying", err, retry)
			}
			connectortest.NoSecretInError(t, err, wastesimKey)

			sim.SetFaults(wastesim.Faults{})
			out, _, err := call(c, "submit_request", report)
			if err != nil {
				t.Fatal(err)
			}
			if got := sim.ServiceRequests(); len(got) != 1 || out["service_request_id"] != got[0].ID {
				t.Errorf("after a drop and a retry the waste system holds %+v and the case %v; want the one request", got, out)
			}
		})
	}
}
