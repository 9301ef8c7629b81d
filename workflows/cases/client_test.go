package cases

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/larder-council/larder/workflows/recipe"
)

func TestReferences(t *testing.T) {
	s := &Client{Secret: []byte("test secret")}
	r := &recipe.Recipe{ID: "missed-bin", ReferencePrefix: "MB"}
	seen := map[string]bool{}
	for range 200 {
		ref := s.NewReference(r, "")
		if !ValidReference(ref) || !strings.HasPrefix(ref, "MB-") {
			t.Fatalf("reference %q does not look like MB-7K4Q-2PXD", ref)
		}
		if strings.ContainsAny(ref[3:], "01ILOUV") {
			t.Fatalf("reference %q has a character residents confuse", ref)
		}
		seen[ref] = true
	}
	if len(seen) < 200 {
		t.Errorf("random references repeat: %d distinct of 200", len(seen))
	}
	a, b := s.NewReference(r, "key-1"), s.NewReference(r, "key-1")
	if a != b {
		t.Errorf("same idempotency key gave %s and %s", a, b)
	}
	other := &Client{Secret: []byte("another council")}
	if other.NewReference(r, "key-1") == a {
		t.Error("reference from a key must depend on the secret, or it can be guessed")
	}
	if s.NewReference(r, "key-2") == a {
		t.Error("different keys gave the same reference")
	}
}

func TestWorkerGoneIsToldFromOtherQueryErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		gone bool
	}{
		{fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{serviceerror.NewDeadlineExceeded("query timed out before a worker could process it"), true},
		{serviceerror.NewFailedPrecondition("no poller seen for task queue recently, worker may be down"), true},
		{serviceerror.NewNotFound("workflow not found"), false},
		{serviceerror.NewQueryFailed("unknown query"), false},
	} {
		if got := workerGone(tc.err); got != tc.gone {
			t.Errorf("workerGone(%v) = %v, want %v", tc.err, got, tc.gone)
		}
	}
}
