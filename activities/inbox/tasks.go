package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Page sizes.
const (
	// DefaultPerPage is a page's size when none is asked for.
	DefaultPerPage = 25
	// MaxPerPage is the largest page the index gives.
	MaxPerPage = 100
)

// Tasks lists one page of the open tasks of f.Queues that match the
// filter, soonest due first (tasks without a due date last; ties by
// opened time, then id). A page view costs two round trips to Redis
// whatever the size of the queues: one sorted set per queue is counted and
// read from the page's start, the queues are merged here, and the page's
// entries are read.
func (ix *Index) Tasks(ctx context.Context, f Filter) (Page, error) {
	page, perPage := pageOf(f.Page, f.PerPage)
	lo, hi, err := statusRange(f)
	if err != nil {
		return Page{}, err
	}
	queues, err := distinctNames("queue", f.Queues)
	if err != nil {
		return Page{}, err
	}
	if err := errors.Join(checkName("service", f.Service), checkName("assignee", f.Assignee)); err != nil {
		return Page{}, fmt.Errorf("inbox index: %w", err)
	}
	if len(queues) == 0 {
		return Page{Page: page}, nil
	}
	offset := (page - 1) * perPage
	// One queue is read at the page's offset; several are each read from
	// their start to the page's end, then merged.
	from, upTo := 0, offset+perPage
	if len(queues) == 1 {
		from, upTo = offset, perPage
	}
	pipe := ix.Redis.TxPipeline()
	counts := make([]*redis.IntCmd, len(queues))
	heads := make([]*redis.ZSliceCmd, len(queues))
	for i, q := range queues {
		key := ix.queueKey(q, f.Service, f.Assignee)
		if f.Status == "" {
			counts[i] = pipe.ZCard(ctx, key) // O(1), where miniredis sorts the set to count a range
		} else {
			counts[i] = pipe.ZCount(ctx, key, lo, hi)
		}
		heads[i] = pipe.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{Min: lo, Max: hi, Offset: int64(from), Count: int64(upTo)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return Page{}, fmt.Errorf("inbox index: list tasks: %w", err)
	}
	total := 0
	var merged []redis.Z
	for i := range queues {
		total += int(counts[i].Val())
		merged = append(merged, heads[i].Val()...)
	}
	if len(queues) > 1 {
		slices.SortFunc(merged, func(a, b redis.Z) int {
			return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Member.(string), b.Member.(string)))
		})
		merged = merged[min(offset, len(merged)):min(offset+perPage, len(merged))]
	}
	members := make([]string, len(merged))
	for i, z := range merged {
		members[i] = z.Member.(string)
	}
	entries, err := ix.entries(ctx, members)
	if err != nil {
		return Page{}, err
	}
	return Page{Entries: entries, Total: total, Page: page, Pages: pages(total, perPage)}, nil
}

// Counts says, for each of the queues, how many tasks are open, how many
// are overdue (due before now) and how many are due today (due from now
// to endOfDay), in one round trip to Redis.
func (ix *Index) Counts(ctx context.Context, queues []string, now, endOfDay time.Time) (map[string]QueueCount, error) {
	queues, err := distinctNames("queue", queues)
	if err != nil {
		return nil, err
	}
	type counted struct{ open, overdue, today *redis.IntCmd }
	cmds := make([]counted, len(queues))
	pipe := ix.Redis.TxPipeline()
	for i, q := range queues {
		key := ix.queueKey(q, "", "")
		cmds[i] = counted{
			open:    pipe.ZCard(ctx, key),
			overdue: pipe.ZCount(ctx, key, "-inf", scoreOf(now, true)),
			today:   pipe.ZCount(ctx, key, scoreOf(now, false), scoreOf(endOfDay, false)),
		}
	}
	if len(queues) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("inbox index: count tasks: %w", err)
		}
	}
	out := make(map[string]QueueCount, len(queues))
	for i, q := range queues {
		out[q] = QueueCount{Open: int(cmds[i].open.Val()), Overdue: int(cmds[i].overdue.Val()), DueToday: int(cmds[i].today.Val())}
	}
	return out, nil
}

// Incidents lists one page of open incidents, of one service when service
// is not empty, oldest first (ties by id).
func (ix *Index) Incidents(ctx context.Context, service string, page, perPage int) (Page, error) {
	if err := checkName("service", service); err != nil {
		return Page{}, fmt.Errorf("inbox index: %w", err)
	}
	page, perPage = pageOf(page, perPage)
	key := ix.incidentsKey(service)
	offset := int64((page - 1) * perPage)
	pipe := ix.Redis.TxPipeline()
	count := pipe.ZCard(ctx, key)
	head := pipe.ZRange(ctx, key, offset, offset+int64(perPage)-1)
	if _, err := pipe.Exec(ctx); err != nil {
		return Page{}, fmt.Errorf("inbox index: list incidents: %w", err)
	}
	entries, err := ix.entries(ctx, head.Val())
	if err != nil {
		return Page{}, err
	}
	total := int(count.Val())
	return Page{Entries: entries, Total: total, Page: page, Pages: pages(total, perPage)}, nil
}

// pageOf is the page asked for, from 1, and its size, DefaultPerPage when
// not given and at most MaxPerPage.
func pageOf(page, perPage int) (int, int) {
	if perPage <= 0 {
		perPage = DefaultPerPage
	}
	return max(page, 1), min(perPage, MaxPerPage)
}

// pages is how many pages of perPage total entries fill.
func pages(total, perPage int) int {
	return (total + perPage - 1) / perPage
}

// statusRange is the range of due-time scores f.Status keeps.
func statusRange(f Filter) (lo, hi string, err error) {
	switch f.Status {
	case "":
		return "-inf", "+inf", nil
	case StatusOverdue, StatusDueToday:
		if f.Now.IsZero() {
			return "", "", fmt.Errorf("inbox index: status %q needs the filter's Now", f.Status)
		}
		if f.Status == StatusOverdue {
			return "-inf", scoreOf(f.Now, true), nil
		}
		if f.EndOfDay.Before(f.Now) {
			return "", "", fmt.Errorf("inbox index: status %q needs an EndOfDay after Now", f.Status)
		}
		return scoreOf(f.Now, false), scoreOf(f.EndOfDay, false), nil
	}
	return "", "", fmt.Errorf("inbox index: status %q is not %q or %q", f.Status, StatusOverdue, StatusDueToday)
}

// distinctNames is names without repeats or empty ones, in order; a name
// too long for a key is refused.
func distinctNames(what string, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if err := checkName(what, n); err != nil {
			return nil, fmt.Errorf("inbox index: %w", err)
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
