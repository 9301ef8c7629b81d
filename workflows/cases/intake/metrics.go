package intake

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	pendingGauge = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "larder_intake_pending",
		Help: "Submissions taken in whose cases Temporal has not started yet.",
	})
	waitSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "larder_intake_wait_seconds",
		Help:    "Time from a submission to the start of its case.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600},
	})
)
