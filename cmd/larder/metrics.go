package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/forms/ops"
	"github.com/larder-council/larder/workflows"
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

// startWorkerOps serves /metrics, /healthz and /readyz at
// worker.metrics_address in a process that runs the worker without the
// web, which has no other HTTP: the case, connector and SDK worker
// metrics are made in the worker, so Prometheus scrapes them there.
// /metrics is limited by metrics.token and metrics.allow as on the web.
func (a *app) startWorkerOps(r roles) error {
	addr := a.cfg.Worker.MetricsAddress
	if r.web || !r.worker || addr == "" {
		return nil
	}
	allow, err := ops.ParseAllow(a.cfg.Metrics.Allow)
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.Recovery())
	// No proxy stands between Prometheus and a worker: metrics.allow is
	// judged by the caller's own address.
	if err := e.SetTrustedProxies(nil); err != nil {
		return err
	}
	(&ops.Handler{Temporal: a.cases, Redis: a.redis, MetricsToken: a.cfg.Metrics.Token, MetricsAllow: allow}).Routes(e)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("worker.metrics_address: %w", err)
	}
	// Addr says where it listens; it serves ln.
	a.http = &http.Server{Addr: ln.Addr().String(), Handler: e, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("worker metrics server stopped", "err", err)
		}
	}()
	a.log.Info("worker serves /metrics, /healthz and /readyz", "address", a.http.Addr)
	return nil
}

// sdkMetrics is where the Temporal SDK's own worker and client metrics
// go, and the case metrics the workflow reports through the SDK: /metrics.
func (a *app) sdkMetrics() client.MetricsHandler {
	h, err := sdkHandler()
	if err != nil {
		a.log.Warn("the Temporal SDK's metrics are not on /metrics", "err", err)
		return nil
	}
	return h
}

// sdkHandler is the one SDK metrics handler of the process, however many
// Larder apps it starts (tests start several): an OpenTelemetry meter
// provider whose Prometheus exporter registers in the default registry
// that /metrics serves, once.
var sdkHandler = sync.OnceValues(func() (client.MetricsHandler, error) {
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(prometheus.DefaultRegisterer),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
		otelprom.WithAggregationSelector(secondsHistograms),
	)
	if err != nil {
		return nil, err
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(stepView))
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter: countersMeter{provider.Meter("larder")},
		// A metric the meter refuses is left out; the case goes on.
		OnError: func(err error) { slog.Warn("a Temporal SDK metric is not on /metrics", "err", err) },
	}), nil
})

// latencyBuckets are the buckets, in seconds, of the SDK's timers: a
// poll, a workflow task, an activity or a request to the server.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// stepBuckets are the buckets, in seconds, of step durations, which run
// from an instant (decide, set) to days (a task waiting for staff, a wait
// for a message).
var stepBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600}

// secondsHistograms gives every histogram the latency buckets:
// OpenTelemetry's own default buckets suit milliseconds, and the SDK's
// timers are in seconds.
func secondsHistograms(kind sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	if kind == sdkmetric.InstrumentKindHistogram {
		return sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}
	}
	return sdkmetric.DefaultAggregationSelector(kind)
}

// stepView gives step durations the step buckets.
var stepView = sdkmetric.NewView(
	sdkmetric.Instrument{Name: workflows.StepDurationMetric},
	sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: stepBuckets}},
)

// countersMeter makes the SDK's counters Prometheus counters (_total).
// The SDK's OpenTelemetry handler at the version that fits Larder's
// Temporal server asks for up-down counters, which Prometheus would show
// as gauges; every SDK counter only goes up.
type countersMeter struct{ metric.Meter }

// Int64UpDownCounter returns a counter that only goes up.
func (m countersMeter) Int64UpDownCounter(name string, _ ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	c, err := m.Int64Counter(name)
	return upCounter{Int64Counter: c}, err
}

// upCounter is a counter standing in for an up-down counter.
type upCounter struct {
	embedded.Int64UpDownCounter
	metric.Int64Counter
}
