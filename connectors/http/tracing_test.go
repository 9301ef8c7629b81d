package http_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	httpconn "github.com/larder-council/larder/connectors/http"
)

// TestCallIsASpanWithoutItsQuery: a call made inside a traced activity is
// a client span of it, the system is sent the trace in traceparent, and
// the span records the address without the query, where an API key and
// residents' answers travel; the system still gets both.
func TestCallIsASpanWithoutItsQuery(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	var mu sync.Mutex
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"uprn": "1"}]`))
	}))
	t.Cleanup(srv.Close)
	c, err := httpconn.New("waste", httpconn.Config{
		BaseURL: srv.URL, Timeout: 2 * time.Second, Operations: operations(),
		Auth: &httpconn.Auth{Kind: "api_key", In: "query", Name: "api_key", Value: apiKey},
	})
	if err != nil {
		t.Fatal(err)
	}

	spans := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	ctx, activity := provider.Tracer("test").Start(context.Background(), "RunActivity:Call")
	_, _, err = c.Call(ctx, connectors.Request{Operation: "find_properties", Input: map[string]any{"postcode": "LR1 1AA"}, IdempotencyKey: "MB-1/raise"})
	activity.End()
	if err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if got == nil {
		t.Fatal("the system was not called")
	}
	if q := got.URL.Query(); q.Get("api_key") != apiKey || q.Get("postcode") != "LR1 1AA" {
		t.Errorf("the system got the query %q, want the API key and the postcode", got.URL.RawQuery)
	}
	sent := propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(got.Header))
	if sc := trace.SpanContextFromContext(sent); sc.TraceID() != activity.SpanContext().TraceID() {
		t.Errorf("traceparent %q is not the activity's trace %s", got.Header.Get("traceparent"), activity.SpanContext().TraceID())
	}

	var call sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			call = s
		}
	}
	if call == nil {
		t.Fatalf("no client span among %d ended spans", len(spans.Ended()))
	}
	if call.Name() != "waste GET" || call.Parent().SpanID() != activity.SpanContext().SpanID() {
		t.Errorf("client span %q with parent %s, want waste GET under the activity's span %s", call.Name(), call.Parent().SpanID(), activity.SpanContext().SpanID())
	}
	attrs := map[string]string{}
	for _, a := range call.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
		for _, secret := range []string{apiKey, "LR1", "api_key", "postcode"} {
			if strings.Contains(a.Value.Emit(), secret) {
				t.Errorf("span attribute %s = %q shows %q", a.Key, a.Value.Emit(), secret)
			}
		}
	}
	if attrs["url.full"] != srv.URL+"/api/properties" || attrs["larder.connector"] != "waste" || attrs["http.response.status_code"] != "200" {
		t.Errorf("span attributes %v, want url.full without the query, the connector and the status", attrs)
	}
}

// TestSpansKeepSecrets: whichever way a connector is given its
// credentials (a password in base_url, fixed headers, each auth kind), no
// span of its calls, the OAuth2 token's fetch included, shows them.
func TestSpansKeepSecrets(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	ok := connectortest.NewServer(t, 200, `{}`)
	ts := newTokenServer(t)
	basic := base64.StdEncoding.EncodeToString([]byte("larder:" + password))
	for _, auth := range []*httpconn.Auth{
		nil,
		{Kind: "basic", Username: "larder", Password: password},
		{Kind: "bearer", Token: "tok-5ecret-f00d"},
		{Kind: "api_key", Name: "X-Api-Key", Value: apiKey},
		{Kind: "api_key", In: "query", Name: "api_key", Value: apiKey},
		oauth2Auth(ts, "form"),
		oauth2Auth(ts, "header"),
	} {
		kind := "headers"
		if auth != nil {
			kind = strings.Join(strings.Fields(auth.Kind+" "+auth.In+" "+auth.AuthStyle), " ")
		}
		t.Run(kind, func(t *testing.T) {
			base := ok.URL
			if auth != nil && auth.Kind == "oauth2_client_credentials" {
				base = ts.URL
			}
			cfg := httpconn.Config{BaseURL: withPassword(t, base), Timeout: 2 * time.Second, Auth: auth, Operations: operations()}
			if auth == nil {
				cfg.Headers = map[string]string{"Authorization": token, "X-Api-Key": "k3y-" + password}
			}
			c, err := httpconn.New("waste", cfg)
			if err != nil {
				t.Fatal(err)
			}
			spans := tracetest.NewSpanRecorder()
			ctx, activity := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)).Tracer("test").Start(context.Background(), "RunActivity:Call")
			_, _, err = c.Call(ctx, connectors.Request{Operation: "get_property", Input: map[string]any{"uprn": "1"}, IdempotencyKey: "MB-1/raise"})
			activity.End()
			if err != nil {
				t.Logf("call failed (its spans are checked all the same): %v", err)
			}
			var seen strings.Builder
			for _, s := range spans.Ended() {
				fmt.Fprintf(&seen, "%s %v %s\n", s.Name(), s.Attributes(), s.Status().Description)
				for _, e := range s.Events() {
					fmt.Fprintf(&seen, "  %s %v\n", e.Name, e.Attributes)
				}
			}
			if !strings.Contains(seen.String(), "url.full") {
				t.Fatalf("no client span was recorded:\n%s", seen.String())
			}
			for _, secret := range []string{token, "tok-5ecret-f00d", password, apiKey, clientSecret, "at-1", basic} {
				if strings.Contains(seen.String(), secret) {
					t.Errorf("a span shows %q:\n%s", secret, seen.String())
				}
			}
		})
	}
}
