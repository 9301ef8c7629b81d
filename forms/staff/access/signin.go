package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
)

// Lockout: MaxFailures failed sign-ins for one username within
// LockoutWindow lock it for LockoutDuration, even with the right password.
const (
	MaxFailures     = 5
	LockoutWindow   = 15 * time.Minute
	LockoutDuration = 15 * time.Minute
)

// SignIn checks a username (any case, spaces around it ignored) and
// password against staff.yaml. An unknown username is checked against a
// hash of no one's password, so it is refused as slowly as a wrong
// password, and it is counted towards a lockout the same way, so neither
// the time taken nor the lockout tells whether a username exists. Failed
// attempts are counted in Redis; MaxFailures within LockoutWindow give
// ErrLockedOut, and every attempt for LockoutDuration after gets it too.
// A successful sign-in clears the count.
func (d *Directory) SignIn(ctx context.Context, username, password string) (User, error) {
	if d.Redis == nil {
		return User{}, errors.New("sign in: the directory has no Redis to count failed sign-ins in")
	}
	name := normalise(username)
	failures, lock := d.lockoutKeys(name)
	now := d.now()
	until, err := d.Redis.Get(ctx, lock).Int64()
	switch {
	case err == nil && now.UnixMilli() < until:
		return User{}, ErrLockedOut
	case err != nil && !errors.Is(err, redis.Nil):
		return User{}, fmt.Errorf("sign in: read lockout: %w", err)
	}
	a, known := d.accounts[name]
	hash := a.hash
	if !known {
		hash = d.dummyHash()
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && known {
		if err := d.Redis.Del(ctx, failures, lock).Err(); err != nil {
			return User{}, fmt.Errorf("sign in: clear failed attempts: %w", err)
		}
		return a.user, nil
	}
	return User{}, d.fail(ctx, failures, lock, now)
}

// fail counts a failed sign-in at now and returns ErrBadCredentials, or
// ErrLockedOut when it is the one that locks the username.
func (d *Directory) fail(ctx context.Context, failures, lock string, now time.Time) error {
	var member [8]byte
	rand.Read(member[:]) // never fails, says crypto/rand
	var count *redis.IntCmd
	_, err := d.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, failures, redis.Z{Score: float64(now.UnixMilli()), Member: hex.EncodeToString(member[:])})
		p.ZRemRangeByScore(ctx, failures, "-inf", strconv.FormatInt(now.Add(-LockoutWindow).UnixMilli(), 10))
		count = p.ZCard(ctx, failures)
		p.Expire(ctx, failures, LockoutWindow)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign in: count failed attempts: %w", err)
	}
	if count.Val() < MaxFailures {
		return ErrBadCredentials
	}
	_, err = d.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, lock, now.Add(LockoutDuration).UnixMilli(), LockoutDuration)
		p.Del(ctx, failures)
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign in: lock out: %w", err)
	}
	return ErrLockedOut
}

// lockoutKeys are the Redis keys counting a username's failed sign-ins
// and holding its lockout (the time it ends, in Unix milliseconds). The
// username is hashed, since anything may be typed as one.
func (d *Directory) lockoutKeys(name string) (failures, lock string) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:16])
	return d.Prefix + "staff:signin:failures:" + id, d.Prefix + "staff:signin:locked:" + id
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}
