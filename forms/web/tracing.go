package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ReferenceAttribute is the span attribute naming the case a request or
// a workflow is about.
const ReferenceAttribute = "larder.case.reference"

// untraced are the routes whose requests make no span: probes, scrapes
// and files, asked for often and about no case.
var untraced = []string{"/healthz", "/readyz", "/metrics", "/assets/"}

// Trace starts a server span for each request, named by its method and
// route ("POST /api/v1/services/:service/submissions"), continuing a trace
// the caller sent in traceparent. The span goes on in the request's
// context, so a handler that passes c.Request.Context() to the case
// client carries the trace into the case's workflow. A span records the
// route, not the path or query, and the case reference of a route that
// names one; nothing a resident typed. Spans go where the process-wide
// tracer provider sends them (none unless tracing.otlp_endpoint is set).
func Trace() gin.HandlerFunc {
	tracer := otel.Tracer("github.com/larder-council/larder/forms/web")
	return func(c *gin.Context) {
		route := c.FullPath()
		for _, skip := range untraced {
			if strings.HasPrefix(route, skip) {
				c.Next()
				return
			}
		}
		ctx := otel.GetTextMapPropagator().Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tracer.Start(ctx, c.Request.Method, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		if !span.SpanContext().IsValid() {
			// Not traced: nothing to name, record or hand on.
			c.Next()
			return
		}
		if route != "" {
			span.SetName(c.Request.Method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route))
		}
		span.SetAttributes(semconv.HTTPRequestMethodKey.String(c.Request.Method))
		if ref := c.Param("reference"); ref != "" {
			span.SetAttributes(attribute.String(ReferenceAttribute, ref))
		}
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}
