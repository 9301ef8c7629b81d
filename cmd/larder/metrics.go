package main

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	sdkmetrics "go.temporal.io/sdk/client"

	"github.com/larder-council/larder/activities/inbox"
)

// inboxMetrics exposes open and overdue tasks and open incidents on
// /metrics, read from the inbox index of the Larder running in this
// process (the newest, where tests run several).
var inboxMetrics indexMetrics

type indexMetrics struct {
	once    sync.Once
	current atomic.Pointer[inbox.Index]
}

// watch registers the collector once and points it at ix.
func (m *indexMetrics) watch(ix *inbox.Index) {
	m.current.Store(ix)
	m.once.Do(func() { prometheus.MustRegister(m) })
}

func (m *indexMetrics) collector() prometheus.Collector {
	return m.current.Load().Collector(nil)
}

// Describe sends nothing: the collector is unchecked, its series named
// by the index's collector.
func (m *indexMetrics) Describe(chan<- *prometheus.Desc) {}

// Collect reads the current index.
func (m *indexMetrics) Collect(ch chan<- prometheus.Metric) {
	if m.current.Load() != nil {
		m.collector().Collect(ch)
	}
}

// sdkMetrics is where the Temporal SDK's own worker and client metrics go.
func (a *app) sdkMetrics() sdkmetrics.MetricsHandler {
	return nil
}
