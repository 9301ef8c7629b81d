package access_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/internal/redistest"
)

// TestDemoAccountsSignInWithTheirPasswords checks the accounts the README
// lists sign in with the passwords it gives, in the roles it names.
func TestDemoAccountsSignInWithTheirPasswords(t *testing.T) {
	db := redistest.New(t)
	d := access.Demo()
	d.Redis, d.Prefix = db.Client, db.Prefix
	want := map[string]struct {
		password string
		role     access.Role
		queues   []string
	}{
		"pat":   {"pat-demo-password", access.RoleStaff, []string{"street-scene"}},
		"sam":   {"sam-demo-password", access.RoleSupervisor, []string{"street-scene", "street-scene-managers"}},
		"alex":  {"alex-demo-password", access.RoleAdmin, nil},
		"robin": {"robin-demo-password", access.RoleStaff, []string{"waste-team", "waste-payments"}},
	}
	accounts := access.DemoAccounts()
	if len(accounts) != len(want) {
		t.Errorf("%d demo accounts, want %d", len(accounts), len(want))
	}
	for _, a := range accounts {
		w, ok := want[a.User.Username]
		if !ok || a.Password != w.password || a.User.Role != w.role || !reflect.DeepEqual(a.User.Queues, w.queues) {
			t.Errorf("demo account %+v; want %+v", a, w)
			continue
		}
		u, err := d.SignIn(t.Context(), a.User.Username, a.Password)
		if err != nil || !reflect.DeepEqual(u, a.User) {
			t.Errorf("%s with %q: %+v, %v", a.User.Username, a.Password, u, err)
		}
		if _, err := d.SignIn(t.Context(), a.User.Username, "not-"+a.Password); !errors.Is(err, access.ErrBadCredentials) {
			t.Errorf("%s with a wrong password: %v", a.User.Username, err)
		}
	}
	if robin, _ := d.User("robin"); robin.MayWork("street-scene") {
		t.Errorf("robin, of the waste team, may work street scene tasks: no 403 to show")
	}
	accounts[0].User.Queues[0] = "changed"
	if again := access.DemoAccounts(); again[0].User.Queues[0] != "street-scene" {
		t.Errorf("changing a returned demo account changed the demo accounts")
	}
}

func TestMergeAddsDemoAccountsAndFindsTheirPasswords(t *testing.T) {
	t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
	d, err := access.Parse("staff.yaml", []byte(strings.ReplaceAll(team(t), "username: ", "username: x")))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.DemoPasswordUsers(); len(got) != 0 {
		t.Errorf("DemoPasswordUsers = %v for a file of real hashes", got)
	}
	if err := d.Merge(access.Demo()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.DemoPasswordUsers(), " "); got != "alex pat robin sam" {
		t.Errorf("DemoPasswordUsers = %s; want the four demo accounts", got)
	}
	if len(d.Users()) != 8 {
		t.Errorf("%d users after merging; want 4 and 4", len(d.Users()))
	}
	if err := d.Merge(access.Demo()); err == nil || !strings.Contains(err.Error(), "is listed twice") {
		t.Errorf("merging the demo accounts twice: %v", err)
	}
}

// TestDemoPasswordUsersFindsAPublishedPasswordRehashed checks a user
// named like a demo account with its password, hashed afresh, is found.
func TestDemoPasswordUsersFindsAPublishedPasswordRehashed(t *testing.T) {
	file := "users:\n  - {username: sam, name: Sam, role: admin, password_hash: \"" + hash(t, "sam-demo-password") + "\"}\n" +
		"  - {username: robin, name: Robin, role: admin, password_hash: \"" + hash(t, "pat-demo-password") + "\"}\n"
	d, err := access.Parse("staff.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.DemoPasswordUsers(), " "); got != "sam" {
		t.Errorf("DemoPasswordUsers = %q; want sam, with sam's demo password (robin has another's, which only the hash would give away)", got)
	}
}

// TestREADMEListsTheDemoAccounts checks the README's table gives each demo
// account's password and role as they are.
func TestREADMEListsTheDemoAccounts(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range access.DemoAccounts() {
		row := "| `" + a.User.Username + "` | `" + a.Password + "` | " + string(a.User.Role) + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md should list %s as\n  %s", a.User.Username, row)
		}
	}
}
