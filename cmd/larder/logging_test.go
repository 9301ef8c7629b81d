package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	sdklog "go.temporal.io/sdk/log"
)

// jsonLines decodes each line logged.
func jsonLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line (%v): %s", err, line)
		}
		out = append(out, m)
	}
	return out
}

// TestLogLinesAboutACaseNameIt: with log.format json every line is JSON,
// and a line about a case carries its reference once, whether the
// Temporal SDK tagged it with the case's workflow ID (on the logger or on
// the line), a handler named it, or it was written while a request to
// one of the case's routes was answered.
func TestLogLinesAboutACaseNameIt(t *testing.T) {
	var b bytes.Buffer
	logger := newLogger(&b, "json", nil)
	sdk := sdklog.NewStructuredLogger(logger)
	sdklog.With(sdk, "WorkflowID", "MB-AAAA-AAAA", "RunID", "r1").Warn("connector call failed")
	sdk.Error("Activity error.", "WorkflowID", "MB-BBBB-BBBB")
	logger.Info("case progress from its status only", "reference", "MB-CCCC-CCCC", "WorkflowID", "MB-CCCC-CCCC")
	logger.Info("larder started")

	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.GET("/track/:reference", func(c *gin.Context) { logger.WarnContext(c, "case query failed") })
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/track/MB-DDDD-DDDD", nil))

	want := []any{"MB-AAAA-AAAA", "MB-BBBB-BBBB", "MB-CCCC-CCCC", nil, "MB-DDDD-DDDD"}
	lines := jsonLines(t, &b)
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, line := range lines {
		if line["reference"] != want[i] {
			t.Errorf("line %q has reference %v, want %v", line["msg"], line["reference"], want[i])
		}
	}
	if n := strings.Count(b.String(), `"reference"`); n != 4 {
		t.Errorf("%d references in the log, want 4 (one a line about a case):\n%s", n, b.String())
	}

	b.Reset()
	newLogger(&b, "text", nil).With("WorkflowID", "MB-EEEE-EEEE").Info("text lines too")
	if !strings.Contains(b.String(), "reference=MB-EEEE-EEEE") || strings.HasPrefix(b.String(), "{") {
		t.Errorf("log.format text wrote %q, want logfmt with reference=MB-EEEE-EEEE", b.String())
	}
}
