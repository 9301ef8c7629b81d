package access_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/forms/staff/access"
)

// hash is password's bcrypt hash at the cheapest cost, for quick tests.
func hash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// writeStaff writes a staff.yaml into a fresh folder and returns its path.
func writeStaff(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "staff.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// team is a staff.yaml of the street scene team, with passwords
// "pat's password here" and so on, and a CRM client whose token is in
// LARDER_TEST_CRM_TOKEN.
func team(t *testing.T) string {
	t.Helper()
	return `users:
  - username: pat
    name: Pat Jones
    role: staff
    queues: [street-scene]
    password_hash: "` + hash(t, "pat's password here") + `"
  - username: sam
    name: Sam Okafor
    role: supervisor
    queues: [street-scene, street-scene-managers]
    password_hash: "` + hash(t, "sam's password here") + `"
  - username: alex
    name: Alex Morgan
    role: admin
    password_hash: "` + hash(t, "alex's password here") + `"
  - username: jo
    name: Jo Bell
    role: staff
    queues: [street-scene]
    password_hash: "` + hash(t, "jo's password here!") + `"
api_clients:
  - name: crm
    token_env: LARDER_TEST_CRM_TOKEN
    queues: [street-scene]
`
}

const crmToken = "crm-token-0123456789abcdef"

func TestLoadFileReadsUsersRolesAndQueues(t *testing.T) {
	t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
	d, err := access.LoadFile(writeStaff(t, team(t)))
	if err != nil {
		t.Fatal(err)
	}
	sam, ok := d.User("sam")
	want := access.User{Username: "sam", Name: "Sam Okafor", Role: access.RoleSupervisor, Queues: []string{"street-scene", "street-scene-managers"}}
	if !ok || !reflect.DeepEqual(sam, want) {
		t.Errorf("User(sam) = %+v, %v; want %+v", sam, ok, want)
	}
	if !sam.MayReassign() || !sam.MayWork("street-scene-managers") || sam.MayWork("waste-team") || sam.MayResolveIncidents() {
		t.Errorf("sam, a supervisor of street scene, may reassign and work only its queues: %+v", sam)
	}
	if alex, _ := d.User("ALEX"); !alex.MayWork("waste-team") || !alex.MayResolveIncidents() {
		t.Errorf("alex, an admin, may work every queue and resolve incidents (found by any case): %+v", alex)
	}
	var names []string
	for _, u := range d.Colleagues("street-scene") {
		names = append(names, u.Name)
	}
	if got := strings.Join(names, ", "); got != "Jo Bell, Pat Jones, Sam Okafor" {
		t.Errorf("Colleagues(street-scene) = %s; want the team by name, not the admin", got)
	}
	if got := d.Colleagues("waste-team"); len(got) != 0 {
		t.Errorf("Colleagues(waste-team) = %v; want none", got)
	}
	if got := len(d.Users()); got != 4 {
		t.Errorf("Users() lists %d, want 4", got)
	}
}

func TestLoadFileMissingIsNotExist(t *testing.T) {
	_, err := access.LoadFile(filepath.Join(t.TempDir(), "staff.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing staff.yaml: %v; want an error that is os.ErrNotExist, so the caller may decide", err)
	}
}

// TestLoadFileRefusesMistakesAtTheirPlace checks each mistake in
// staff.yaml is reported at its file:line:col and key.
func TestLoadFileRefusesMistakesAtTheirPlace(t *testing.T) {
	good := hash(t, "a good password")
	user := func(fields string) string {
		return "users:\n  - username: pat\n    name: Pat Jones\n    role: staff\n    queues: [street-scene]\n    password_hash: \"" + good + "\"\n" + fields
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"a role of no kind", strings.Replace(user(""), "role: staff", "role: manager", 1),
			`:4:11: users[0].role: "manager" is not a role: use staff, supervisor or admin`},
		{"a username twice", user("  - username: pat\n    name: Pat Again\n    role: admin\n    password_hash: \"" + good + "\"\n"),
			":7:15: users[1].username: pat is also users[0]: each user is listed once"},
		{"a password in clear", strings.Replace(user(""), `"`+good+`"`, "hunter2hunter2", 1),
			":6:20: users[0].password_hash: is not a bcrypt hash: make one with larder staff password"},
		{"staff with no queues", strings.Replace(user(""), "    queues: [street-scene]\n", "", 1),
			":2:5: users[0].queues: is empty: a staff works the tasks of their queues"},
		{"a supervisor with an empty list", strings.Replace(strings.Replace(user(""), "[street-scene]", "[]", 1), "role: staff", "role: supervisor", 1),
			":5:13: users[0].queues: is empty: a supervisor works"},
		{"a blank queue", strings.Replace(user(""), "[street-scene]", `[street-scene, " "]`, 1),
			`:5:28: users[0].queues[1]: is empty: name a queue`},
		{"a username with capitals", strings.Replace(user(""), "username: pat", "username: Pat", 1),
			`:2:15: users[0].username: "Pat" has capitals: write it in lower case (pat)`},
		{"a username with a space", strings.Replace(user(""), "username: pat", "username: pat jones", 1),
			`:2:15: users[0].username: "pat jones" is not a username`},
		{"no name", strings.Replace(user(""), "    name: Pat Jones\n", "", 1),
			":2:5: users[0].name: is missing"},
		{"an unknown key", user("    email: pat@larchester.gov.example\n"),
			`:7:5: unknown field "email"`},
		{"users as a map", "users:\n  pat: {}\n", ":2:6: mapping was used where sequence is expected"},
		{"a client with no variable", "api_clients:\n  - name: crm\n    queues: [street-scene]\n",
			":2:5: api_clients[0].token_env: is missing: name the environment variable"},
		{"a client named like staff_token", "api_clients:\n  - name: staff_token\n    token_env: LARDER_TEST_A\n    queues: [q]\n",
			":2:11: api_clients[0].name: staff_token names the client of LARDER_STAFF_TOKEN"},
		{"a client with no queues", "api_clients:\n  - name: crm\n    token_env: LARDER_TEST_A\n",
			":2:5: api_clients[0].queues: is empty"},
		{"a token variable not a name", "api_clients:\n  - name: crm\n    token_env: ${CRM_TOKEN}\n    queues: [q]\n",
			`:3:16: api_clients[0].token_env: "${CRM_TOKEN}" is not an environment variable's name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LARDER_TEST_A", "token-aaaaaaaaaaaaaaaa")
			file := writeStaff(t, tc.yaml)
			_, err := access.LoadFile(file)
			if err == nil || !strings.Contains(err.Error(), file+tc.want) {
				t.Errorf("want an error holding\n  %s%s\ngot\n  %v", file, tc.want, err)
			}
		})
	}
}

// TestLoadFileNamesTokenVariablesNeverTokens checks a client's missing,
// short or shared token is reported by its variable's name, and the
// token itself is never in the message.
func TestLoadFileNamesTokenVariablesNeverTokens(t *testing.T) {
	clients := "api_clients:\n  - name: crm\n    token_env: LARDER_TEST_CRM_TOKEN\n    queues: [street-scene]\n" +
		"  - name: gis\n    token_env: LARDER_TEST_GIS_TOKEN\n    queues: [street-scene]\n"
	t.Run("unset", func(t *testing.T) {
		os.Unsetenv("LARDER_TEST_CRM_TOKEN")
		t.Setenv("LARDER_TEST_GIS_TOKEN", "")
		file := writeStaff(t, clients)
		_, err := access.LoadFile(file)
		for _, want := range []string{
			file + ":3:16: api_clients[0].token_env: LARDER_TEST_CRM_TOKEN is not set: set it to the client's bearer token",
			file + ":6:16: api_clients[1].token_env: LARDER_TEST_GIS_TOKEN is not set",
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("want an error holding\n  %s\ngot\n  %v", want, err)
			}
		}
	})
	t.Run("short", func(t *testing.T) {
		t.Setenv("LARDER_TEST_CRM_TOKEN", "crm-2025")
		t.Setenv("LARDER_TEST_GIS_TOKEN", "gis-token-0123456789")
		_, err := access.LoadFile(writeStaff(t, clients))
		if err == nil || !strings.Contains(err.Error(), "LARDER_TEST_CRM_TOKEN holds a token shorter than 16 characters") {
			t.Errorf("a short token: %v", err)
		}
		connectortest.NoSecretInError(t, err, "crm-2025")
	})
	t.Run("shared", func(t *testing.T) {
		t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
		t.Setenv("LARDER_TEST_GIS_TOKEN", crmToken)
		_, err := access.LoadFile(writeStaff(t, clients))
		if err == nil || !strings.Contains(err.Error(), "api_clients[1].token_env: LARDER_TEST_GIS_TOKEN holds the same token as LARDER_TEST_CRM_TOKEN of api_clients[0]") {
			t.Errorf("two clients with one token: %v", err)
		}
		connectortest.NoSecretInError(t, err, crmToken)
	})
}

func TestLoadFileEmptyMeansNoOne(t *testing.T) {
	d, err := access.LoadFile(writeStaff(t, "# no staff yet\n"))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := d.Clients("")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Users()) != 0 || clients.Len() != 0 {
		t.Errorf("an empty staff.yaml gave %d users and %d clients", len(d.Users()), clients.Len())
	}
}

func TestShippedExampleLoads(t *testing.T) {
	t.Setenv("LARDER_CRM_TOKEN", crmToken)
	d, err := access.LoadFile("../../../deploy/staff.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clients, err := d.Clients("")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Users()) == 0 || clients.Len() == 0 {
		t.Errorf("the example should show users and an API client: %d users, %d clients", len(d.Users()), clients.Len())
	}
}
