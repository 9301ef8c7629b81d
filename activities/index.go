package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/activities/inbox"
)

// IndexWork writes one change to a case's open work (a task opened,
// claimed, moved or closed; an incident raised or resolved) to the inbox
// index. Cases run it as a local activity. The index ignores a write no
// later than the one it holds, so a retry or a late write does no harm;
// without an index it does nothing.
func (a *Activities) IndexWork(ctx context.Context, e inbox.Entry) error {
	if a.Index == nil {
		return nil
	}
	err := a.Index.Put(ctx, e)
	if errors.Is(err, inbox.ErrBadEntry) {
		// Retrying would only hold the case up.
		return temporal.NewNonRetryableApplicationError(err.Error(), "BadInboxEntry", nil)
	}
	return err
}
