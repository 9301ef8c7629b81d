package main

import (
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

// BenchmarkCaseMetrics is what a missed-bin case's own metrics cost the
// worker through the SDK's handler: started, six steps timed, an email,
// closed, each with the tags the SDK adds to a workflow's handler.
//
//	go test ./cmd/larder -run '^$' -bench CaseMetrics -benchmem
func BenchmarkCaseMetrics(b *testing.B) {
	h, err := sdkHandler()
	if err != nil {
		b.Fatal(err)
	}
	wf := h.WithTags(map[string]string{"namespace": "default", "task_queue": "larder-cases", "workflow_type": workflows.CaseWorkflow})
	kinds := []string{"call", "decide", "call", "email", "set", "end"}
	b.ReportAllocs()
	for b.Loop() {
		wf.WithTags(map[string]string{"service": "bench-missed-bin"}).Counter(workflows.CasesStartedMetric).Inc(1)
		for _, k := range kinds {
			wf.WithTags(map[string]string{"service": "bench-missed-bin", "kind": k}).Timer(workflows.StepDurationMetric).Record(40 * time.Millisecond)
		}
		wf.WithTags(map[string]string{"service": "bench-missed-bin", "result": "sent"}).Counter(workflows.EmailsMetric).Inc(1)
		wf.WithTags(map[string]string{"service": "bench-missed-bin", "status": "completed", "outcome": "Missed collection reported"}).Counter(workflows.CasesClosedMetric).Inc(1)
	}
}
