package main

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// listedMetrics are the metrics the README's "Metrics" list names, as
// /metrics shows them; TestMetricsAfterCases finds each one after a few
// cases, and checks the README lists the same.
var listedMetrics = []string{
	// Larder's own
	"larder_cases_started_total",
	"larder_cases_closed_total",
	"larder_step_duration_seconds",
	"larder_emails_total",
	"larder_connector_calls_total",
	"larder_connector_call_duration_seconds",
	"larder_tasks_open",
	"larder_tasks_overdue",
	"larder_incidents_open",
	"larder_intake_pending",
	"larder_intake_wait_seconds",
	"larder_submissions_total",
	"larder_http_request_duration_seconds",
	// the Temporal SDK's
	"temporal_request_total",
	"temporal_request_latency_seconds",
	"temporal_long_request_total",
	"temporal_long_request_latency_seconds",
	"temporal_workflow_completed_total",
	"temporal_workflow_failed_total",
	"temporal_workflow_endtoend_latency_seconds",
	"temporal_workflow_task_queue_poll_succeed_total",
	"temporal_workflow_task_schedule_to_start_latency_seconds",
	"temporal_workflow_task_execution_latency_seconds",
	"temporal_workflow_task_replay_latency_seconds",
	"temporal_activity_schedule_to_start_latency_seconds",
	"temporal_activity_execution_latency_seconds",
	"temporal_activity_succeed_endtoend_latency_seconds",
	"temporal_local_activity_total",
	"temporal_local_activity_execution_latency_seconds",
	"temporal_sticky_cache_size",
	"temporal_sticky_cache_hit_total",
	"temporal_num_pollers",
	"temporal_worker_task_slots_available",
	"temporal_worker_task_slots_used",
	"temporal_worker_start_total",
	"temporal_poller_start_total",
}

// metricsRecipes are two recipes beside the shipped ones: every kind of
// step in one case (routed by form.route to a task, an incident or a
// fail), and the child it runs.
var metricsRecipes = map[string]string{
	"metrics-kinds.yaml": `id: metrics-kinds
version: "1"
title: Every kind of step
reference_prefix: MK
form:
  pages:
    - id: details
      title: Details
      fields:
        - { id: email, type: email, label: Email address, validate: "required,email", example: sam@example.com }
        - id: route
          type: radios
          label: Route
          validate: required
          options:
            - { value: task, label: Task }
            - { value: incident, label: Incident }
            - { value: fail, label: Fail }
          example: task
steps:
  - id: start
    set:
      greeting: "{{ 'hello' }}"
    next: route
  - id: route
    decide:
      branches:
        - { when: 'form.route == "fail"', next: give_up }
        - { when: 'form.route == "incident"', next: missing }
      otherwise: both
  - id: both
    parallel:
      branches:
        - steps:
            - id: look
              call:
                connector: waste
                operation: get_property
                input: { uprn: "100001000001" }
                # longer than a local activity may take: a worker's activity
                timeout: 2m
        - steps:
            - id: pause
              wait:
                for: 1s
    next: child
  - id: child
    subrecipe:
      recipe: metrics-child
    next: tell
  - id: tell
    email:
      to: "{{ form.email }}"
      subject: "Your case {{ case.reference }}"
      text: "{{ vars.greeting }}"
    next: review
  - id: review
    task:
      queue: metrics-review
      title: Review the case
      outcomes:
        - { id: done, label: Done, next: finished }
  - id: finished
    end:
      outcome: Reviewed
  - id: missing
    call:
      connector: waste
      operation: get_property
      input: { uprn: "999999999999" }
      retry: { max_attempts: 1 }
    next: finished
  - id: give_up
    fail:
      outcome: Given up
      reason: asked to fail
`,
	"metrics-child.yaml": `id: metrics-child
version: "1"
title: A child case
reference_prefix: MC
form:
  pages:
    - id: details
      title: Details
      fields:
        - { id: note, type: text, label: Note }
steps:
  - id: done
    end:
      outcome: Child done
`,
}

// TestMetricsAfterCases runs Larder, takes cases through it (missed-bin
// reported and refused; a case with every kind of step to a staff task;
// one to an incident; one to a fail step) and reads /metrics: every
// metric the README lists is there, with the labels an operator filters
// on.
func TestMetricsAfterCases(t *testing.T) {
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	recipes := metricsRecipesDir(t)
	base, _ := startLarderWith(t, larderOptions{recipesDir: recipes, dataDir: t.TempDir()})

	answers := exampleAnswers(t)
	if code, reply := submit(t, base, answers, ""); code != http.StatusCreated {
		t.Fatalf("submit missed-bin: %d %v", code, reply)
	} else if v := waitForCase(t, base, reply["reference"].(string), time.Minute); v.Status != workflows.StatusCompleted {
		t.Fatalf("missed-bin ended %q %q", v.Status, v.Outcome)
	}
	answers["bin_type"] = "garden" // house 1 has no garden subscription: the waste system refuses
	if _, reply := submit(t, base, answers, ""); reply["reference"] == nil {
		t.Fatalf("submit the refused missed-bin: %v", reply)
	} else if v := waitForCase(t, base, reply["reference"].(string), time.Minute); v.Outcome != "Report not accepted" {
		t.Fatalf("refused missed-bin ended %q %q", v.Status, v.Outcome)
	}
	kinds := submitKinds(t, base, "task")
	waitForDetail(t, base, kinds, func(d workflows.CaseDetail) bool { return openTask(d) != nil })
	incident := submitKinds(t, base, "incident")
	waitForDetail(t, base, incident, func(d workflows.CaseDetail) bool { return len(d.Incidents) > 0 })
	failed := submitKinds(t, base, "fail")
	waitForDetail(t, base, failed, func(d workflows.CaseDetail) bool { return d.Status == workflows.StatusFailed })

	// While the task and the incident are open.
	families := scrapeUntil(t, base, func(f map[string]*dto.MetricFamily) bool {
		return value(f, "larder_tasks_open", map[string]string{"queue": "metrics-review"}) == 1
	})
	if n := value(families, "larder_incidents_open", nil); n != 1 {
		t.Errorf("larder_incidents_open is %v, want 1", n)
	}
	if !has(families, "larder_tasks_overdue", map[string]string{"queue": "metrics-review"}) {
		t.Error("no larder_tasks_overdue for the queue metrics-review")
	}

	// Staff complete the task; the case runs to its end.
	if d := drive(t, base, "metrics-kinds", kinds); d.Status != workflows.StatusCompleted || d.Outcome != "Reviewed" {
		t.Fatalf("the case with every kind of step ended %q %q", d.Status, d.Outcome)
	}
	closed := map[string]string{"service": "metrics-kinds", "status": workflows.StatusCompleted, "outcome": "Reviewed"}
	families = scrapeUntil(t, base, func(f map[string]*dto.MetricFamily) bool {
		return value(f, "larder_tasks_open", map[string]string{"queue": "metrics-review"}) == 0 &&
			has(f, "larder_cases_closed_total", closed) &&
			has(f, "larder_step_duration_seconds", map[string]string{"service": "metrics-kinds", "kind": "task"}) &&
			has(f, "temporal_sticky_cache_hit_total", nil)
	})
	for _, name := range listedMetrics {
		if families[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	want := []struct {
		name   string
		labels map[string]string
	}{
		{"larder_cases_started_total", map[string]string{"service": "missed-bin"}},
		{"larder_cases_started_total", map[string]string{"service": "metrics-child"}},
		{"larder_cases_closed_total", map[string]string{"service": "missed-bin", "status": workflows.StatusCompleted, "outcome": "Missed collection reported"}},
		{"larder_cases_closed_total", map[string]string{"service": "metrics-kinds", "status": workflows.StatusFailed, "outcome": "Given up"}},
		{"larder_cases_closed_total", closed},
		{"larder_emails_total", map[string]string{"service": "missed-bin", "result": "sent"}},
		{"larder_emails_total", map[string]string{"service": "metrics-kinds", "result": "sent"}},
		{"larder_connector_calls_total", map[string]string{"connector": "waste", "operation": "report_missed", "result": "ok"}},
		{"larder_connector_calls_total", map[string]string{"connector": "waste", "operation": "get_property", "result": "refused"}},
		{"larder_connector_call_duration_seconds", map[string]string{"connector": "waste", "operation": "get_property"}},
		{"larder_submissions_total", map[string]string{"service": "metrics-kinds", "result": "started"}},
		{"temporal_num_pollers", map[string]string{"poller_type": "workflow_task"}},
		{"temporal_activity_execution_latency_seconds", map[string]string{"activity_type": "Call"}},
	}
	for _, kind := range recipe.StepKinds {
		want = append(want, struct {
			name   string
			labels map[string]string
		}{"larder_step_duration_seconds", map[string]string{"service": "metrics-kinds", "kind": kind}})
	}
	for _, w := range want {
		if !has(families, w.name, w.labels) {
			t.Errorf("/metrics has no %s%v", w.name, w.labels)
		}
	}

	// The README lists what this test finds, once its Metrics section is in.
	readme := readmeMetrics(t)
	if len(readme) == 0 {
		t.Log("README.md has no Metrics list yet; checked listedMetrics alone")
		return
	}
	slices.Sort(readme)
	listed := slices.Sorted(slices.Values(listedMetrics))
	if !slices.Equal(readme, listed) {
		t.Errorf("the README's Metrics list names %v, the test %v", readme, listed)
	}
}

// metricsRecipesDir is a copy of the shipped recipes with metricsRecipes
// beside them.
func metricsRecipesDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	shipped, err := os.ReadDir(recipesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range shipped {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(recipesDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range metricsRecipes {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// submitKinds starts a metrics-kinds case that takes the route and
// returns its reference.
func submitKinds(t *testing.T, base, route string) string {
	t.Helper()
	code, reply := submitTo(t, base, "metrics-kinds", map[string]any{"email": "sam@example.com", "route": route})
	ref, _ := reply["reference"].(string)
	if code != http.StatusCreated || ref == "" {
		t.Fatalf("submit metrics-kinds (%s): %d %v", route, code, reply)
	}
	return ref
}

// scrapeUntil reads /metrics until ready says what it holds is what the
// test waits for (the SDK's and the index's figures follow the cases by
// moments), or a minute has passed; it returns the last reading.
func scrapeUntil(t *testing.T, base string, ready func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		families := scrape(t, base)
		if ready(families) || time.Now().After(deadline) {
			return families
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scrape reads /metrics as Prometheus does.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return families
}

// series are the series of the family whose labels include labels.
func series(families map[string]*dto.MetricFamily, name string, labels map[string]string) []*dto.Metric {
	var out []*dto.Metric
	f := families[name]
	if f == nil {
		return nil
	}
metrics:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue metrics
			}
		}
		out = append(out, m)
	}
	return out
}

// has says whether the family has a series with the labels that counted
// something: a histogram's observations, a counter above 0, any gauge.
func has(families map[string]*dto.MetricFamily, name string, labels map[string]string) bool {
	for _, m := range series(families, name, labels) {
		switch {
		case m.GetHistogram() != nil:
			if m.GetHistogram().GetSampleCount() > 0 {
				return true
			}
		case m.GetCounter() != nil:
			if m.GetCounter().GetValue() > 0 {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// value is the gauge's value with the labels, or -1 when it has none.
func value(families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	s := series(families, name, labels)
	if len(s) != 1 {
		return -1
	}
	return s[0].GetGauge().GetValue()
}

// readmeMetric is a row of the README's Metrics table: | `name` | ...
var readmeMetric = regexp.MustCompile("^\\| `((?:larder|temporal)_[a-z_]+)` \\|")

// readmeMetrics are the metric names README.md's Metrics table lists.
func readmeMetrics(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if m := readmeMetric.FindStringSubmatch(lines.Text()); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}
