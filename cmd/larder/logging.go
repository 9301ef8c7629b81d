package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"
)

// Log keys Larder adds to lines about a case.
const (
	// referenceKey names the case a line is about.
	referenceKey = "reference"
	// traceKey names the trace of the request a line was written in,
	// under the key the Temporal SDK gives a traced workflow's lines.
	traceKey = "TraceID"
	// workflowIDKey is the Temporal SDK's tag on the lines of a workflow,
	// its activities and its worker. A case's workflow ID is its
	// reference (workflows/cases starts each case under its reference, and
	// a subrecipe's child case under its own).
	workflowIDKey = "WorkflowID"
)

// newLogger is a process's logger on w: log.format text (logfmt) or json,
// at level. Every line about a case carries its reference under
// "reference": the lines of its workflow and activities, the Temporal
// SDK's own lines about it, and the lines written while a request to one
// of its pages or API routes (…/:reference) is answered.
func newLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(caseLines{next: h})
}

// caseLines adds the case reference to the lines that are about a case
// and do not name it, and, during a traced request, its trace ID.
type caseLines struct {
	next slog.Handler
	// named is set once the logger's own attributes name the case.
	named bool
}

func (h caseLines) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h caseLines) WithAttrs(attrs []slog.Attr) slog.Handler {
	if h.named {
		return caseLines{next: h.next.WithAttrs(attrs), named: true}
	}
	ref, named := caseOf(attrs...)
	if ref != "" {
		attrs = append(attrs[:len(attrs):len(attrs)], slog.String(referenceKey, ref))
	}
	return caseLines{next: h.next.WithAttrs(attrs), named: named || ref != ""}
}

func (h caseLines) WithGroup(name string) slog.Handler {
	return caseLines{next: h.next.WithGroup(name), named: h.named}
}

func (h caseLines) Handle(ctx context.Context, r slog.Record) error {
	var extra []slog.Attr
	if !h.named {
		var attrs []slog.Attr
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a)
			return true
		})
		ref, named := caseOf(attrs...)
		if !named && ref == "" {
			ref = requestReference(ctx)
		}
		if ref != "" {
			extra = append(extra, slog.String(referenceKey, ref))
		}
	}
	if sc := trace.SpanContextFromContext(requestContext(ctx)); sc.HasTraceID() {
		extra = append(extra, slog.String(traceKey, sc.TraceID().String()))
	}
	if len(extra) > 0 {
		r = r.Clone()
		r.AddAttrs(extra...)
	}
	return h.next.Handle(ctx, r)
}

// caseOf reads attributes: named when they already give the reference,
// else ref is the workflow ID they carry (the case's reference), if any.
func caseOf(attrs ...slog.Attr) (ref string, named bool) {
	for _, a := range attrs {
		switch a.Key {
		case referenceKey:
			return "", true
		case workflowIDKey:
			ref = a.Value.String()
		}
	}
	return ref, false
}

// requestContext is the request's own context when ctx is a gin handler's
// (handlers log with c, whose values do not reach the request's).
func requestContext(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	if c, ok := ctx.Value(gin.ContextKey).(*gin.Context); ok && c.Request != nil {
		return c.Request.Context()
	}
	return ctx
}

// requestReference is the case reference in the route of the request a
// gin handler logs during, or "".
func requestReference(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if c, ok := ctx.Value(gin.ContextKey).(*gin.Context); ok {
		return c.Param("reference")
	}
	return ""
}
