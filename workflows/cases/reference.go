package cases

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"regexp"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/larder-council/larder/workflows/recipe"
)

// referenceAlphabet leaves out characters residents confuse: 0/O, 1/I/L, U/V.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

var referencePattern = regexp.MustCompile(`^[A-Z]{1,4}-[` + referenceAlphabet + `]{4}-[` + referenceAlphabet + `]{4}$`)

// ValidReference reports whether ref looks like a case reference, such as
// MB-7K4Q-2PXD; anything else names no case and is never sent to Temporal.
func ValidReference(ref string) bool { return referencePattern.MatchString(ref) }

// keyDay is how long a reference derived from an idempotency key is
// minted for. The derivation folds in the day (counted in keyDays since
// 1970, UTC), so a key seen again on a later day can never mint the
// reference of a case Temporal has since deleted: Start looks for the
// key's case of the day before, then starts (or finds) the case of the
// day. A repeat within a day of the first submission finds its case.
const keyDay = 24 * time.Hour

// MinRetention is the shortest time the Temporal namespace may keep a
// closed case. A key's reference for one day is minted only during that
// day, so as long as a case outlives the day it started on, the reference
// is never free to be minted again once Temporal deletes the case.
const MinRetention = keyDay

// dayOf is the number of the key day t falls on.
func dayOf(t time.Time) int64 { return t.Unix() / int64(keyDay/time.Second) }

// NewReference makes a reference like MB-7K4Q-2PXD: random without an
// idempotency key, and with one derived from the key and today's key day
// (see keyDay), so a repeated submission names the same case. The secret
// keeps references unguessable even from guessable keys.
func (c *Client) NewReference(r *recipe.Recipe, idempotencyKey string) string {
	if idempotencyKey == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return formatReference(r.ReferencePrefix, b)
	}
	return c.keyReference(r, idempotencyKey, dayOf(time.Now()))
}

// keyReference is the reference of the case of recipe r started with the
// idempotency key on key day day.
func (c *Client) keyReference(r *recipe.Recipe, idempotencyKey string, day int64) string {
	mac := hmac.New(sha256.New, c.Secret)
	// The key comes last: neither the recipe id nor the day holds a NUL,
	// so no two inputs write the same bytes.
	fmt.Fprintf(mac, "%s\x00%d\x00%s", r.ID, day, idempotencyKey)
	var b [8]byte
	copy(b[:], mac.Sum(nil))
	return formatReference(r.ReferencePrefix, b)
}

// formatReference writes prefix and 8 characters of b, as MB-7K4Q-2PXD.
func formatReference(prefix string, b [8]byte) string {
	out := make([]byte, 0, 16)
	out = append(out, prefix...)
	for i, ch := range b {
		if i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[int(ch)%len(referenceAlphabet)])
	}
	return string(out)
}

// CheckRetention refuses a namespace that keeps closed cases for less
// than MinRetention, where a reference could be given to a second case.
func (c *Client) CheckRetention(ctx context.Context) error {
	ns, err := c.Temporal.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: c.Namespace})
	if err != nil {
		return fmt.Errorf("temporal namespace %q: %w", c.Namespace, err)
	}
	if kept := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); kept < MinRetention {
		return fmt.Errorf("temporal namespace %q keeps closed cases for %s; Larder needs at least %s so that no reference is given twice: raise the namespace's retention (temporal operator namespace update --retention 90d %s)",
			c.Namespace, kept, MinRetention, c.Namespace)
	}
	return nil
}
