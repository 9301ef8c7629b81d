package cases

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"regexp"

	"github.com/larder-council/larder/workflows/recipe"
)

// referenceAlphabet leaves out characters residents confuse: 0/O, 1/I/L, U/V.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

var referencePattern = regexp.MustCompile(`^[A-Z]{1,4}-[` + referenceAlphabet + `]{4}-[` + referenceAlphabet + `]{4}$`)

// ValidReference reports whether ref looks like a case reference, such as
// MB-7K4Q-2PXD; anything else names no case and is never sent to Temporal.
func ValidReference(ref string) bool { return referencePattern.MatchString(ref) }

// NewReference makes a reference like MB-7K4Q-2PXD. With an idempotency key
// it is derived from the key, so a repeated submission names the same case;
// the secret keeps references unguessable even from guessable keys.
func (c *Client) NewReference(r *recipe.Recipe, idempotencyKey string) string {
	var b [8]byte
	if idempotencyKey == "" {
		_, _ = rand.Read(b[:])
	} else {
		mac := hmac.New(sha256.New, c.Secret)
		fmt.Fprintf(mac, "%s\x00%s", r.ID, idempotencyKey)
		copy(b[:], mac.Sum(nil))
	}
	out := make([]byte, 0, 16)
	out = append(out, r.ReferencePrefix...)
	for i, ch := range b {
		if i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[int(ch)%len(referenceAlphabet)])
	}
	return string(out)
}
