package cases

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/larder-council/larder/workflows"
)

// RegisterSearchAttributes adds the search attributes Larder needs that the
// namespace lacks (a data folder made by an earlier version, or a cluster
// nobody has set up for Larder yet) and waits until cases may use them. It
// returns the names it added.
func (c *Client) RegisterSearchAttributes(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	missing, err := c.missingSearchAttributes(ctx)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	added := slices.Sorted(maps.Keys(missing))
	if _, err := c.Temporal.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: c.Namespace, SearchAttributes: missing,
	}); err != nil {
		// Another Larder process starting at the same moment may have added them.
		if still, lerr := c.missingSearchAttributes(ctx); lerr != nil || len(still) > 0 {
			return nil, fmt.Errorf("temporal: register search attributes %v on %s (or have an operator do it): %w", added, c.Namespace, err)
		}
	}
	// The frontend learns of them when it next refreshes the namespace;
	// until then a case started with one is refused.
	for _, name := range added {
		for {
			_, err := c.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: c.Namespace, PageSize: 1, Query: fmt.Sprintf("%s IS NULL", name),
			})
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("temporal: search attribute %s registered on %s but not yet usable: %w", name, c.Namespace, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return added, nil
}

// missingSearchAttributes lists Larder's search attributes the namespace lacks.
func (c *Client) missingSearchAttributes(ctx context.Context) (map[string]enumspb.IndexedValueType, error) {
	have, err := c.Temporal.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: c.Namespace})
	if err != nil {
		return nil, fmt.Errorf("temporal: list search attributes of %s: %w", c.Namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, kind := range workflows.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = kind
		}
	}
	return missing, nil
}
