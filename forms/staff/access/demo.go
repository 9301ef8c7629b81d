package access

import (
	"slices"

	"golang.org/x/crypto/bcrypt"
)

// DemoAccount is one account of development mode, with its password.
type DemoAccount struct {
	// User is who signs in.
	User User
	// Password signs them in; it is printed at start and in the README,
	// so it protects nothing.
	Password string
	// hash is Password's bcrypt hash, made once and kept here so that
	// starting in development mode costs no hashing.
	hash string
}

// demoAccounts are the development accounts: one per role on the street
// scene team, and one of another team to show what a user may not see.
var demoAccounts = []DemoAccount{
	{User{Username: "pat", Name: "Pat Jones", Role: RoleStaff, Queues: []string{"street-scene"}},
		"pat-demo-password", "$2a$10$61IkiwdwnfLcw2xBmUxZOuGMrryjxviJuRlyR7rDL8tS5PofD3J8e"},
	{User{Username: "sam", Name: "Sam Okafor", Role: RoleSupervisor, Queues: []string{"street-scene", "street-scene-managers"}},
		"sam-demo-password", "$2a$10$bEbPXFLxbKC39ryGXwFt/.Cjm0APsK4J5y2dT3Ry7Lm4h3DZoVoO6"},
	{User{Username: "alex", Name: "Alex Morgan", Role: RoleAdmin},
		"alex-demo-password", "$2a$10$VTKO6REw3PRA.yH/BTscKetbLpiwvsAix8b6zwsMS6F1wFDTPBg4a"},
	{User{Username: "robin", Name: "Robin Hale", Role: RoleStaff, Queues: []string{"waste-team", "waste-payments"}},
		"robin-demo-password", "$2a$10$kgg9t3OILFqUmLAuFeoWU.VUcI2bv/B/gUzp/gXTOtEyGGdNR2Lt6"},
}

// DemoAccounts lists the development accounts and their passwords: pat
// (staff, street-scene), sam (supervisor, street-scene and
// street-scene-managers), alex (admin) and robin (staff of another team,
// waste-team and waste-payments, which refunds late bulky-waste and
// garden-waste payments).
func DemoAccounts() []DemoAccount {
	out := slices.Clone(demoAccounts)
	for i := range out {
		out[i].User.Queues = slices.Clone(out[i].User.Queues)
	}
	return out
}

// Demo is a directory of the development accounts, for Larder started
// with --dev; merge it into the one read from staff.yaml.
func Demo() *Directory {
	d := &Directory{accounts: map[string]account{}}
	for _, a := range DemoAccounts() {
		d.accounts[a.User.Username] = account{user: a.User, hash: []byte(a.hash)}
	}
	return d
}

// DemoPasswordUsers lists, by username, the users who sign in with a
// development account's password, published in the README: those whose
// hash is a development account's, and those with a development
// account's username and its password. They must not sign in outside
// development mode.
func (d *Directory) DemoPasswordUsers() []string {
	var out []string
	for _, u := range d.Users() {
		hash := d.accounts[u.Username].hash
		for _, a := range demoAccounts {
			if string(hash) == a.hash || (u.Username == a.User.Username && bcrypt.CompareHashAndPassword(hash, []byte(a.Password)) == nil) {
				out = append(out, u.Username)
				break
			}
		}
	}
	return out
}
