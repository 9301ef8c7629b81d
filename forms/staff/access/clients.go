package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"
)

// Client is a council system calling the staff API with a bearer token.
type Client struct {
	// Name identifies the client, and is recorded against what it does.
	Name string
	// Queues are the queues whose tasks the client may list and work.
	Queues []string
	// All is true for the client of staff_token, which may work every
	// queue, as that token always could.
	All bool
}

// MayWork reports whether the client may list and work a queue's tasks.
func (c Client) MayWork(queue string) bool {
	return c.All || slices.Contains(c.Queues, queue)
}

// StaffTokenClient is the name of the client whose token is staff_token
// (LARDER_STAFF_TOKEN).
const StaffTokenClient = "staff_token"

// Clients knows the staff API's clients by their tokens.
type Clients struct {
	entries []fileClient
}

// Clients returns the directory's API clients, and with them, when
// staffToken is not empty, the client of staff_token with every queue.
// It refuses a staff_token that is also a client's token.
func (d *Directory) Clients(staffToken string) (*Clients, error) {
	entries := slices.Clone(d.clients)
	if staffToken != "" {
		digest := sha256.Sum256([]byte(staffToken))
		for _, e := range entries {
			if e.digest == digest {
				return nil, fmt.Errorf("staff_token (LARDER_STAFF_TOKEN) is the token of API client %s too (%s): give each its own", e.client.Name, e.tokenEnv)
			}
		}
		entries = append(entries, fileClient{client: Client{Name: StaffTokenClient, All: true}, tokenEnv: "LARDER_STAFF_TOKEN", digest: digest})
	}
	return &Clients{entries: entries}, nil
}

// Authenticate returns the client whose token is token. Every client's
// token is compared, each in constant time over digests of equal length,
// so the time taken tells nothing of how much of which token matched.
func (cs *Clients) Authenticate(token string) (Client, bool) {
	if cs == nil || token == "" {
		return Client{}, false
	}
	digest := sha256.Sum256([]byte(token))
	found := -1
	for i, e := range cs.entries {
		if subtle.ConstantTimeCompare(e.digest[:], digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Client{}, false
	}
	c := cs.entries[found].client
	c.Queues = slices.Clone(c.Queues)
	return c, true
}

// Len is how many clients there are; with none, the staff API is off.
func (cs *Clients) Len() int {
	if cs == nil {
		return 0
	}
	return len(cs.entries)
}
