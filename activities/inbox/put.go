package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// putScript writes one entry atomically, unless the index already holds
// the same or a later Seq of it, open or closed.
//
// KEYS: entry, tombstone, registry, queues, then the sorted sets the entry
// joins. ARGV: seq, closed ("1" or "0"), json, member, score, tombstone
// TTL in seconds, queue ("" for none), base (the prefix every key shares;
// an entry's sets are kept as the rest of their keys, which hold no space).
var putScript = redis.NewScript(`
local seq = tonumber(ARGV[1])
local held = redis.call('HGET', KEYS[1], 'seq')
if held and tonumber(held) >= seq then return 0 end
local gone = redis.call('GET', KEYS[2])
if gone and tonumber(gone) >= seq then return 0 end
local was = redis.call('HGET', KEYS[1], 'member')
local wasIn = redis.call('HGET', KEYS[1], 'sets')
if was and wasIn then
  for k in string.gmatch(wasIn, '%S+') do redis.call('ZREM', ARGV[8] .. k, was) end
end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[3], KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[6])
  return 1
end
local sets = {}
for i = 5, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[5], ARGV[4])
  redis.call('SADD', KEYS[3], KEYS[i])
  sets[#sets + 1] = string.sub(KEYS[i], #ARGV[8] + 1)
end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'json', ARGV[3], 'member', ARGV[4], 'sets', table.concat(sets, ' '))
redis.call('SADD', KEYS[3], KEYS[1])
if ARGV[7] ~= '' then redis.call('SADD', KEYS[4], ARGV[7]) end
return 1
`)

// Put writes one change to open work: a task or incident opening, being
// claimed or moving, or (Closed) going. A write whose Seq is not later
// than the one the index holds for the entry, open or closed within the
// last day, is ignored, so writes may arrive late, twice or out of order.
func (ix *Index) Put(ctx context.Context, e Entry) error {
	keys, args, err := ix.putArgs(e)
	if err != nil {
		return err
	}
	if err := putScript.Run(ctx, ix.Redis, keys, args...).Err(); err != nil {
		return fmt.Errorf("inbox index: put %s: %w", e.ID, err)
	}
	return nil
}

// putArgs checks e and returns putScript's keys and arguments for it.
func (ix *Index) putArgs(e Entry) (keys []string, args []any, err error) {
	if err := check(e); err != nil {
		return nil, nil, fmt.Errorf("%w (%w)", err, ErrBadEntry)
	}
	keys = []string{ix.entryKey(e.ID), ix.tombstoneKey(e.ID), ix.registryKey(), ix.queuesKey()}
	closed, doc, queue := "1", "", ""
	if !e.Closed {
		closed, queue = "0", e.Queue
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, fmt.Errorf("inbox index: put %s: %w", e.ID, err)
		}
		doc = string(b)
		keys = append(keys, ix.setKeys(e)...)
	}
	ttl := strconv.Itoa(int(tombstoneTTL.Seconds()))
	return keys, []any{e.Seq, closed, doc, member(e), score(e), ttl, queue, ix.base()}, nil
}

// ErrBadEntry marks an entry the index cannot hold (no id, no queue, a
// name too long): writing it again will not help.
var ErrBadEntry = errors.New("not an entry the inbox index can hold")

// check refuses an entry the index cannot hold.
func check(e Entry) error {
	switch {
	case e.ID == "":
		return errors.New("inbox index: an entry needs an id")
	case len(e.ID) > maxID:
		return fmt.Errorf("inbox index: id %.40q... is %d bytes long; at most %d fit", e.ID, len(e.ID), maxID)
	case e.Kind != KindTask && e.Kind != KindIncident:
		return fmt.Errorf("inbox index: entry %s has kind %q, want %q or %q", e.ID, e.Kind, KindTask, KindIncident)
	case e.Closed:
		return nil
	case e.Kind == KindTask && e.Queue == "":
		return fmt.Errorf("inbox index: task %s has no queue", e.ID)
	}
	if err := errors.Join(checkName("queue", e.Queue), checkName("service", e.Service), checkName("assignee", e.Assignee)); err != nil {
		return fmt.Errorf("inbox index: %s: %w", e.ID, err)
	}
	return nil
}

// Get returns the open entry with the id, and false when the index holds
// none.
func (ix *Index) Get(ctx context.Context, id string) (Entry, bool, error) {
	doc, err := ix.Redis.HGet(ctx, ix.entryKey(id), "json").Result()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("inbox index: get %s: %w", id, err)
	}
	var e Entry
	if err := json.Unmarshal([]byte(doc), &e); err != nil {
		return Entry{}, false, fmt.Errorf("inbox index: entry %s: %w", id, err)
	}
	return e, true, nil
}

// entries reads the entries the sorted-set members stand for, in order,
// leaving out any closed since the members were read.
func (ix *Index) entries(ctx context.Context, members []string) ([]Entry, error) {
	if len(members) == 0 {
		return nil, nil
	}
	pipe := ix.Redis.Pipeline()
	docs := make([]*redis.StringCmd, len(members))
	for i, m := range members {
		docs[i] = pipe.HGet(ctx, ix.memberEntryKey(m), "json")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("inbox index: read entries: %w", err)
	}
	out := make([]Entry, 0, len(members))
	for i, d := range docs {
		doc, err := d.Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil:
			return nil, fmt.Errorf("inbox index: read entries: %w", err)
		}
		var e Entry
		if err := json.Unmarshal([]byte(doc), &e); err != nil {
			return nil, fmt.Errorf("inbox index: entry %s: %w", ix.memberEntryKey(members[i]), err)
		}
		out = append(out, e)
	}
	return out, nil
}
