package inbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestPutThenGet(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		e := task("MB-7K4Q-2PXD", "check", "waste", "missed-bin", at(4))
		e.ServiceTitle, e.Escalated = "Report a missed bin", true
		put(t, ix, e)
		got, ok, err := ix.Get(ctx, e.ID)
		if err != nil || !ok {
			t.Fatalf("get %s: %v %v", e.ID, ok, err)
		}
		if got.Title != e.Title || got.ServiceTitle != e.ServiceTitle || !got.Escalated || !got.DueAt.Equal(*e.DueAt) || !got.OpenedAt.Equal(e.OpenedAt) || got.Seq != 1 {
			t.Errorf("got %+v, want %+v", got, e)
		}
		if _, ok, err := ix.Get(ctx, "MB-2222-2222/check"); ok || err != nil {
			t.Errorf("get of an id never put: %v %v, want not found", ok, err)
		}
	})
}

func TestClaimMovesATaskBetweenAssignees(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		e := task("C1", "check", "waste", "missed-bin", at(1))
		put(t, ix, e)
		e.Seq, e.Assignee = 2, "pat"
		put(t, ix, e)
		wantIDs(t, "pat's", tasks(t, ix, Filter{Queues: []string{"waste"}, Assignee: "pat"}), "C1/check")
		wantIDs(t, "pat's missed bins", tasks(t, ix, Filter{Queues: []string{"waste"}, Service: "missed-bin", Assignee: "pat"}), "C1/check")
		wantIDs(t, "unassigned", tasks(t, ix, Filter{Queues: []string{"waste"}, Assignee: Unassigned}))
		wantIDs(t, "unassigned missed bins", tasks(t, ix, Filter{Queues: []string{"waste"}, Service: "missed-bin", Assignee: Unassigned}))
		e.Seq, e.Assignee = 3, ""
		put(t, ix, e)
		wantIDs(t, "pat's after unclaiming", tasks(t, ix, Filter{Queues: []string{"waste"}, Assignee: "pat"}))
		wantIDs(t, "unassigned after unclaiming", tasks(t, ix, Filter{Queues: []string{"waste"}, Assignee: Unassigned}), "C1/check")
	})
}

func TestEscalationMovesATaskToItsNewQueue(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		e := task("E1", "check", "waste", "missed-bin", at(-1))
		e.Assignee = "pat"
		put(t, ix, e)
		e.Seq, e.Queue, e.Assignee, e.Escalated = 2, "waste-supervisors", "", true
		put(t, ix, e)
		for _, q := range []string{"waste"} {
			for _, f := range []Filter{{Queues: []string{q}}, {Queues: []string{q}, Assignee: "pat"}, {Queues: []string{q}, Service: "missed-bin"}, {Queues: []string{q}, Service: "missed-bin", Assignee: "pat"}} {
				wantIDs(t, "the old queue", tasks(t, ix, f))
			}
		}
		wantIDs(t, "the new queue", tasks(t, ix, Filter{Queues: []string{"waste-supervisors"}, Assignee: Unassigned, Status: StatusOverdue}), "E1/check")
		counts, _ := ix.Counts(ctx, []string{"waste", "waste-supervisors"}, now, endOfDay)
		if counts["waste"].Open != 0 || counts["waste-supervisors"] != (QueueCount{Open: 1, Overdue: 1}) {
			t.Errorf("counts after escalation: %+v", counts)
		}
	})
}

func TestOutOfOrderWritesDoNotResurrectAClosedTask(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		opened := task("O1", "check", "waste", "missed-bin", at(1))
		claimed := opened
		claimed.Seq, claimed.Assignee = 2, "pat"
		closed := opened
		closed.Seq, closed.Closed = 3, true
		// The close arrives before the claim that preceded it.
		put(t, ix, opened, closed, claimed)
		if _, ok, _ := ix.Get(ctx, opened.ID); ok {
			t.Error("a late claim brought a closed task back")
		}
		for _, f := range []Filter{{Queues: []string{"waste"}}, {Queues: []string{"waste"}, Assignee: "pat"}} {
			wantIDs(t, "the queue", tasks(t, ix, f))
		}
		// Even the opening write, redelivered, stays out.
		put(t, ix, opened)
		wantIDs(t, "the queue after the opening write again", tasks(t, ix, Filter{Queues: []string{"waste"}}))
		ttl := ix.Redis.TTL(ctx, ix.tombstoneKey(opened.ID)).Val()
		if ttl < 23*time.Hour || ttl > 24*time.Hour {
			t.Errorf("the tombstone lives %s, want a day", ttl)
		}
	})
}

func TestAnOlderOrEqualSeqIsIgnored(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		e := task("S1", "check", "waste", "missed-bin", at(1))
		e.Seq, e.Assignee = 5, "pat"
		put(t, ix, e)
		older, same := e, e
		older.Seq, older.Assignee = 4, "sam"
		same.Title = "a retried write that changed nothing should not win"
		put(t, ix, older, same)
		got, _, _ := ix.Get(ctx, e.ID)
		if got.Assignee != "pat" || got.Title != e.Title {
			t.Errorf("after older and equal writes the task is %+v", got)
		}
		wantIDs(t, "sam's", tasks(t, ix, Filter{Queues: []string{"waste"}, Assignee: "sam"}))
		wantIDs(t, "pat's", tasks(t, ix, Filter{Queues: []string{"waste"}, Assignee: "pat"}), "S1/check")
	})
}

func TestNamesThatLookLikeKeysDoNotMix(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		// Unescaped, "a:service:b" would be queue "a" narrowed to service "b".
		tricky := task("K1", "check", "a:service:b", "x", nil)
		plain := task("K2", "check", "a", "b", nil)
		odd := task("K3", "check", "queue with spaces*", "svc{1}", nil)
		odd.Assignee = "-"
		put(t, ix, tricky, plain, odd)
		wantIDs(t, "queue a:service:b", tasks(t, ix, Filter{Queues: []string{"a:service:b"}}), "K1/check")
		wantIDs(t, "queue a, service b", tasks(t, ix, Filter{Queues: []string{"a"}, Service: "b"}), "K2/check")
		wantIDs(t, "unassigned, while a user named - holds it", tasks(t, ix, Filter{Queues: []string{"queue with spaces*"}, Service: "svc{1}", Assignee: Unassigned}))
		wantIDs(t, "the odd queue", tasks(t, ix, Filter{Queues: []string{"queue with spaces*"}, Service: "svc{1}"}), "K3/check")
		odd.Seq = 2
		odd.Assignee = ""
		put(t, ix, odd)
		wantIDs(t, "odd names, unassigned", tasks(t, ix, Filter{Queues: []string{"queue with spaces*"}, Service: "svc{1}", Assignee: Unassigned}), "K3/check")
	})
}

func TestPutRefusesWhatTheIndexCannotHold(t *testing.T) {
	onEachRedis(t, func(t *testing.T, ix *Index) {
		ctx := context.Background()
		long := task("L1", "check", strings.Repeat("q", 201), "missed-bin", nil)
		noQueue := task("L2", "check", "", "missed-bin", nil)
		noKind := task("L3", "check", "waste", "missed-bin", nil)
		noKind.Kind = ""
		for _, e := range []Entry{{Kind: KindTask, Queue: "waste"}, long, noQueue, noKind} {
			if err := ix.Put(ctx, e); err == nil || !strings.HasPrefix(err.Error(), "inbox index: ") {
				t.Errorf("put %+v: error %v, want one starting \"inbox index: \"", e, err)
			}
		}
		if n := ix.Redis.Exists(ctx, ix.registryKey()).Val(); n != 0 {
			t.Error("a refused write left keys behind")
		}
	})
}
