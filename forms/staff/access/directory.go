package access

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"
)

// Directory is the council's staff as staff.yaml lists them, with their
// password hashes, and the API clients allowed to call the staff API. It
// is the password Identity: construct it with LoadFile, Parse or Demo
// (the zero Directory has no one), then set Redis and Prefix, where
// failed sign-ins are counted.
type Directory struct {
	// Redis counts failed sign-ins, so a username is locked out across
	// every web server.
	Redis redis.UniversalClient
	// Prefix starts every key the Directory writes.
	Prefix string
	// Now is the clock lockouts are told by; default time.Now.
	Now func() time.Time

	accounts map[string]account
	clients  []fileClient
	// dummy is the hash an unknown username's password is checked
	// against, at the users' highest cost, so that a wrong username takes
	// as long to refuse as a wrong password.
	dummy     []byte
	dummyOnce sync.Once
}

// account is one user and their password hash.
type account struct {
	user User
	hash []byte
}

// fileClient is an API client from staff.yaml with its token's digest.
type fileClient struct {
	client   Client
	tokenEnv string
	digest   [sha256.Size]byte
}

var _ Identity = (*Directory)(nil)

// User returns the user with the username, as they sign in.
func (d *Directory) User(username string) (User, bool) {
	a, ok := d.accounts[normalise(username)]
	return a.user, ok
}

// Users lists every user, by username.
func (d *Directory) Users() []User {
	out := make([]User, 0, len(d.accounts))
	for _, a := range d.accounts {
		out = append(out, a.user)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Username, b.Username) })
	return out
}

// Colleagues lists the users whose queues name queue, by name: the people
// a supervisor may assign the queue's tasks to. Admins, who may work
// every queue, are listed only for the queues their entry names.
func (d *Directory) Colleagues(queue string) []User {
	var out []User
	for _, a := range d.accounts {
		if slices.Contains(a.user.Queues, queue) {
			out = append(out, a.user)
		}
	}
	slices.SortFunc(out, func(a, b User) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Username, b.Username))
	})
	return out
}

// Merge adds other's users and API clients to d, refusing a username or
// client name both have.
func (d *Directory) Merge(other *Directory) error {
	for name := range other.accounts {
		if _, dup := d.accounts[name]; dup {
			return fmt.Errorf("user %s is listed twice: remove one", name)
		}
	}
	for _, c := range other.clients {
		if slices.ContainsFunc(d.clients, func(o fileClient) bool { return o.client.Name == c.client.Name }) {
			return fmt.Errorf("API client %s is listed twice: remove one", c.client.Name)
		}
	}
	if d.accounts == nil {
		d.accounts = map[string]account{}
	}
	for name, a := range other.accounts {
		d.accounts[name] = a
	}
	d.clients = append(d.clients, other.clients...)
	return nil
}

// normalise is a username as looked up: sign-in ignores case and spaces
// around it.
func normalise(username string) string {
	return strings.ToLower(strings.TrimSpace(username))
}

// dummyHash is a hash of no one's password at the highest cost any user's
// hash has (bcrypt.DefaultCost when there are none), made once.
func (d *Directory) dummyHash() []byte {
	d.dummyOnce.Do(func() {
		cost := 0
		for _, a := range d.accounts {
			if c, err := bcrypt.Cost(a.hash); err == nil && c > cost {
				cost = c
			}
		}
		if cost == 0 {
			cost = bcrypt.DefaultCost
		}
		var err error
		if d.dummy, err = bcrypt.GenerateFromPassword([]byte("no one's password"), cost); err != nil {
			panic(fmt.Sprintf("access: bcrypt refused a constant password: %v", err)) // cannot happen: the cost was parsed from a hash
		}
	})
	return d.dummy
}
