package http_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
	"github.com/larder-council/larder/internal/wastesim"
)

func write(t *testing.T, c connectors.Connector, key string) (map[string]any, error) {
	t.Helper()
	out, _, err := c.Call(context.Background(), connectors.Request{
		Operation:      "report_missed",
		Input:          map[string]any{"uprn": "100001000001", "bin_type": "general"},
		IdempotencyKey: key,
	})
	return out, err
}

// TestWriteCarriesIdempotencyKey checks each POST carries its own call's
// key, so the system can tell a retry from a new request.
func TestWriteCarriesIdempotencyKey(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{"id": "MC-000001"}`)
	c := newClient(t, srv.URL)
	for _, key := range []string{"MB-7K4Q-2PXD/raise", "MB-9ZZZ-1AAA/raise"} {
		if _, err := write(t, c, key); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("server received %d requests, want 2", len(reqs))
	}
	for i, want := range []string{"MB-7K4Q-2PXD/raise", "MB-9ZZZ-1AAA/raise"} {
		if r := reqs[i]; r.Method != "POST" || r.Header.Get("Idempotency-Key") != want {
			t.Errorf("request %d: %s with Idempotency-Key %q, want a POST with %q", i+1, r.Method, r.Header.Get("Idempotency-Key"), want)
		}
	}
}

// TestRetriedWriteIsRecordedOnce posts the same report twice with one key,
// as a retried activity does, to the reference waste system: it records one
// missed collection and answers the retry with it, rather than refusing the
// retry as a second report of the same miss.
func TestRetriedWriteIsRecordedOnce(t *testing.T) {
	sim := wastesim.New(wastesim.Options{Now: func() time.Time { return time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC) }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)

	first, err := write(t, c, "MB-7K4Q-2PXD/raise")
	if err != nil {
		t.Fatal(err)
	}
	again, err := write(t, c, "MB-7K4Q-2PXD/raise")
	if err != nil {
		t.Fatalf("retry: %v, want the first report back", err)
	}
	if first["id"] == nil || again["id"] != first["id"] {
		t.Errorf("retry answered %v, want the first report %v", again["id"], first["id"])
	}
	if n := len(sim.MissedCollections()); n != 1 {
		t.Errorf("the waste system recorded %d reports, want 1", n)
	}
}

// TestConfiguredHeaderCannotReplaceTheCallsKey: a connectors.yaml header
// named Idempotency-Key would otherwise make every write look like a retry
// of the first, and the system would drop all but one report.
func TestConfiguredHeaderCannotReplaceTheCallsKey(t *testing.T) {
	srv := connectortest.NewServer(t, 201, `{"id": "MC-000001"}`)
	c, err := httpconn.New("waste", httpconn.Config{
		BaseURL: srv.URL, Timeout: time.Second, Operations: operations(),
		Headers: map[string]string{"Idempotency-Key": "fixed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := write(t, c, "MB-7K4Q-2PXD/raise"); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[0].Header.Get("Idempotency-Key"); got != "MB-7K4Q-2PXD/raise" {
		t.Errorf("Idempotency-Key %q, want the call's own key", got)
	}
}
