package api

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/workflows/cases"
)

// IdempotencyKeyReused is the title of the 422 a submission gets when its
// Idempotency-Key already started a case with other answers.
const IdempotencyKeyReused = "This Idempotency-Key was sent before with other answers: send a new key with each new submission"

// idempotencyKey is the submission's Idempotency-Key scoped to its caller
// (cases.ScopedKey), or "" without one. The public API has no client
// accounts, so the caller is the Authorization header when one is sent
// (by its SHA-256: a partner sending a secret bearer token has keys no one
// else can reach), else the client's address. Keys sent without a token are
// shared by everyone behind one address, and a client whose address
// changes between a submission and its repeat gets a second case.
func idempotencyKey(c *gin.Context) string {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		return ""
	}
	if auth := c.GetHeader("Authorization"); auth != "" {
		sum := sha256.Sum256([]byte(auth))
		return cases.ScopedKey("api token "+hex.EncodeToString(sum[:]), key)
	}
	return cases.ScopedKey("api address "+c.ClientIP(), key)
}
