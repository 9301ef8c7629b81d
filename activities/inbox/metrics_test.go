package inbox

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestCollectorCountsOpenAndOverdueTasksAndIncidents(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		inboxFixture(t, ix)
		put(t, ix, incident("R1", "missed-bin", now), incident("R2", "fly-tipping", now))
		clock := now
		c := ix.Collector(func() time.Time { return clock })
		wantSamples(t, c, `
			larder_incidents_open 2
			larder_tasks_open{queue="street"} 2
			larder_tasks_open{queue="waste"} 6
			larder_tasks_overdue{queue="street"} 1
			larder_tasks_overdue{queue="waste"} 2`)
		// A day later, everything with a due date but E is overdue.
		clock = now.Add(24 * time.Hour)
		wantSamples(t, c, `
			larder_incidents_open 2
			larder_tasks_open{queue="street"} 2
			larder_tasks_open{queue="waste"} 6
			larder_tasks_overdue{queue="street"} 2
			larder_tasks_overdue{queue="waste"} 4`)
	})
}

func TestCollectorLogsAndSkipsWhenRedisIsGone(t *testing.T) {
	gone := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	gone.Close()
	var logged bytes.Buffer
	ix := &Index{Redis: gone, Prefix: "larder:", Log: slog.New(slog.NewTextHandler(&logged, nil))}
	if got := scrape(t, ix.Collector(nil)); len(got) != 0 {
		t.Errorf("a scrape without Redis gave %v, want nothing", got)
	}
	if !strings.Contains(logged.String(), "inbox metrics") {
		t.Errorf("nothing said why the metrics are missing: %q", logged.String())
	}
	if _, err := ix.Tasks(context.Background(), Filter{Queues: []string{"waste"}}); err == nil {
		t.Error("listing tasks without Redis did not fail")
	}
}
