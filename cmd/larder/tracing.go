package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
)

// tracesPath is where an OTLP/HTTP collector takes traces, added to
// tracing.otlp_endpoint when it names only the collector.
const tracesPath = "/v1/traces"

// startTracing sends this process's traces to the OTLP/HTTP collector at
// tracing.otlp_endpoint: it sets the process-wide tracer provider and the
// W3C trace-context propagator that the web middleware, the Temporal
// interceptor and the connectors' HTTP client use. With no endpoint it
// sets nothing, so every span is a no-op. The returned stop sends the
// spans not yet sent; call it once everything that makes spans has stopped.
func startTracing(cfg Config, r roles, log *slog.Logger) (stop func(), err error) {
	if cfg.Tracing.OTLPEndpoint == "" {
		return func() {}, nil
	}
	endpoint, err := tracesURL(cfg.Tracing.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	// The exporter dials nothing until it has spans to send.
	exporter, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing.otlp_endpoint: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName("larder"),
		semconv.ServiceInstanceID(instanceID()),
		attribute.String("larder.role", r.name()),
	))
	if err == nil {
		// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES have the last word.
		res, err = resource.Merge(res, resource.Environment())
	}
	if err != nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	// A collector that does not answer costs spans, not cases: say so in
	// Larder's own log rather than the standard logger's.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("traces not exported", "endpoint", endpoint, "err", err)
	}))
	log.Info("tracing started", "endpoint", endpoint, "role", r.name())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := provider.Shutdown(ctx); err != nil {
			log.Warn("traces not all sent", "endpoint", endpoint, "err", err)
		}
	}, nil
}

// tracesURL is where traces go: the endpoint as given when its path ends
// in /v1/traces, otherwise that path added, as OTEL_EXPORTER_OTLP_ENDPOINT
// is read.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("tracing.otlp_endpoint: %q is not an http:// or https:// URL, like http://otel-collector:4318", endpoint)
	}
	if !strings.HasSuffix(u.Path, tracesPath) {
		u.Path = strings.TrimRight(u.Path, "/") + tracesPath
	}
	return u.String(), nil
}

// instanceID tells this process's spans from another's of the same role.
func instanceID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}

// name is what a process of these roles is called in traces: the command
// that runs it.
func (r roles) name() string {
	switch {
	case r.web && r.worker:
		return "serve"
	case r.web:
		return "web"
	default:
		return "worker"
	}
}

// tracingInterceptors carry OpenTelemetry traces from a request through
// the case workflow to its activities: the client's StartWorkflow (and
// update, signal and query) spans write the trace into the Temporal
// headers, and the worker's RunWorkflow, StartActivity and RunActivity
// spans, local activities included, continue it. Without
// tracing.otlp_endpoint there are none, and histories carry no trace.
func (a *app) tracingInterceptors() []interceptor.ClientInterceptor {
	if a.cfg.Tracing.OTLPEndpoint == "" {
		return nil
	}
	// The tracer comes from the provider startTracing set.
	i, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{
		TextMapPropagator: otel.GetTextMapPropagator(),
	})
	if err != nil {
		a.log.Warn("cases not traced", "err", err)
		return nil
	}
	// requestSpans first, so the tracing interceptor sees the request's span.
	return []interceptor.ClientInterceptor{&requestSpans{}, i}
}

// requestSpans hands the tracing interceptor the span of the request a
// web handler is answering when the handler gives the case client its
// *gin.Context, whose values do not reach the request's: a staff
// member's task completion, a hook's message or a page's query joins the
// request's trace as a submission through the API does.
type requestSpans struct {
	interceptor.ClientInterceptorBase
}

func (*requestSpans) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	return &requestSpansOutbound{ClientOutboundInterceptorBase: interceptor.ClientOutboundInterceptorBase{Next: next}}
}

// requestSpansOutbound is requestSpans on each call the tracing
// interceptor makes a span for.
type requestSpansOutbound struct {
	interceptor.ClientOutboundInterceptorBase
}

// withRequestSpan is ctx holding the span of the request whose gin
// context ctx is, if it is one.
func withRequestSpan(ctx context.Context) context.Context {
	if c, ok := ctx.Value(gin.ContextKey).(*gin.Context); ok && c.Request != nil {
		if span := trace.SpanFromContext(c.Request.Context()); span.SpanContext().IsValid() {
			return trace.ContextWithSpan(ctx, span)
		}
	}
	return ctx
}

func (o *requestSpansOutbound) ExecuteWorkflow(ctx context.Context, in *interceptor.ClientExecuteWorkflowInput) (client.WorkflowRun, error) {
	return o.Next.ExecuteWorkflow(withRequestSpan(ctx), in)
}

func (o *requestSpansOutbound) SignalWorkflow(ctx context.Context, in *interceptor.ClientSignalWorkflowInput) error {
	return o.Next.SignalWorkflow(withRequestSpan(ctx), in)
}

func (o *requestSpansOutbound) SignalWithStartWorkflow(ctx context.Context, in *interceptor.ClientSignalWithStartWorkflowInput) (client.WorkflowRun, error) {
	return o.Next.SignalWithStartWorkflow(withRequestSpan(ctx), in)
}

func (o *requestSpansOutbound) QueryWorkflow(ctx context.Context, in *interceptor.ClientQueryWorkflowInput) (converter.EncodedValue, error) {
	return o.Next.QueryWorkflow(withRequestSpan(ctx), in)
}

func (o *requestSpansOutbound) UpdateWorkflow(ctx context.Context, in *interceptor.ClientUpdateWorkflowInput) (client.WorkflowUpdateHandle, error) {
	return o.Next.UpdateWorkflow(withRequestSpan(ctx), in)
}

func (o *requestSpansOutbound) UpdateWithStartWorkflow(ctx context.Context, in *interceptor.ClientUpdateWithStartWorkflowInput) (client.WorkflowUpdateHandle, error) {
	return o.Next.UpdateWithStartWorkflow(withRequestSpan(ctx), in)
}
