package cases

import (
	"context"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// StartAt is Start as if the time were now, for tests that cross days.
func (c *Client) StartAt(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string, now time.Time) (string, error) {
	return c.start(ctx, r, answers, idempotencyKey, now)
}
