package web

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	submissions = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "larder_submissions_total",
		Help: "Form submissions by service and result: started, invalid or error.",
	}, []string{"service", "result"})
	requestSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "larder_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route and status.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "status"})
)

// CountSubmission counts a form submitted to a service, by its result:
// started, invalid or error.
func CountSubmission(service, result string) {
	submissions.WithLabelValues(service, result).Inc()
}

// Observe records each request's duration and logs it. Routes, not paths,
// label the metric, so references do not multiply its series.
func Observe(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(c.Writer.Status())
		took := time.Since(start)
		requestSeconds.WithLabelValues(route, status).Observe(took.Seconds())
		level := slog.LevelDebug
		if c.Writer.Status() >= 500 {
			level = slog.LevelWarn
		}
		log.Log(c, level, "http request", "method", c.Request.Method, "route", route, "status", status, "took", took)
	}
}
