package inbox

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// wipeScript deletes every key the registry (KEYS[1]) names, the registry
// and the list of queues (KEYS[2]); tombstones stay, to expire by
// themselves.
var wipeScript = redis.NewScript(`
local keys = redis.call('SMEMBERS', KEYS[1])
for i = 1, #keys, 500 do
  redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('DEL', KEYS[1], KEYS[2])
return #keys
`)

// replaceBatch is how many entries Replace sends to Redis at a time.
const replaceBatch = 500

// Replace throws the index away and writes entries in its place, as
// `larder reindex` does with the open work Temporal's visibility lists.
// Each entry is written as Put writes it, so a write that reached the
// index meanwhile with a later Seq stands, and a tombstone left within
// the last day keeps a closed entry that visibility still shows open out.
// Between the throwing away and the last write, pages show part of the
// work; for 10,000 entries that is well under a second.
func (ix *Index) Replace(ctx context.Context, entries []Entry) error {
	args := make([][]any, len(entries))
	keys := make([][]string, len(entries))
	for i, e := range entries {
		var err error
		if keys[i], args[i], err = ix.putArgs(e); err != nil {
			return fmt.Errorf("inbox index: replace: %w", err)
		}
	}
	if err := putScript.Load(ctx, ix.Redis).Err(); err != nil {
		return fmt.Errorf("inbox index: replace: %w", err)
	}
	if err := wipeScript.Run(ctx, ix.Redis, []string{ix.registryKey(), ix.queuesKey()}).Err(); err != nil {
		return fmt.Errorf("inbox index: replace: throw the index away: %w", err)
	}
	for start := 0; start < len(entries); start += replaceBatch {
		pipe := ix.Redis.Pipeline()
		for i := start; i < min(start+replaceBatch, len(entries)); i++ {
			putScript.EvalSha(ctx, pipe, keys[i], args[i]...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("inbox index: replace: write entries: %w", err)
		}
	}
	if err := ix.Redis.Set(ctx, ix.builtKey(), time.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("inbox index: replace: %w", err)
	}
	return nil
}

// Empty reports whether the index needs building from visibility: Replace
// has not written it since Redis last lost it (a new Larder, a flushed or
// a lost Redis), whatever Put wrote since. `larder serve` rebuilds the
// index at start when it is.
func (ix *Index) Empty(ctx context.Context) (bool, error) {
	n, err := ix.Redis.Exists(ctx, ix.builtKey()).Result()
	if err != nil {
		return false, fmt.Errorf("inbox index: %w", err)
	}
	return n == 0, nil
}
