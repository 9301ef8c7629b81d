package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/redistest"
)

var pat = User{Username: "pat", Name: "Pat Jones", Role: RoleStaff, Queues: []string{"street-scene"}}

func sessions(t *testing.T, ttl time.Duration) (*Sessions, *redistest.DB) {
	t.Helper()
	db := redistest.New(t)
	return &Sessions{Redis: db.Client, Prefix: db.Prefix, TTL: ttl}, db
}

func TestSessionsCreateGetDelete(t *testing.T) {
	ctx := context.Background()
	s, db := sessions(t, 0)
	a, err := s.Create(ctx, pat)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Create(ctx, pat)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ID) != 43 || len(a.CSRF) != 43 || a.ID == b.ID || a.CSRF == b.CSRF || a.ID == a.CSRF {
		t.Errorf("sessions need 32 random bytes each for ID and CSRF token, all different: %q %q, %q %q", a.ID, a.CSRF, b.ID, b.CSRF)
	}
	got, err := s.Get(ctx, a.ID)
	if err != nil || got.ID != a.ID || got.CSRF != a.CSRF || got.User.Name != "Pat Jones" || !got.User.MayWork("street-scene") {
		t.Errorf("Get = %+v, %v; want the session created", got, err)
	}
	sum := sha256.Sum256([]byte(a.ID))
	key := db.Key("staff:session:" + hex.EncodeToString(sum[:]))
	ttl, err := db.Client.TTL(ctx, key).Result()
	if err != nil || ttl <= 7*time.Hour || ttl > 8*time.Hour {
		t.Errorf("the session's key %s lives %s (%v); want 8 hours by default", key, ttl, err)
	}
	if raw, _ := db.Client.Get(ctx, key).Result(); strings.Contains(raw, a.ID) {
		t.Errorf("Redis holds the session's ID, which is the cookie: %s", raw)
	}
	if err := s.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, a.ID); !errors.Is(err, ErrNoSession) {
		t.Errorf("Get after sign-out: %v; want ErrNoSession", err)
	}
	if _, err := s.Get(ctx, b.ID); err != nil {
		t.Errorf("signing out one session ended another: %v", err)
	}
	for _, id := range []string{"", "no-such-session", a.CSRF} {
		if _, err := s.Get(ctx, id); !errors.Is(err, ErrNoSession) {
			t.Errorf("Get(%q): %v; want ErrNoSession", id, err)
		}
	}
	if err := s.Delete(ctx, a.ID); err != nil {
		t.Errorf("signing out twice: %v", err)
	}
}

// TestSessionsSlideWhileUsed checks a session in use outlives its TTL and
// an idle one ends after it.
func TestSessionsSlideWhileUsed(t *testing.T) {
	ctx := context.Background()
	s, db := sessions(t, time.Second)
	sess, err := s.Create(ctx, pat)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		db.FastForward(600 * time.Millisecond)
		if _, err := s.Get(ctx, sess.ID); err != nil {
			t.Fatalf("a session used every 0.6s with a TTL of 1s: %v", err)
		}
	}
	db.FastForward(1100 * time.Millisecond)
	if _, err := s.Get(ctx, sess.ID); !errors.Is(err, ErrNoSession) {
		t.Errorf("a session idle for longer than its TTL: %v; want ErrNoSession", err)
	}
}

func TestSessionsEndAfterMaxSessionAge(t *testing.T) {
	ctx := context.Background()
	s, _ := sessions(t, 0)
	sess, err := s.Create(ctx, pat)
	if err != nil {
		t.Fatal(err)
	}
	// Sign-in 12 hours and a minute ago, kept alive since.
	data, _ := json.Marshal(stored{CSRF: sess.CSRF, User: pat, Created: time.Now().Add(-MaxSessionAge - time.Minute)})
	if err := s.Redis.Set(ctx, s.key(sess.ID), data, time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, sess.ID); !errors.Is(err, ErrNoSession) {
		t.Errorf("a session signed in over %s ago: %v; want ErrNoSession", MaxSessionAge, err)
	}
	if n, _ := s.Redis.Exists(ctx, s.key(sess.ID)).Result(); n != 0 {
		t.Errorf("the ended session is still in Redis")
	}
}

func TestCheckCSRF(t *testing.T) {
	sess := Session{CSRF: "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo"}
	for _, tc := range []struct {
		session Session
		token   string
		want    bool
	}{
		{sess, sess.CSRF, true},
		{sess, sess.CSRF[:42], false},
		{sess, sess.CSRF + "x", false},
		{sess, strings.ToUpper(sess.CSRF), false},
		{sess, "", false},
		{Session{}, "", false},
	} {
		if got := CheckCSRF(tc.session, tc.token); got != tc.want {
			t.Errorf("CheckCSRF(%q, %q) = %v, want %v", tc.session.CSRF, tc.token, got, tc.want)
		}
	}
}
