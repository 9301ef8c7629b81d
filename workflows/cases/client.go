// Package cases is the case client: the only code that talks to Temporal
// about cases. It starts a case from a recipe and answers (minting its
// reference, once per idempotency key), shows its progress to residents
// and its detail to staff, completes, assigns and notes tasks, resolves
// incidents, cancels, delivers messages from line-of-business systems,
// finds cases by business key and staff search, lists open work for the
// inbox index, and registers the search attributes those need. Web handlers call
// it; none holds a Temporal client.
package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/larder-council/larder/workflows/recipe"
)

// Client starts and asks about cases; construct it with its fields set.
type Client struct {
	// Temporal is the connection to the cluster cases run on.
	Temporal client.Client
	// Namespace is the Temporal namespace cases run in.
	Namespace string
	// TaskQueue is where case workflows run.
	TaskQueue string
	// Secret derives references from idempotency keys, so they cannot be guessed.
	Secret []byte
	// Recipes name the service of a case from its reference prefix when
	// only Temporal's record of the case can be read.
	Recipes []*recipe.Recipe
	// Log receives what residents are not shown.
	Log *slog.Logger
}

// ErrNoCase means no case has the reference.
var ErrNoCase = errors.New("no case has that reference")

// RefusedError is a case turning down an update (a task already completed,
// an outcome the task does not offer); Reason is for the person who asked.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

// Ready reports whether Temporal answers.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		return slog.Default()
	}
	return c.Log
}

// recipeByPrefix is the recipe whose cases' references start like ref;
// prefixes are unique within a recipes folder.
func (c *Client) recipeByPrefix(ref string) *recipe.Recipe {
	prefix, _, _ := strings.Cut(ref, "-")
	for _, r := range c.Recipes {
		if r.ReferencePrefix == prefix {
			return r
		}
	}
	return nil
}

// notFound turns Temporal's not-found into ErrNoCase and wraps the rest.
func notFound(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrNoCase
	}
	return fmt.Errorf("case: %w", err)
}
