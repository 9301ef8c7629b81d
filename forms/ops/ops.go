// Package ops answers operators and their tools: /healthz (the process is
// alive), /readyz (Temporal and Redis answer) and /metrics (Prometheus),
// which may be limited to a bearer token or address ranges.
package ops

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
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
	// MetricsToken (metrics.token), when set, is a bearer token that lets
	// a caller read /metrics.
	MetricsToken string
	// MetricsAllow (metrics.allow), when set, are the address ranges whose
	// callers may read /metrics without a token (see ParseAllow).
	MetricsAllow []netip.Prefix
}

// Routes adds /healthz, /readyz and /metrics.
func (h *Handler) Routes(r gin.IRoutes) {
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", h.ready)
	r.GET("/metrics", h.metricsAllowed, gin.WrapH(promhttp.Handler()))
}

// ParseAllow reads metrics.allow: each item a CIDR range (10.0.0.0/24)
// or one address (10.0.0.10).
func ParseAllow(items []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(items))
	for _, item := range items {
		if addr, err := netip.ParseAddr(item); err == nil {
			out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("metrics.allow: %q is not an IP address or CIDR range (use 10.0.0.10 or 10.0.0.0/24)", item)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// metricsAllowed lets everyone read /metrics when neither MetricsToken nor
// MetricsAllow is set; otherwise a caller from an allowed range, or one
// with the token, and no one else: 401 asking for the token when there is
// one, else 403.
func (h *Handler) metricsAllowed(c *gin.Context) {
	if h.MetricsToken == "" && len(h.MetricsAllow) == 0 {
		return
	}
	if addr, err := netip.ParseAddr(c.ClientIP()); err == nil {
		for _, p := range h.MetricsAllow {
			if p.Contains(addr.Unmap()) {
				return
			}
		}
	}
	if h.MetricsToken != "" {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(got), []byte(h.MetricsToken)) == 1 {
			return
		}
		c.Header("WWW-Authenticate", `Bearer realm="larder"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"title": "A valid bearer token is required"})
		return
	}
	c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"title": "Metrics are not served to this address"})
}

// ready answers 200 when Temporal and Redis both answer, else 503 naming
// which did not. Each is asked at once with a few seconds of its own, so a
// Temporal that hangs does not make Redis look down too.
func (h *Handler) ready(c *gin.Context) {
	ctx := c.Request.Context()
	var temporalErr, redisErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		temporalErr = h.Temporal.Ready(ctx)
	})
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		redisErr = h.Redis.Ping(ctx).Err()
	})
	wg.Wait()
	checks := gin.H{"temporal": "ok", "redis": "ok"}
	status := http.StatusOK
	if temporalErr != nil {
		checks["temporal"] = "unavailable"
		status = http.StatusServiceUnavailable
	}
	if redisErr != nil {
		checks["redis"] = "unavailable"
		status = http.StatusServiceUnavailable
	}
	if status != http.StatusOK {
		c.Header("Retry-After", "5")
	}
	c.JSON(status, checks)
}

// readyTimeout is how long /readyz waits for each of Temporal and Redis.
const readyTimeout = 3 * time.Second
