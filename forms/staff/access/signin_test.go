package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/internal/redistest"
)

// clock is a test's time, moved on by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// directory is the street scene team's, on the test's Redis and clock.
func directory(t *testing.T, db *redistest.DB, c *clock) *access.Directory {
	t.Helper()
	t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
	d, err := access.Parse("staff.yaml", []byte(team(t)))
	if err != nil {
		t.Fatal(err)
	}
	d.Redis, d.Prefix, d.Now = db.Client, db.Prefix, c.Now
	return d
}

func signIn(t *testing.T, d *access.Directory, username, password string) (access.User, error) {
	t.Helper()
	return d.SignIn(context.Background(), username, password)
}

func TestSignInChecksThePassword(t *testing.T) {
	d := directory(t, redistest.New(t), newClock())
	u, err := signIn(t, d, " Pat ", "pat's password here")
	if err != nil || u.Username != "pat" || u.Name != "Pat Jones" || u.Role != access.RoleStaff {
		t.Errorf("pat with the right password (username in any case, spaces around it): %+v, %v", u, err)
	}
	for _, tc := range []struct{ name, username, password string }{
		{"a wrong password", "pat", "sam's password here"},
		{"another user's password", "sam", "pat's password here"},
		{"an unknown username", "chris", "pat's password here"},
		{"no password", "pat", ""},
		{"no username", "", "pat's password here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := signIn(t, d, tc.username, tc.password)
			if !errors.Is(err, access.ErrBadCredentials) || u.Username != "" {
				t.Errorf("SignIn(%q, %q) = %+v, %v; want ErrBadCredentials and no user", tc.username, tc.password, u, err)
			}
		})
	}
}

// TestSignInLocksOutAfterFiveFailures walks one username through a
// lockout on the test's clock.
func TestSignInLocksOutAfterFiveFailures(t *testing.T) {
	c := newClock()
	db := redistest.New(t)
	d := directory(t, db, c)
	for i := 1; i <= 4; i++ {
		c.Add(time.Minute)
		if _, err := signIn(t, d, "pat", "guess"); !errors.Is(err, access.ErrBadCredentials) {
			t.Fatalf("failure %d: %v; want ErrBadCredentials", i, err)
		}
	}
	c.Add(time.Minute)
	if _, err := signIn(t, d, "pat", "guess"); !errors.Is(err, access.ErrLockedOut) {
		t.Fatalf("the fifth failure within 15 minutes: %v; want ErrLockedOut", err)
	}
	c.Add(14 * time.Minute)
	if _, err := signIn(t, d, "pat", "pat's password here"); !errors.Is(err, access.ErrLockedOut) {
		t.Errorf("the right password 14 minutes into the lockout: %v; want ErrLockedOut", err)
	}
	// The lockout is in Redis: another web server's directory sees it.
	if _, err := signIn(t, directory(t, db, c), "PAT", "pat's password here"); !errors.Is(err, access.ErrLockedOut) {
		t.Errorf("another directory on the same Redis: %v; want ErrLockedOut", err)
	}
	if _, err := signIn(t, d, "sam", "sam's password here"); err != nil {
		t.Errorf("sam, while pat is locked out: %v", err)
	}
	c.Add(time.Minute)
	if u, err := signIn(t, d, "pat", "pat's password here"); err != nil || u.Username != "pat" {
		t.Errorf("the right password 15 minutes after the lockout: %+v, %v", u, err)
	}
}

func TestSignInCountsOnlyRecentFailuresAndSuccessClearsThem(t *testing.T) {
	c := newClock()
	d := directory(t, redistest.New(t), c)
	fail := func(n int, want error) {
		t.Helper()
		for range n {
			c.Add(time.Minute)
			if _, err := signIn(t, d, "pat", "guess"); !errors.Is(err, want) {
				t.Fatalf("%v; want %v", err, want)
			}
		}
	}
	fail(4, access.ErrBadCredentials)
	c.Add(15 * time.Minute) // the first four fall out of the window
	fail(4, access.ErrBadCredentials)
	if _, err := signIn(t, d, "pat", "pat's password here"); err != nil {
		t.Fatalf("the right password after eight failures, four of them recent: %v", err)
	}
	fail(4, access.ErrBadCredentials) // the count started again at the success
	fail(1, access.ErrLockedOut)
}

// TestSignInTreatsUnknownUsernamesAsKnownOnes checks an unknown username
// is refused as slowly as a known one with a wrong password, and locked
// out the same way, so neither tells an attacker which usernames exist.
func TestSignInTreatsUnknownUsernamesAsKnownOnes(t *testing.T) {
	c := newClock()
	d := directory(t, redistest.New(t), c)
	// The hashes of the team are at bcrypt.MinCost; the dummy hash for
	// unknown usernames is made at the users' highest cost. Compare the
	// fastest of several tries of each: without the dummy hash, an
	// unknown username is refused a thousand times faster.
	fastest := func(username string) time.Duration {
		best := time.Hour
		for range 5 {
			start := time.Now()
			if _, err := signIn(t, d, username, "wrong"); !errors.Is(err, access.ErrBadCredentials) {
				t.Fatalf("%s: %v", username, err)
			}
			best = min(best, time.Since(start))
			c.Add(time.Hour) // never locked out
		}
		return best
	}
	known, unknown := fastest("pat"), fastest("nobody")
	if unknown < known/4 {
		t.Errorf("an unknown username was refused in %s, a known one in %s: the time tells them apart", unknown, known)
	}
	for range 4 {
		if _, err := signIn(t, d, "nobody", "guess"); !errors.Is(err, access.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if _, err := signIn(t, d, "nobody", "guess"); !errors.Is(err, access.ErrLockedOut) {
		t.Errorf("the fifth failure for an unknown username: %v; want ErrLockedOut like a known one", err)
	}
}

func TestSignInNeedsRedis(t *testing.T) {
	d := directory(t, redistest.New(t), newClock())
	d.Redis = nil
	if _, err := signIn(t, d, "pat", "pat's password here"); err == nil || errors.Is(err, access.ErrBadCredentials) {
		t.Errorf("a directory with no Redis signed in or blamed the password: %v", err)
	}
}
