package workflows_test

import (
	"context"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows"
)

// TestCaseMetrics runs the email step's recipe with the SDK's metrics
// going to a recorder: the case is counted started and closed once, with
// its service, status and outcome; each step's run is timed by kind; the
// email is counted sent, or limited when its address has had its emails
// for the hour.
func TestCaseMetrics(t *testing.T) {
	for _, tc := range []struct {
		name, result string
		send         func(mail.Message) error
	}{
		{"sent", "sent", func(mail.Message) error { return nil }},
		{"limited", "limited", func(mail.Message) error {
			return temporal.NewNonRetryableApplicationError("smtp: not sent: too many emails to this address this hour", activities.RecipientLimitError, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &metricsRecorder{}
			sc := &stepCase{}
			sc.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
			sc.SetMetricsHandler(rec)
			sc.env = sc.NewTestWorkflowEnvironment()
			sc.env.SetStartTime(started)
			sc.env.RegisterActivity(&activities.Activities{})
			sc.env.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
			sc.env.OnActivity(a.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, m mail.Message) error { return tc.send(m) })

			sc.run(t, "step-email", nil)

			sc.completed(t, "Request received")
			want := map[string]int64{
				workflows.CasesStartedMetric + " service=step-email":                                          1,
				workflows.CasesClosedMetric + " outcome=Request received service=step-email status=completed": 1,
				workflows.EmailsMetric + " result=" + tc.result + " service=step-email":                       1,
				workflows.StepDurationMetric + " kind=email service=step-email":                               1,
				workflows.StepDurationMetric + " kind=end service=step-email":                                 1,
			}
			if got := rec.larder(); !maps.Equal(got, want) {
				t.Errorf("recorded %v\nwant %v", got, want)
			}
		})
	}
}

// metricsRecorder is a client.MetricsHandler that counts what it is given:
// a counter's increments, a timer's records, by name and tags.
type metricsRecorder struct {
	mu     sync.Mutex
	counts map[string]int64
	tags   map[string]string
	root   *metricsRecorder
}

func (r *metricsRecorder) store() *metricsRecorder {
	if r.root != nil {
		return r.root
	}
	return r
}

func (r *metricsRecorder) add(name string, n int64) {
	keys := slices.Sorted(maps.Keys(r.tags))
	key := name
	for _, k := range keys {
		key += " " + k + "=" + r.tags[k]
	}
	s := r.store()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts = map[string]int64{}
	}
	s.counts[key] += n
}

// larder is what was recorded of Larder's own metrics, with only the tags
// Larder sets (the SDK's own, namespace and the like, left out).
func (r *metricsRecorder) larder() map[string]int64 {
	s := r.store()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for key, n := range s.counts {
		if strings.HasPrefix(key, "larder_") {
			out[key] += n
		}
	}
	return out
}

// WithTags returns a recorder with the tags added, recording into r's store.
func (r *metricsRecorder) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(r.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	for k, v := range tags {
		// the SDK's own tags are not Larder's to check
		if k == "service" || k == "status" || k == "outcome" || k == "kind" || k == "result" {
			merged[k] = v
		}
	}
	return &metricsRecorder{tags: merged, root: r.store()}
}

func (r *metricsRecorder) Counter(name string) client.MetricsCounter {
	return recordedCounter(func(n int64) { r.add(name, n) })
}

func (r *metricsRecorder) Gauge(string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge("")
}

func (r *metricsRecorder) Timer(name string) client.MetricsTimer {
	return recordedTimer(func(time.Duration) { r.add(name, 1) })
}

type recordedCounter func(int64)

func (c recordedCounter) Inc(n int64) { c(n) }

type recordedTimer func(time.Duration)

func (f recordedTimer) Record(d time.Duration) { f(d) }
