package main

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

// registerSearchAttributes adds the search attributes Larder needs that the
// namespace lacks: a data folder made by an earlier version, or a cluster
// nobody has set up for Larder yet.
func (a *app) registerSearchAttributes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ns := a.cfg.Temporal.Namespace
	missing, err := a.missingSearchAttributes(ctx)
	if err != nil || len(missing) == 0 {
		return err
	}
	if _, err := a.tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ns, SearchAttributes: missing,
	}); err != nil {
		// Another Larder process starting at the same moment may have added them.
		if still, lerr := a.missingSearchAttributes(ctx); lerr != nil || len(still) > 0 {
			return fmt.Errorf("temporal: register search attributes %v on %s (or have an operator do it): %w", slices.Sorted(maps.Keys(missing)), ns, err)
		}
	}
	// The frontend learns of them when it next refreshes the namespace;
	// until then a case started with one is refused.
	start := time.Now()
	for name := range missing {
		for {
			_, err := a.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Namespace: ns, PageSize: 1, Query: fmt.Sprintf("%s IS NULL", name),
			})
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("temporal: search attribute %s registered on %s but not yet usable: %w", name, ns, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	a.log.Info("registered search attributes", "namespace", ns, "added", slices.Sorted(maps.Keys(missing)), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// missingSearchAttributes lists Larder's search attributes the namespace lacks.
func (a *app) missingSearchAttributes(ctx context.Context) (map[string]enumspb.IndexedValueType, error) {
	ns := a.cfg.Temporal.Namespace
	have, err := a.tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return nil, fmt.Errorf("temporal: list search attributes of %s: %w", ns, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, kind := range workflows.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[name]; !ok {
			missing[name] = kind
		}
	}
	return missing, nil
}
