package inbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/internal/redistest"
)

// The tests' clock: a Wednesday morning, and the end of that day.
var (
	now      = time.Date(2025, 3, 12, 10, 0, 0, 0, time.UTC)
	endOfDay = time.Date(2025, 3, 12, 23, 59, 59, 0, time.UTC)
)

// onEachRedis runs test against the test binary's Redis and, when that is
// a real Redis, against a miniredis as well, since Larder runs on both.
func onEachRedis(t *testing.T, test func(t *testing.T, ix *Index)) {
	t.Helper()
	db := redistest.New(t)
	name := "miniredis"
	if db.Real {
		name = "redis"
	}
	t.Run(name, func(t *testing.T) { test(t, &Index{Redis: db.Client, Prefix: db.Prefix}) })
	if db.Real {
		t.Run("miniredis", func(t *testing.T) {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { c.Close() })
			test(t, &Index{Redis: c, Prefix: "larder:"})
		})
	}
}

// at is a time h hours from the tests' now.
func at(h float64) *time.Time {
	t := now.Add(time.Duration(h * float64(time.Hour)))
	return &t
}

// task is an open task of the case ref, in queue, of service.
func task(ref, step, queue, service string, due *time.Time) Entry {
	return Entry{
		ID: ref + "/" + step, Kind: KindTask, Reference: ref, Service: service, Step: step,
		Queue: queue, Title: "Check " + ref, OpenedAt: now.Add(-48 * time.Hour), DueAt: due, Seq: 1,
	}
}

// incident is an open incident of the case ref, raised at opened.
func incident(ref, service string, opened time.Time) Entry {
	return Entry{
		ID: ref + "/raise-1", Kind: KindIncident, Reference: ref, Service: service, Step: "raise",
		Title: "Waste system did not answer", Error: "dial tcp: connection refused", OpenedAt: opened, Seq: 1,
	}
}

// put writes entries, failing the test on an error.
func put(t testing.TB, ix *Index, entries ...Entry) {
	t.Helper()
	for _, e := range entries {
		if err := ix.Put(context.Background(), e); err != nil {
			t.Fatalf("put %s: %v", e.ID, err)
		}
	}
}

// ids lists a page's entry ids.
func ids(p Page) []string {
	out := make([]string, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = e.ID
	}
	return out
}

// tasks lists one page, failing the test on an error.
func tasks(t testing.TB, ix *Index, f Filter) Page {
	t.Helper()
	if f.Now.IsZero() {
		f.Now, f.EndOfDay = now, endOfDay
	}
	p, err := ix.Tasks(context.Background(), f)
	if err != nil {
		t.Fatalf("tasks %+v: %v", f, err)
	}
	return p
}

// wantIDs fails the test unless the page lists want, in order.
func wantIDs(t *testing.T, what string, p Page, want ...string) {
	t.Helper()
	if got := ids(p); !slices.Equal(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, strings.Join(got, " "), strings.Join(want, " "))
	}
}

// allTasks lists every page of a filter, in order.
func allTasks(t testing.TB, ix *Index, f Filter) []string {
	t.Helper()
	var out []string
	for f.Page = 1; ; f.Page++ {
		p := tasks(t, ix, f)
		out = append(out, ids(p)...)
		if f.Page >= p.Pages {
			return out
		}
	}
}

// manyTasks are n open tasks of queue, due one minute apart.
func manyTasks(n int, queue string) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = task(fmt.Sprintf("MB-%04d-%s", i, queue), "check", queue, "missed-bin", at(float64(i)/60))
	}
	return out
}

// scrape registers c alone and returns its samples as sorted lines like
// `larder_tasks_open{queue="waste"} 6`.
func scrape(t *testing.T, c prometheus.Collector) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				labels += fmt.Sprintf("%s=%q", l.GetName(), l.GetValue())
			}
			if labels != "" {
				labels = "{" + labels + "}"
			}
			out = append(out, fmt.Sprintf("%s%s %g", f.GetName(), labels, m.GetGauge().GetValue()))
		}
	}
	slices.Sort(out)
	return out
}

// wantSamples fails the test unless c's samples are the lines of want.
func wantSamples(t *testing.T, c prometheus.Collector, want string) {
	t.Helper()
	w := strings.Split(strings.TrimSpace(want), "\n")
	for i := range w {
		w[i] = strings.TrimSpace(w[i])
	}
	slices.Sort(w)
	if got := scrape(t, c); !slices.Equal(got, w) {
		t.Errorf("metrics:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(w, "\n     "))
	}
}
