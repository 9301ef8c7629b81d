package cases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/larder-council/larder/workflows"
)

// VisibilityLag is how long Deliver keeps looking for a case by business
// key: Temporal's visibility lists a case a moment after it starts waiting.
const VisibilityLag = 2 * time.Second

// Deliver sends a message from a line-of-business system to every running
// case of the service waiting on its correlation key (a case reference or
// a business key), and returns the references it reached; none is
// ErrNoCase. A case that is not waiting for the message yet keeps it until
// it is.
func (c *Client) Deliver(ctx context.Context, service string, msg workflows.Message) ([]string, error) {
	refs, err := c.FindByKey(ctx, service, msg.Correlation)
	// Look again for a little while rather than turn the message away.
	for deadline := time.Now().Add(VisibilityLag); err == nil && len(refs) == 0 && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(VisibilityLag / 8):
		}
		refs, err = c.FindByKey(ctx, service, msg.Correlation)
	}
	if err != nil {
		return nil, err
	}
	var delivered []string
	for _, ref := range refs {
		if err := c.Temporal.SignalWorkflow(ctx, ref, "", workflows.MessageSignal, msg); err == nil {
			delivered = append(delivered, ref)
		}
	}
	if len(delivered) == 0 {
		return nil, ErrNoCase
	}
	return delivered, nil
}

// FindByKey finds running cases by reference, or by the correlation search
// attribute for a business key among the service's cases. Cases started
// before cases carried their service, and subrecipes' child cases, have
// none: they are included when their reference is the service's (or no
// loaded recipe's), and keep a message no wait of theirs takes.
func (c *Client) FindByKey(ctx context.Context, service, key string) ([]string, error) {
	// A reference reaches its own service's case only; a key shaped like
	// another service's reference is looked up as a business key.
	if r := c.recipeByPrefix(key); r != nil && r.ID == service && ValidReference(key) {
		return []string{key}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: c.Namespace,
		Query: fmt.Sprintf("%s = %s AND ExecutionStatus = 'Running' AND (%s = %s OR %[3]s IS NULL)",
			workflows.CorrelationKeys.GetName(), quote(key), workflows.ServiceKey.GetName(), quote(service)),
	})
	if err != nil {
		return nil, fmt.Errorf("find cases: %w", err)
	}
	var refs []string
	for _, e := range resp.Executions {
		ref := e.Execution.WorkflowId
		// A case without the service attribute is another service's when
		// its reference (or its parent case's) says so.
		if r := c.recipeByPrefix(ref); r != nil && r.ID != service {
			continue
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// quote makes a string literal of a visibility query.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
