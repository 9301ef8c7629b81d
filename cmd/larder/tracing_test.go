package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
)

// collector is an OTLP/HTTP trace receiver, as an OpenTelemetry
// collector listens on :4318: it takes ExportTraceServiceRequest
// protobufs at /v1/traces and keeps every span with its resource.
type collector struct {
	mu    sync.Mutex
	spans []receivedSpan
	// raw is every request body, decoded, as text: what a tracing
	// backend would store and show.
	raw strings.Builder
}

// receivedSpan is a span as the collector got it.
type receivedSpan struct {
	*tracepb.Span
	resource map[string]string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want a protobuf POST to /v1/traces", http.StatusNotFound)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.raw.WriteString(req.String())
	for _, rs := range req.GetResourceSpans() {
		res := attributes(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, receivedSpan{Span: s, resource: res})
			}
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// trace is every span received in the trace with the given ID.
func (c *collector) trace(id []byte) []receivedSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []receivedSpan
	for _, s := range c.spans {
		if bytes.Equal(s.GetTraceId(), id) {
			out = append(out, s)
		}
	}
	return out
}

// attributes are OTLP attributes as text.
func attributes(kvs []*commonpb.KeyValue) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.GetKey()] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.GetKey()] = strconv.FormatInt(v.IntValue, 10)
		default:
			out[kv.GetKey()] = kv.GetValue().String()
		}
	}
	return out
}

// tracedSystem is the waste system behind a proxy that keeps the
// traceparent of each request it is sent, and answers the first report of
// a missed collection 503, so the case logs a failed call and retries it.
type tracedSystem struct {
	mu     sync.Mutex
	parent []string // "traceparent method path" per request
	failed bool
}

func (s *tracedSystem) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.parent = append(s.parent, r.Header.Get("traceparent")+" "+r.Method+" "+r.URL.Path)
		fail := !s.failed && r.Method == http.MethodPost && r.URL.Path == "/api/missed-collections"
		s.failed = s.failed || fail
		s.mu.Unlock()
		if fail {
			http.Error(w, `{"message": "try again"}`, http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// sentIn lists the requests the system got that carried trace id.
func (s *tracedSystem) sentIn(id []byte) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.parent {
		// traceparent is version-traceid-spanid-flags.
		if parts := strings.Split(p, "-"); len(parts) >= 4 && parts[1] == hex.EncodeToString(id) {
			out = append(out, p)
		}
	}
	return out
}

// TestOneTraceFromRequestToConnector runs `larder serve` as an operator
// would, sending traces to an OTLP/HTTP collector and logging JSON, and
// submits one missed-bin case through the API. Once the case has closed
// and Larder has stopped (sending the spans it held), one trace holds the
// submission's request, the case workflow's start and run, its
// activities, and the waste system calls made from them, and the waste
// system was sent that trace in traceparent. No span shows the waste
// system's token or what the resident typed. Every line Larder logged is
// JSON, and every line about the case carries its reference.
func TestOneTraceFromRequestToConnector(t *testing.T) {
	clearEnv(t)
	otlp := &collector{}
	receiver := httptest.NewServer(otlp)
	t.Cleanup(receiver.Close)
	system := &tracedSystem{}
	ws := httptest.NewServer(system.wrap(wastesim.New(wastesim.Options{})))
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	const wasteToken = "waste-5ecret-Tr4c3d"
	t.Setenv("WASTE_TOKEN", wasteToken)

	addr, log, stop := startJSON(t, "serve", "--otlp-endpoint", receiver.URL, "--log-level", "debug",
		"--data-dir", filepath.Join(t.TempDir(), "data"), "--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0")
	base := "http://" + addr

	answers := exampleAnswers(t)
	code, reply := submit(t, base, answers, "")
	ref, _ := reply["reference"].(string)
	if code != http.StatusCreated || ref == "" {
		t.Fatalf("submit: %d %v", code, reply)
	}
	waitForCase(t, base, ref, 60*time.Second)
	// The resident's page hands the case client its gin context.
	if resp, err := http.Get(base + "/track/" + ref); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /track/%s: %v %v", ref, resp, err)
	} else {
		resp.Body.Close()
	}
	stop() // and so send every span it holds

	t.Run("one trace from request to connector", func(t *testing.T) {
		var request *receivedSpan
		otlp.mu.Lock()
		for i, s := range otlp.spans {
			if s.GetName() == "POST /api/v1/services/:service/submissions" && s.GetKind() == tracepb.Span_SPAN_KIND_SERVER {
				request = &otlp.spans[i]
			}
		}
		otlp.mu.Unlock()
		if request == nil {
			t.Fatalf("no span for the submission among %d received", len(otlp.spans))
		}
		if request.resource["service.name"] != "larder" || request.resource["larder.role"] != "serve" {
			t.Errorf("resource %v, want service.name larder and larder.role serve", request.resource)
		}
		spans := otlp.trace(request.GetTraceId())
		byID := map[string]receivedSpan{}
		for _, s := range spans {
			byID[string(s.GetSpanId())] = s
			t.Logf("%-45s %-8s parent %x", s.GetName(), strings.TrimPrefix(s.GetKind().String(), "SPAN_KIND_"), s.GetParentSpanId())
		}
		// under says whether s descends from a span whose name starts with prefix.
		under := func(s receivedSpan, prefix string) bool {
			for p, ok := byID[string(s.GetParentSpanId())]; ok; p, ok = byID[string(p.GetParentSpanId())] {
				if strings.HasPrefix(p.GetName(), prefix) {
					return true
				}
			}
			return false
		}
		found := map[string]bool{}
		for _, s := range spans {
			name := s.GetName()
			switch {
			case strings.HasPrefix(name, "StartWorkflow:") && attributes(s.GetAttributes())["temporalWorkflowID"] == ref && under(s, "POST "):
				found["StartWorkflow"] = true
			case strings.HasPrefix(name, "RunWorkflow:") && under(s, "StartWorkflow:"):
				found["RunWorkflow"] = true
			case strings.HasPrefix(name, "StartActivity:") && under(s, "RunWorkflow:"):
				found["StartActivity"] = true
			case strings.HasPrefix(name, "RunActivity:") && under(s, "StartActivity:"):
				found["RunActivity"] = true
			case name == "waste POST" && s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT && under(s, "RunActivity:"):
				found["waste system call from an activity"] = true
			}
		}
		for _, want := range []string{"StartWorkflow", "RunWorkflow", "StartActivity", "RunActivity", "waste system call from an activity"} {
			if !found[want] {
				t.Errorf("the submission's trace has no %s span where it belongs", want)
			}
		}
		if sent := system.sentIn(request.GetTraceId()); len(sent) == 0 {
			t.Errorf("the waste system was sent no traceparent of the submission's trace %x", request.GetTraceId())
		} else {
			t.Logf("the waste system got %s", strings.Join(sent, "; "))
		}
	})

	t.Run("a page's query joins its request's trace", func(t *testing.T) {
		otlp.mu.Lock()
		var page []byte
		for _, s := range otlp.spans {
			if s.GetName() == "GET /track/:reference" && attributes(s.GetAttributes())["larder.case.reference"] == ref {
				page = s.GetTraceId()
			}
		}
		otlp.mu.Unlock()
		if page == nil {
			t.Fatal("no span for the resident's /track page")
		}
		var names []string
		for _, s := range otlp.trace(page) {
			names = append(names, s.GetName())
		}
		t.Logf("the /track page's trace: %v", names)
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "QueryWorkflow:") }) {
			t.Errorf("the /track page's trace holds %v, no QueryWorkflow span", names)
		}
	})

	t.Run("no secret or answer in a span", func(t *testing.T) {
		otlp.mu.Lock()
		raw := otlp.raw.String()
		otlp.mu.Unlock()
		forbidden := []string{wasteToken}
		for id, v := range answers {
			if s, ok := v.(string); ok && len(s) > 3 && id != "uprn" {
				forbidden = append(forbidden, s)
			}
		}
		for _, f := range forbidden {
			if i := strings.Index(raw, f); i >= 0 {
				t.Errorf("the spans sent show %q: ...%s...", f, raw[max(0, i-200):min(len(raw), i+100)])
			}
		}
	})

	t.Run("json log lines carry the case reference", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		about := 0
		sides := map[string]bool{}
		for _, line := range lines {
			var entry map[string]any
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Errorf("a log line is not JSON (%v): %s", err, line)
				continue
			}
			if !strings.Contains(line, ref) {
				continue
			}
			about++
			t.Log(line)
			if entry["reference"] != ref {
				t.Errorf("a line about case %s has reference %v: %s", ref, entry["reference"], line)
			}
			switch {
			case entry["WorkflowID"] != nil:
				sides["workflow or activity"] = true
			case entry["route"] != nil:
				sides["web"] = true
			}
		}
		if about == 0 {
			t.Fatalf("no line of %d mentions case %s", len(lines), ref)
		}
		for _, side := range []string{"workflow or activity", "web"} {
			if !sides[side] {
				t.Errorf("no %s line about case %s was logged: the test did not see that side", side, ref)
			}
		}
		t.Logf("%d of %d lines are about case %s", about, len(lines), ref)
	})
}

// startJSON runs `larder <args> --log-format json` in this process until
// stop is called or the test ends, and returns the address it serves on
// ("" for a worker) and its log. Stopping must exit 0.
func startJSON(t *testing.T, args ...string) (addr string, log *processLog, stop func()) {
	t.Helper()
	log = &processLog{}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	args = append(args, "--log-format", "json")
	go func() { exited <- larderUntil(ctx, args, io.Discard, log) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("larder %s exited %d when stopped:\n%s", args[0], code, log)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("larder %s did not stop within 30s of being told to", args[0])
		}
	}
	t.Cleanup(stop)
	deadline := time.After(60 * time.Second)
	for {
		for _, line := range strings.Split(log.String(), "\n") {
			var entry struct{ Msg, HTTP string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "larder started" {
				return entry.HTTP, log, stop
			}
		}
		select {
		case code := <-exited:
			stopped = true
			t.Fatalf("larder %s exited %d before it started:\n%s", args[0], code, log)
		case <-deadline:
			t.Fatalf("larder %s did not start within 60s:\n%s", args[0], log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestTraceCrossesFromWebToWorker: with `larder web` and `larder worker`
// apart, as the README tells operators to scale out, a submission's trace
// goes from the web process (its request and the case's start) through
// Temporal to the worker (the case, its activities and their waste
// system calls), each span marked with the role of the process that made it.
func TestTraceCrossesFromWebToWorker(t *testing.T) {
	clearEnv(t)
	otlp := &collector{}
	receiver := httptest.NewServer(otlp)
	t.Cleanup(receiver.Close)
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	t.Setenv("LARDER_SECRET_KEY", "tracing-test-key-0123456789abcdef")
	db := redistest.New(t)
	shared := []string{
		"--otlp-endpoint", receiver.URL, "--temporal-address", sharedTemporal(t),
		"--redis-url", db.URL, "--redis-key-prefix", db.Prefix,
		"--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0",
	}
	addr, _, stopWeb := startJSON(t, append([]string{"web", "--data-dir", t.TempDir()}, shared...)...)
	_, _, stopWorker := startJSON(t, append([]string{"worker", "--data-dir", t.TempDir()}, shared...)...)
	base := "http://" + addr
	code, reply := submit(t, base, exampleAnswers(t), "")
	ref, _ := reply["reference"].(string)
	if code != http.StatusCreated || ref == "" {
		t.Fatalf("submit: %d %v", code, reply)
	}
	waitForCase(t, base, ref, 60*time.Second)
	stopWeb()
	stopWorker()

	var request *receivedSpan
	otlp.mu.Lock()
	for i, s := range otlp.spans {
		if s.GetName() == "POST /api/v1/services/:service/submissions" {
			request = &otlp.spans[i]
		}
	}
	otlp.mu.Unlock()
	if request == nil {
		t.Fatal("no span for the submission")
	}
	roles := map[string]map[string]bool{} // span names (without their type) by the roles that made them
	for _, s := range otlp.trace(request.GetTraceId()) {
		name := s.GetName()
		switch {
		case s.GetKind() == tracepb.Span_SPAN_KIND_CLIENT && strings.HasPrefix(name, "waste "):
			name = "waste system call"
		case !strings.Contains(name, " "): // StartWorkflow:larder.case and the like
			name, _, _ = strings.Cut(name, ":")
		}
		if roles[name] == nil {
			roles[name] = map[string]bool{}
		}
		roles[name][s.resource["larder.role"]] = true
	}
	t.Logf("spans by the roles that made them: %v", roles)
	for name, want := range map[string]string{
		"POST /api/v1/services/:service/submissions": "web", "StartWorkflow": "web",
		"RunWorkflow": "worker", "StartActivity": "worker", "RunActivity": "worker", "waste system call": "worker",
	} {
		if !roles[name][want] {
			t.Errorf("the submission's trace has %s from roles %v, want one from %s", name, roles[name], want)
		}
	}
}
