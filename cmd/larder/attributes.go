package main

import (
	"context"
	"time"
)

// registerSearchAttributes adds the search attributes Larder needs that the
// namespace lacks, through the case client.
func (a *app) registerSearchAttributes(ctx context.Context) error {
	start := time.Now()
	added, err := a.cases.RegisterSearchAttributes(ctx)
	if err != nil || len(added) == 0 {
		return err
	}
	a.log.Info("registered search attributes", "namespace", a.cfg.Temporal.Namespace, "added", added, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
