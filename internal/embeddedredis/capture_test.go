package embeddedredis

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestSnapshotWhileSortedSetsChange: the inbox index writes sorted sets
// all day; a snapshot taken while a ZADD runs must neither crash the
// process (a Go map read while it is written is a fatal error) nor lose
// the set.
func TestSnapshotWhileSortedSetsChange(t *testing.T) {
	s, err := New(Config{SnapshotFile: filepath.Join(t.TempDir(), "redis.json")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c.ZAdd(ctx, "inbox:queue:waste", redis.Z{Score: float64(i), Member: fmt.Sprintf("task-%d", i)})
			c.LPush(ctx, "list", i)
		}
	})
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		capture(s.mini, time.Now())
	}
	close(stop)
	wg.Wait()
	snap, _ := capture(s.mini, time.Now())
	n, _ := c.ZCard(ctx, "inbox:queue:waste").Result()
	for _, e := range snap.Keys {
		if e.Key == "inbox:queue:waste" && int64(len(e.ZSet)) != n {
			t.Errorf("snapshot holds %d members of %d", len(e.ZSet), n)
		}
	}
}
