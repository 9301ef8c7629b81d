package activities

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Results a connector call is counted by.
const (
	// CallOK is a call the system answered with success.
	CallOK = "ok"
	// CallRefused is a call the system refused; it is not tried again.
	CallRefused = "refused"
	// CallError is a call that failed in a way worth trying again: no
	// answer in time, an outage, a 5xx, a dropped connection.
	CallError = "error"
)

var (
	connectorCalls = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "larder_connector_calls_total",
		Help: "Attempts at connector calls, by connector, operation and result: ok, refused or error.",
	}, []string{"connector", "operation", "result"})
	connectorSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "larder_connector_call_duration_seconds",
		Help:    "Time line-of-business systems took to answer connector calls, by connector and operation.",
		Buckets: prometheus.DefBuckets,
	}, []string{"connector", "operation"})
)

// observeCall counts one attempt at a connector call that began at began
// and ended as retry and err say (see connectors.Connector's Call).
func observeCall(req CallRequest, began time.Time, retry bool, err error) {
	connectorSeconds.WithLabelValues(req.Connector, req.Operation).Observe(time.Since(began).Seconds())
	connectorCalls.WithLabelValues(req.Connector, req.Operation, callResult(retry, err)).Inc()
}

// callResult names how a call ended.
func callResult(retry bool, err error) string {
	switch {
	case err == nil:
		return CallOK
	case !retry:
		return CallRefused
	}
	return CallError
}
