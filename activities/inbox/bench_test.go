package inbox

import (
	"context"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/redistest"
)

// BenchmarkTasks reads the first inbox page of a queue of 10,000 tasks,
// and of that queue merged with a second of the same size.
func BenchmarkTasks(b *testing.B) {
	db := redistest.New(b)
	ix := &Index{Redis: db.Client, Prefix: db.Prefix}
	ctx := context.Background()
	if err := ix.Replace(ctx, append(manyTasks(10000, "waste"), manyTasks(10000, "street")...)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    Filter
	}{
		{"one queue", Filter{Queues: []string{"waste"}}},
		{"one queue, page 200", Filter{Queues: []string{"waste"}, Page: 200}},
		{"one queue, overdue", Filter{Queues: []string{"waste"}, Status: StatusOverdue, Now: now.Add(72 * time.Hour), EndOfDay: now.Add(96 * time.Hour)}},
		{"two queues", Filter{Queues: []string{"waste", "street"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p, err := ix.Tasks(ctx, c.f)
				if err != nil || len(p.Entries) != DefaultPerPage {
					b.Fatalf("%d entries, %v", len(p.Entries), err)
				}
			}
		})
	}
}
