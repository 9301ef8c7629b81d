package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoSession is Get's answer for a session that is unknown, signed out
// or expired: the user signs in again.
var ErrNoSession = errors.New("no session: sign in again")

// DefaultSessionTTL is how long an idle session lasts when Sessions.TTL
// is zero.
const DefaultSessionTTL = 8 * time.Hour

// MaxSessionAge is how long a session lasts however busy it is: a
// working day and a bit. A session keeps the User it was created for, so
// a change to staff.yaml (a new role, a removed user) reaches a user who
// is signed in when they next sign in, at the latest this long after the
// last time they did.
const MaxSessionAge = 12 * time.Hour

// stored is a session as kept in Redis.
type stored struct {
	CSRF string `json:"csrf"`
	User User   `json:"user"`
	// Created is when the user signed in, for MaxSessionAge.
	Created time.Time `json:"created"`
}

// Create starts a session for a user who has just signed in, with a new
// random ID (the cookie's value) and CSRF token. Redis keeps the session
// under a digest of its ID, so its keys do not give the cookie away. The
// session holds the User as they were when they signed in; sign-out,
// TTL idle or MaxSessionAge end it.
func (s *Sessions) Create(ctx context.Context, u User) (Session, error) {
	id, csrf := randomToken(), randomToken()
	data, err := json.Marshal(stored{CSRF: csrf, User: u, Created: time.Now()})
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	if err := s.Redis.Set(ctx, s.key(id), data, s.ttl()).Err(); err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return Session{ID: id, CSRF: csrf, User: u}, nil
}

// Get returns the session with the ID and keeps it alive for another
// TTL, or ErrNoSession when there is none (unknown, signed out, idle
// for TTL, or older than MaxSessionAge).
func (s *Sessions) Get(ctx context.Context, id string) (Session, error) {
	if id == "" {
		return Session{}, ErrNoSession
	}
	key := s.key(id)
	data, err := s.Redis.GetEx(ctx, key, s.ttl()).Bytes()
	if errors.Is(err, redis.Nil) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	var st stored
	if err := json.Unmarshal(data, &st); err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	if time.Since(st.Created) > MaxSessionAge {
		if err := s.Redis.Del(ctx, key).Err(); err != nil {
			return Session{}, fmt.Errorf("end session: %w", err)
		}
		return Session{}, ErrNoSession
	}
	return Session{ID: id, CSRF: st.CSRF, User: st.User}, nil
}

// Delete ends a session (sign-out); ending one that is gone is no error.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	if err := s.Redis.Del(ctx, s.key(id)).Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// CheckCSRF reports whether token, from a form, is the session's CSRF
// token, in time that does not depend on how much of it matches.
func CheckCSRF(s Session, token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

func (s *Sessions) key(id string) string {
	sum := sha256.Sum256([]byte(id))
	return s.Prefix + "staff:session:" + hex.EncodeToString(sum[:])
}

func (s *Sessions) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultSessionTTL
}

// randomToken is 32 random bytes, base64url-encoded: 43 characters safe
// in a cookie, a form field and a URL.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails, says crypto/rand
	return base64.RawURLEncoding.EncodeToString(b[:])
}
