package inbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// views are the inbox pages and counts compared before and after a rebuild.
func views(t *testing.T, ix *Index) string {
	t.Helper()
	ctx := context.Background()
	both := []string{"waste", "street"}
	var b strings.Builder
	for _, f := range []Filter{
		{Queues: both}, {Queues: both, Page: 2}, {Queues: []string{"waste"}, Page: 3, PerPage: 10},
		{Queues: both, Assignee: "pat"}, {Queues: both, Assignee: Unassigned, Page: 2},
		{Queues: both, Service: "fly-tipping"}, {Queues: both, Status: StatusOverdue}, {Queues: []string{"street"}, Status: StatusDueToday},
	} {
		p := tasks(t, ix, f)
		fmt.Fprintf(&b, "%+v: total %d, page %d of %d: %s\n", f, p.Total, p.Page, p.Pages, strings.Join(ids(p), " "))
		for _, e := range p.Entries {
			fmt.Fprintf(&b, "  %+v\n", e)
		}
	}
	counts, err := ix.Counts(ctx, both, now, endOfDay)
	if err != nil {
		t.Fatal(err)
	}
	incidents, err := ix.Incidents(ctx, "", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "counts %v\nincidents %d: %s\n", counts, incidents.Total, strings.Join(ids(incidents), " "))
	return b.String()
}

// busyDay writes a day of changes, as cases would, and returns the open
// work at its end as the cases' memos would list it.
func busyDay(t *testing.T, ix *Index) []Entry {
	t.Helper()
	var open []Entry
	for i, e := range append(manyTasks(70, "waste"), manyTasks(30, "street")...) {
		put(t, ix, e)
		switch i % 5 {
		case 0: // claimed by pat
			e.Seq, e.Assignee = 2, "pat"
			put(t, ix, e)
		case 1: // completed
			e.Seq, e.Closed = 2, true
			put(t, ix, e)
			continue
		case 2: // escalated from waste to street
			e.Seq, e.Queue, e.Escalated, e.Service = 2, "street", true, "fly-tipping"
			put(t, ix, e)
		}
		open = append(open, e)
	}
	for i := range 4 {
		inc := incident(fmt.Sprintf("I%d", i), "missed-bin", now.Add(-time.Duration(i)*time.Hour))
		put(t, ix, inc)
		if i == 2 {
			inc.Seq, inc.Closed = 2, true
			put(t, ix, inc)
			continue
		}
		open = append(open, inc)
	}
	return open
}

func TestReplaceGivesTheSameInboxAsThePutsItReplaces(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		open := busyDay(t, ix)
		before := views(t, ix)
		if len(strings.Fields(before)) < 100 {
			t.Fatalf("the views are too thin to compare:\n%s", before)
		}
		// Redis loses everything, as after FLUSHDB.
		if err := ix.Redis.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if empty, err := ix.Empty(ctx); err != nil || !empty {
			t.Fatalf("after a flush Empty says %v %v, want true", empty, err)
		}
		slices.Reverse(open) // visibility lists cases in its own order
		if err := ix.Replace(ctx, open); err != nil {
			t.Fatal(err)
		}
		if after := views(t, ix); after != before {
			t.Errorf("the rebuilt inbox differs:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if empty, err := ix.Empty(ctx); err != nil || empty {
			t.Errorf("after Replace Empty says %v %v, want false", empty, err)
		}
	})
}

func TestReplaceThrowsAwayWhatItIsNotGiven(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		inboxFixture(t, ix)
		put(t, ix, incident("R1", "missed-bin", now))
		keep := task("K", "check", "parking", "permits", at(1))
		if err := ix.Replace(ctx, []Entry{keep}); err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "the old queues", tasks(t, ix, Filter{Queues: []string{"waste", "street"}}))
		wantIDs(t, "pat's", tasks(t, ix, Filter{Queues: []string{"waste", "street"}, Assignee: "pat"}))
		wantIDs(t, "the new queue", tasks(t, ix, Filter{Queues: []string{"parking"}}), "K/check")
		if p, _ := ix.Incidents(ctx, "missed-bin", 1, 0); p.Total != 0 {
			t.Errorf("%d incidents survived Replace", p.Total)
		}
		if _, ok, _ := ix.Get(ctx, "A/check"); ok {
			t.Error("an entry not given to Replace can still be read")
		}
		wantSamples(t, ix.Collector(func() time.Time { return now }), `
			larder_incidents_open 0
			larder_tasks_open{queue="parking"} 1
			larder_tasks_overdue{queue="parking"} 0`)
	})
}

func TestReplaceKeepsOutWorkClosedSinceVisibilityLooked(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		e := task("V1", "check", "waste", "missed-bin", at(1))
		closed := e
		closed.Seq, closed.Closed = 2, true
		put(t, ix, e, closed)
		// Visibility still shows the task open when reindex reads it.
		if err := ix.Replace(ctx, []Entry{e}); err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "the queue", tasks(t, ix, Filter{Queues: []string{"waste"}}))
	})
}

func TestEmptyUntilTheFirstReplace(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		put(t, ix, task("P1", "check", "waste", "missed-bin", nil))
		if empty, _ := ix.Empty(ctx); !empty {
			t.Error("an index only written by Put since Redis lost it says it needs no rebuild")
		}
		if err := ix.Replace(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if empty, _ := ix.Empty(ctx); empty {
			t.Error("an index rebuilt with no open work still says it needs a rebuild")
		}
	})
}
