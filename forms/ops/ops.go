// Package ops answers operators and their tools: /healthz (the process is
// alive), /readyz (Temporal and Redis answer) and /metrics (Prometheus).
package ops

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
)

// Temporal is what readiness asks of the case client.
type Temporal interface {
	Ready(ctx context.Context) error
}

// Handler serves the operator's routes; construct it with its fields set.
type Handler struct {
	// Temporal must answer for Larder to be ready.
	Temporal Temporal
	// Redis must answer for Larder to be ready.
	Redis redis.UniversalClient
}

// Routes adds /healthz, /readyz and /metrics.
func (h *Handler) Routes(r gin.IRoutes) {
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", h.ready)
	r.GET("/metrics", gin.WrapH(promhttp.Handler()))
}

// ready answers 200 when Temporal and Redis both answer, else 503 naming
// which did not.
func (h *Handler) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"temporal": "ok", "redis": "ok"}
	status := http.StatusOK
	if err := h.Temporal.Ready(ctx); err != nil {
		checks["temporal"] = "unavailable"
		status = http.StatusServiceUnavailable
	}
	if err := h.Redis.Ping(ctx).Err(); err != nil {
		checks["redis"] = "unavailable"
		status = http.StatusServiceUnavailable
	}
	if status != http.StatusOK {
		c.Header("Retry-After", "5")
	}
	c.JSON(status, checks)
}
