package cases_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
)

// TestRegisterSearchAttributesOnANewNamespace points Larder at a namespace
// nobody has set up for it, as on a cluster: it adds the attributes hooks
// and the service filter need, and a second start adds nothing.
func TestRegisterSearchAttributesOnANewNamespace(t *testing.T) {
	tc := casetest.Client(t)
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "larder-fresh-" + hex.EncodeToString(b[:])
	if _, err := tc.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	// The frontend learns of a new namespace when it next refreshes its list.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace %s not usable after 30s: %v", ns, err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	c := &cases.Client{Temporal: tc, Namespace: ns, Log: casetest.Log()}
	added, err := c.RegisterSearchAttributes(ctx)
	if want := slices.Sorted(maps.Keys(workflows.SearchAttributes)); err != nil || !slices.Equal(added, want) {
		t.Fatalf("RegisterSearchAttributes on a new namespace: %v, %v; want %v", added, err, want)
	}
	have, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	for name, kind := range workflows.SearchAttributes {
		if got, ok := have.GetCustomAttributes()[name]; !ok || got != kind {
			t.Errorf("%s on %s: %v (registered %v); want %v", name, ns, got, ok, kind)
		}
	}
	// Usable at once: a hook's query by business key works.
	for _, name := range added {
		if _, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: name + " IS NULL"}); err != nil {
			t.Errorf("query on %s right after registering it: %v", name, err)
		}
	}
	if again, err := c.RegisterSearchAttributes(ctx); err != nil || len(again) != 0 {
		t.Errorf("registering again: %v, %v; want nothing added", again, err)
	}
}

// TestRegisterSearchAttributesOnANamespaceThatHasThem is every start of
// Larder after the first: nothing to add.
func TestRegisterSearchAttributesOnANamespaceThatHasThem(t *testing.T) {
	c := &cases.Client{Temporal: casetest.Client(t), Namespace: "default"}
	if added, err := c.RegisterSearchAttributes(context.Background()); err != nil || len(added) != 0 {
		t.Errorf("RegisterSearchAttributes on the test server's namespace: %v, %v; want nothing added", added, err)
	}
}

// TestRegisterSearchAttributesOnAMissingNamespace says which namespace it
// could not read, for an operator who mistyped it.
func TestRegisterSearchAttributesOnAMissingNamespace(t *testing.T) {
	c := &cases.Client{Temporal: casetest.Client(t), Namespace: "no-such-namespace"}
	added, err := c.RegisterSearchAttributes(context.Background())
	if err == nil || len(added) != 0 {
		t.Fatalf("RegisterSearchAttributes on a missing namespace: %v, %v; want an error", added, err)
	}
	if !strings.Contains(err.Error(), "no-such-namespace") {
		t.Errorf("error %q does not name the namespace", err)
	}
}
