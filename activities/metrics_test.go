package activities_test

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
)

// TestCallsAreCountedByResult counts each attempt at a connector call by
// its connector, operation and result: ok, refused (not retried) or
// error (retried), and times it.
func TestCallsAreCountedByResult(t *testing.T) {
	req := activities.CallRequest{Connector: "waste", Operation: "metrics_test_op", IdempotencyKey: "MB-METR-0001/raise"}
	for _, tc := range []struct {
		result string
		w      *waste
	}{
		{activities.CallOK, &waste{out: map[string]any{"reference": "MC-1"}}},
		{activities.CallRefused, &waste{err: &connectors.Error{Status: 422, Message: "no such bin"}}},
		{activities.CallError, &waste{retry: true, err: errors.New("status 503")}},
		{activities.CallError, &waste{retry: true, err: errors.New("timed out")}},
	} {
		before := callsCounted(t, "larder_connector_calls_total", req.Operation, tc.result)
		timed := callsCounted(t, "larder_connector_call_duration_seconds", req.Operation, "")
		_, _ = call(t, tc.w, req)
		if n := callsCounted(t, "larder_connector_calls_total", req.Operation, tc.result) - before; n != 1 {
			t.Errorf("%v: counted %v calls with result %s, want 1", tc.w.err, n, tc.result)
		}
		if n := callsCounted(t, "larder_connector_call_duration_seconds", req.Operation, "") - timed; n != 1 {
			t.Errorf("%v: timed %v calls, want 1", tc.w.err, n)
		}
	}
}

// callsCounted is the counter's value, or the histogram's count, for the
// waste connector's operation (and the result, when given).
func callsCounted(t *testing.T, name, operation, result string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label(m, "connector") != "waste" || label(m, "operation") != operation || result != "" && label(m, "result") != result {
				continue
			}
			if h := m.GetHistogram(); h != nil {
				sum += float64(h.GetSampleCount())
			} else {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
