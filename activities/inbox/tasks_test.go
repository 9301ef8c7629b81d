package inbox

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// inboxFixture is a morning's work of two queues:
//
//	waste:  A overdue (missed-bin, pat), B overdue (fly-tipping), C due
//	        today (missed-bin), D due today (fly-tipping, sam), E due
//	        tomorrow (missed-bin), F no due date (missed-bin, pat)
//	street: G overdue (fly-tipping), H due today (fly-tipping, pat)
func inboxFixture(t *testing.T, ix *Index) {
	t.Helper()
	a := task("A", "check", "waste", "missed-bin", at(-3))
	a.Assignee = "pat"
	b := task("B", "check", "waste", "fly-tipping", at(-1))
	c := task("C", "check", "waste", "missed-bin", at(2))
	d := task("D", "check", "waste", "fly-tipping", at(5))
	d.Assignee = "sam"
	e := task("E", "check", "waste", "missed-bin", at(30))
	f := task("F", "check", "waste", "missed-bin", nil)
	f.Assignee = "pat"
	g := task("G", "clear", "street", "fly-tipping", at(-2))
	h := task("H", "clear", "street", "fly-tipping", at(1))
	h.Assignee = "pat"
	put(t, ix, f, e, d, c, b, a, h, g)
}

func TestTasksAreSortedByDueWithoutDueLastAndTiesByOpenedThenID(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		late := task("Z", "check", "waste", "missed-bin", at(1))
		early := task("Y", "check", "waste", "missed-bin", at(1))
		early.OpenedAt = late.OpenedAt.Add(-time.Minute)
		sameOpenedA := task("X1", "check", "waste", "missed-bin", at(1))
		sameOpenedB := task("X2", "check", "waste", "missed-bin", at(1))
		sameOpenedA.OpenedAt, sameOpenedB.OpenedAt = late.OpenedAt, late.OpenedAt
		overdue := task("W", "check", "waste", "missed-bin", at(-30))
		undated := task("V", "check", "waste", "missed-bin", nil)
		put(t, ix, undated, late, sameOpenedB, early, sameOpenedA, overdue)
		wantIDs(t, "waste queue", tasks(t, ix, Filter{Queues: []string{"waste"}}),
			"W/check", "Y/check", "X1/check", "X2/check", "Z/check", "V/check")
	})
}

func TestTasksFilters(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		inboxFixture(t, ix)
		both := []string{"waste", "street"}
		for _, c := range []struct {
			name string
			f    Filter
			want string
		}{
			{"one queue", Filter{Queues: []string{"waste"}}, "A B C D E F"},
			{"two queues merged by due date", Filter{Queues: both}, "A G B H C D E F"},
			{"a queue with nothing", Filter{Queues: []string{"parking"}}, ""},
			{"a queue named twice counts once", Filter{Queues: []string{"street", "street"}}, "G H"},
			{"service", Filter{Queues: both, Service: "fly-tipping"}, "G B H D"},
			{"assignee", Filter{Queues: both, Assignee: "pat"}, "A H F"},
			{"unassigned", Filter{Queues: both, Assignee: Unassigned}, "G B C E"},
			{"overdue", Filter{Queues: both, Status: StatusOverdue}, "A G B"},
			{"due today", Filter{Queues: both, Status: StatusDueToday}, "H C D"},
			{"service and assignee", Filter{Queues: both, Service: "missed-bin", Assignee: "pat"}, "A F"},
			{"service and unassigned", Filter{Queues: both, Service: "fly-tipping", Assignee: Unassigned}, "G B"},
			{"service and overdue", Filter{Queues: both, Service: "fly-tipping", Status: StatusOverdue}, "G B"},
			{"assignee and due today", Filter{Queues: both, Assignee: "pat", Status: StatusDueToday}, "H"},
			{"all four", Filter{Queues: []string{"waste"}, Service: "fly-tipping", Assignee: "sam", Status: StatusDueToday}, "D"},
			{"all four, nothing", Filter{Queues: []string{"waste"}, Service: "fly-tipping", Assignee: "sam", Status: StatusOverdue}, ""},
			{"someone with nothing", Filter{Queues: both, Assignee: "alex"}, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := tasks(t, ix, c.f)
				want := strings.Fields(c.want)
				var got []string
				for _, id := range ids(p) {
					got = append(got, id[:strings.Index(id, "/")])
				}
				if !slices.Equal(got, want) || p.Total != len(want) || p.Pages != min(len(want), 1) {
					t.Errorf("got %v (total %d), want %v", got, p.Total, want)
				}
			})
		}
	})
}

func TestTasksAtTheStartOfTheDueMinuteIsDueTodayNotOverdue(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		put(t, ix, task("N", "check", "waste", "missed-bin", at(0)), task("M", "check", "waste", "missed-bin", at(-0.001)))
		wantIDs(t, "overdue", tasks(t, ix, Filter{Queues: []string{"waste"}, Status: StatusOverdue}), "M/check")
		wantIDs(t, "due today", tasks(t, ix, Filter{Queues: []string{"waste"}, Status: StatusDueToday}), "N/check")
	})
}

func TestTasksPagination(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		put(t, ix, manyTasks(40, "waste")...)
		put(t, ix, manyTasks(20, "street")...)
		for _, queues := range [][]string{{"waste"}, {"waste", "street"}} {
			all := tasks(t, ix, Filter{Queues: queues, PerPage: 100})
			if all.Total != len(all.Entries) || all.Pages != 1 {
				t.Fatalf("%v in one page: %d entries, total %d, %d pages", queues, len(all.Entries), all.Total, all.Pages)
			}
			var pages []string
			for n := 1; n <= 3; n++ {
				p := tasks(t, ix, Filter{Queues: queues, Page: n})
				wantLen := min(25, max(all.Total-(n-1)*25, 0))
				wantPages := (all.Total + 24) / 25
				if len(p.Entries) != wantLen || p.Total != all.Total || p.Page != n || p.Pages != wantPages {
					t.Errorf("%v page %d: %d entries, total %d, page %d of %d; want %d entries, total %d, %d pages",
						queues, n, len(p.Entries), p.Total, p.Page, p.Pages, wantLen, all.Total, wantPages)
				}
				pages = append(pages, ids(p)...)
			}
			if !slices.Equal(pages, ids(all)) {
				t.Errorf("%v: pages of 25 put together differ from one page of 100", queues)
			}
		}
		if p := tasks(t, ix, Filter{Queues: []string{"waste"}, Page: 0}); p.Page != 1 || len(p.Entries) != DefaultPerPage {
			t.Errorf("page 0 gave page %d with %d entries, want page 1 with %d", p.Page, len(p.Entries), DefaultPerPage)
		}
		if p := tasks(t, ix, Filter{Queues: []string{"waste", "street"}, Page: 9}); len(p.Entries) != 0 || p.Total != 60 || p.Pages != 3 {
			t.Errorf("a page past the end: %d entries, total %d, %d pages", len(p.Entries), p.Total, p.Pages)
		}
	})
}

func TestTasksMaxPerPage(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		put(t, ix, manyTasks(130, "waste")...)
		p := tasks(t, ix, Filter{Queues: []string{"waste"}, PerPage: 1000})
		if len(p.Entries) != MaxPerPage || p.Total != 130 || p.Pages != 2 {
			t.Errorf("asked for 1000 a page: %d entries, total %d, %d pages; want %d, 130, 2", len(p.Entries), p.Total, p.Pages, MaxPerPage)
		}
	})
}

func TestTasksRefusesWhatItCannotAnswer(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		for name, f := range map[string]Filter{
			"unknown status":          {Queues: []string{"waste"}, Status: "late", Now: now, EndOfDay: endOfDay},
			"overdue without a clock": {Queues: []string{"waste"}, Status: StatusOverdue},
			"a day ending before now": {Queues: []string{"waste"}, Status: StatusDueToday, Now: now, EndOfDay: now.Add(-time.Hour)},
			"a queue name too long":   {Queues: []string{strings.Repeat("q", 300)}},
		} {
			if _, err := ix.Tasks(ctx, f); err == nil || !strings.HasPrefix(err.Error(), "inbox index: ") {
				t.Errorf("%s: error %v, want one starting \"inbox index: \"", name, err)
			}
		}
	})
}

func TestCounts(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		inboxFixture(t, ix)
		got, err := ix.Counts(context.Background(), []string{"waste", "street", "parking"}, now, endOfDay)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]QueueCount{
			"waste":   {Open: 6, Overdue: 2, DueToday: 2},
			"street":  {Open: 2, Overdue: 1, DueToday: 1},
			"parking": {},
		}
		if len(got) != len(want) {
			t.Errorf("counts %v, want %v", got, want)
		}
		for q, w := range want {
			if got[q] != w {
				t.Errorf("%s: %+v, want %+v", q, got[q], w)
			}
		}
	})
}

func TestIncidentsOldestFirstByService(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		put(t, ix,
			incident("R3", "missed-bin", now.Add(-time.Hour)),
			incident("R1", "fly-tipping", now.Add(-3*time.Hour)),
			incident("R2", "missed-bin", now.Add(-2*time.Hour)),
			task("T1", "check", "waste", "missed-bin", nil),
		)
		p, err := ix.Incidents(ctx, "", 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "every incident", p, "R1/raise-1", "R2/raise-1", "R3/raise-1")
		if p.Entries[0].Error != "dial tcp: connection refused" {
			t.Errorf("the incident's error is %q, want the real one", p.Entries[0].Error)
		}
		p, _ = ix.Incidents(ctx, "missed-bin", 1, 0)
		wantIDs(t, "missed-bin's", p, "R2/raise-1", "R3/raise-1")
		p, _ = ix.Incidents(ctx, "", 2, 2)
		if wantIDs(t, "page 2 of 2", p, "R3/raise-1"); p.Total != 3 || p.Pages != 2 {
			t.Errorf("total %d, %d pages, want 3 in 2", p.Total, p.Pages)
		}
		resolved := incident("R2", "missed-bin", now.Add(-2*time.Hour))
		resolved.Seq, resolved.Closed = 2, true
		put(t, ix, resolved)
		p, _ = ix.Incidents(ctx, "", 1, 0)
		wantIDs(t, "after R2 is resolved", p, "R1/raise-1", "R3/raise-1")
		p, _ = ix.Incidents(ctx, "missed-bin", 1, 0)
		wantIDs(t, "missed-bin's after R2 is resolved", p, "R3/raise-1")
	})
}
