package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// TestTraceSpansEachRequestByRoute: a request is a server span named by
// its route, continuing the caller's traceparent, with the case reference
// of a route that names one and no path or query; the handler's request
// context holds the span; probes make none.
func TestTraceSpansEachRequestByRoute(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	r := gin.New()
	r.Use(Trace())
	var inHandler trace.SpanContext
	r.GET("/track/:reference", func(c *gin.Context) {
		inHandler = trace.SpanContextFromContext(c.Request.Context())
		c.String(http.StatusServiceUnavailable, "down")
	})
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	req := httptest.NewRequest(http.MethodGet, "/track/MB-7K4Q-2PXD?email=resident@example.org", nil)
	req.Header.Set("traceparent", caller)
	r.ServeHTTP(httptest.NewRecorder(), req)
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))

	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want one for /track and none for /healthz", len(ended))
	}
	s := ended[0]
	if s.Name() != "GET /track/:reference" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want GET /track/:reference, a server span", s.Name(), s.SpanKind())
	}
	if got := s.SpanContext().TraceID().String(); got != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("span in trace %s under %s, want the caller's traceparent %s", got, s.Parent().SpanID(), caller)
	}
	if inHandler.SpanID() != s.SpanContext().SpanID() {
		t.Errorf("the handler's request context holds span %s, not the request's %s", inHandler.SpanID(), s.SpanContext().SpanID())
	}
	attrs := map[string]string{}
	for _, a := range s.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	want := map[string]string{"http.request.method": "GET", "http.route": "/track/:reference", ReferenceAttribute: "MB-7K4Q-2PXD", "http.response.status_code": "503"}
	if len(attrs) != len(want) {
		t.Errorf("attributes %v, want only %v (no path, no query)", attrs, want)
	}
	for k, v := range want {
		if attrs[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs[k], v)
		}
	}
	if s.Status().Code.String() != "Error" {
		t.Errorf("a 503 left the span's status %v, want Error", s.Status())
	}
}

// BenchmarkTraceWithoutTracing is what Trace costs a request when no
// tracer provider is set (no tracing.otlp_endpoint), beside a bare route:
// go test ./forms/web -run '^$' -bench TraceWithoutTracing -benchmem
func BenchmarkTraceWithoutTracing(b *testing.B) {
	for _, traced := range []bool{false, true} {
		r := gin.New()
		if traced {
			r.Use(Trace())
		}
		r.GET("/track/:reference", func(c *gin.Context) { c.Status(http.StatusNoContent) })
		name := "bare"
		if traced {
			name = "traced"
		}
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/track/MB-7K4Q-2PXD", nil)
			for b.Loop() {
				r.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
