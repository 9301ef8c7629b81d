// Package access says who back-office staff are and what they may do:
// users, their queues and roles from config, password sign-in with
// lockout, sessions in Redis with a CSRF token each, and API clients with
// bearer tokens naming their queues. Sign-in goes through Identity, the
// seam single sign-on (OIDC) will fill later.
//
// The Directory is read from staff.yaml (LoadFile): it is today's
// Identity, checking bcrypt password hashes and locking a username out
// after repeated failures, and it names colleagues and API clients.
// Sessions do not depend on it: a session holds the User it was created
// for, whoever vouched for them.
//
// Single sign-on plugs in beside the Directory. The password sign-in is
// Identity.SignIn, then Sessions.Create with the User it returns. An OIDC
// sign-in ends the same way: the sign-in page redirects to the council's
// identity provider, and its callback exchanges the code, verifies the ID
// token, maps the claims (a username, and groups naming the role and
// queues) to a User, and calls Sessions.Create with it. Sessions, CSRF
// tokens, roles and sign-out stay as they are, and nothing here changes;
// the Directory would still name colleagues for reassigning (the People
// interface of forms/staff), unless the provider's directory takes its
// place there.
package access

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Role is what a user may do beyond working their queues' tasks.
type Role string

// Roles, from least to most.
const (
	// RoleStaff works the tasks of their queues.
	RoleStaff Role = "staff"
	// RoleSupervisor also reassigns tasks in their queues and sees who
	// holds what.
	RoleSupervisor Role = "supervisor"
	// RoleAdmin may do everything, incidents included, in every queue.
	RoleAdmin Role = "admin"
)

// User is a signed-in member of staff.
type User struct {
	// Username signs in and is recorded against what they do.
	Username string `json:"username"`
	// Name is shown to colleagues ("Pat Jones").
	Name string `json:"name"`
	// Role is staff, supervisor or admin.
	Role Role `json:"role"`
	// Queues are the teams whose tasks they work.
	Queues []string `json:"queues"`
}

// MayWork reports whether the user may see and work a queue's tasks.
func (u User) MayWork(queue string) bool {
	return u.Role == RoleAdmin || slices.Contains(u.Queues, queue)
}

// MayReassign reports whether the user may assign tasks to colleagues and
// see who holds what.
func (u User) MayReassign() bool { return u.Role == RoleSupervisor || u.Role == RoleAdmin }

// MayResolveIncidents reports whether the user may list and resolve
// incidents (retry, skip with a value, cancel).
func (u User) MayResolveIncidents() bool { return u.Role == RoleAdmin }

// MayCancelCases reports whether the user may cancel a whole case.
func (u User) MayCancelCases() bool { return u.Role == RoleSupervisor || u.Role == RoleAdmin }

// SeesSensitive reports whether the user sees answers to questions marked
// sensitive.
func (u User) SeesSensitive() bool { return u.Role == RoleSupervisor || u.Role == RoleAdmin }

// Identity signs staff in. Today's is the password directory from config;
// single sign-on (OIDC) is another Identity.
type Identity interface {
	// SignIn checks a username and password and returns the user, or
	// ErrBadCredentials, or ErrLockedOut.
	SignIn(ctx context.Context, username, password string) (User, error)
}

// Sign-in refusals; the page says which without telling an attacker
// whether the username exists.
var (
	ErrBadCredentials = errors.New("enter a correct username and password")
	ErrLockedOut      = errors.New("too many failed attempts; try again in 15 minutes")
)

// Sessions keeps signed-in staff in Redis, each session with its CSRF
// token; construct it with its fields set.
type Sessions struct {
	// Redis holds the sessions.
	Redis redis.UniversalClient
	// Prefix starts every key.
	Prefix string
	// TTL is how long an idle session lasts; default 8 hours.
	TTL time.Duration
}

// Session is one signed-in user.
type Session struct {
	// ID is the cookie's value.
	ID string `json:"-"`
	// CSRF is the token every form of the session carries.
	CSRF string `json:"csrf"`
	// User is who signed in.
	User User `json:"user"`
}
