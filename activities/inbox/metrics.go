package inbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the Redis reads of one scrape.
const scrapeTimeout = 5 * time.Second

var (
	tasksOpenDesc = prometheus.NewDesc("larder_tasks_open",
		"Open tasks in the inbox index, by queue.", []string{"queue"}, nil)
	tasksOverdueDesc = prometheus.NewDesc("larder_tasks_overdue",
		"Open tasks past their due time, by queue.", []string{"queue"}, nil)
	incidentsOpenDesc = prometheus.NewDesc("larder_incidents_open",
		"Open incidents in the inbox index.", nil, nil)
)

// collector reads the index's counts from Redis on every scrape.
type collector struct {
	ix  *Index
	now func() time.Time
}

// Collector returns a prometheus.Collector of the open tasks and overdue
// tasks of every queue a task was ever put in, and the open incidents,
// read from Redis on each scrape; now tells the time "overdue" is judged
// at. A scrape that cannot read Redis logs why and leaves the metrics out.
func (ix *Index) Collector(now func() time.Time) prometheus.Collector {
	if now == nil {
		now = time.Now
	}
	return &collector{ix: ix, now: now}
}

// Describe sends the metrics' descriptions.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- tasksOpenDesc
	ch <- tasksOverdueDesc
	ch <- incidentsOpenDesc
}

// Collect reads the counts from Redis and sends them.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	ix := c.ix
	if n, err := ix.Redis.ZCard(ctx, ix.incidentsKey("")).Result(); err != nil {
		c.log().Warn("inbox metrics: cannot count incidents", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(incidentsOpenDesc, prometheus.GaugeValue, float64(n))
	}
	queues, err := ix.Redis.SMembers(ctx, ix.queuesKey()).Result()
	if err != nil {
		c.log().Warn("inbox metrics: cannot list queues", "err", err)
		return
	}
	now := c.now()
	counts, err := ix.Counts(ctx, queues, now, now)
	if err != nil {
		c.log().Warn("inbox metrics: cannot count tasks", "err", err)
		return
	}
	for q, n := range counts {
		ch <- prometheus.MustNewConstMetric(tasksOpenDesc, prometheus.GaugeValue, float64(n.Open), q)
		ch <- prometheus.MustNewConstMetric(tasksOverdueDesc, prometheus.GaugeValue, float64(n.Overdue), q)
	}
}

func (c *collector) log() *slog.Logger {
	if c.ix.Log != nil {
		return c.ix.Log
	}
	return slog.Default()
}
