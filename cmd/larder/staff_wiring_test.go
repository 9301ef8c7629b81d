package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/internal/redistest"
)

// staffConfig is a configuration whose staff.file is path.
func staffConfig(path string, set, dev bool) Config {
	var cfg Config
	cfg.StaffFile, cfg.staffFileSet, cfg.Dev = path, set, dev
	cfg.HTTP.PublicURL = "http://localhost:8080"
	return cfg
}

// writeStaffFile writes a staff.yaml of one user, jo, with password hash.
func writeStaffFile(t *testing.T, username, hash string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "staff.yaml")
	body := "users:\n  - username: " + username + "\n    name: Jo Bell\n    role: staff\n    queues: [street-scene]\n    password_hash: \"" + hash + "\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStaffMissingDefaultFileMeansNoUsers(t *testing.T) {
	db := redistest.New(t)
	var out bytes.Buffer
	d, err := loadStaff(staffConfig(filepath.Join(t.TempDir(), "staff.yaml"), false, false), db.Client, db.Prefix, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Users()) != 0 || out.Len() != 0 {
		t.Errorf("no staff.yaml: %d users, printed %q; want none and nothing", len(d.Users()), out.String())
	}
	if _, err := d.SignIn(context.Background(), "pat", "pat-demo-password"); !errors.Is(err, access.ErrBadCredentials) {
		t.Errorf("pat signed in with no staff.yaml and no --dev: %v", err)
	}
}

func TestStaffMissingNamedFileIsAnError(t *testing.T) {
	db := redistest.New(t)
	path := filepath.Join(t.TempDir(), "staff.yaml")
	_, err := loadStaff(staffConfig(path, true, true), db.Client, db.Prefix, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "staff.file "+path+" does not exist") {
		t.Errorf("a staff.file set but missing: %v", err)
	}
}

func TestStaffDevAddsAndPrintsTheDemoAccounts(t *testing.T) {
	db := redistest.New(t)
	h, _ := bcrypt.GenerateFromPassword([]byte("jo's own password"), bcrypt.MinCost)
	var out bytes.Buffer
	d, err := loadStaff(staffConfig(writeStaffFile(t, "jo", string(h)), true, true), db.Client, db.Prefix, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "http://localhost:8080/staff/sign-in") {
		t.Errorf("the demo accounts should say where to sign in:\n%s", out.String())
	}
	for _, a := range access.DemoAccounts() {
		line := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == a.User.Username {
				line = l
			}
		}
		if !strings.Contains(line, string(a.User.Role)) || !strings.HasSuffix(line, a.Password) {
			t.Errorf("printed accounts should give %s's role and password:\n%s", a.User.Username, out.String())
		}
		if u, err := d.SignIn(context.Background(), a.User.Username, a.Password); err != nil || u.Role != a.User.Role {
			t.Errorf("%s with the printed password: %+v, %v", a.User.Username, u, err)
		}
	}
	if u, err := d.SignIn(context.Background(), "jo", "jo's own password"); err != nil || u.Name != "Jo Bell" {
		t.Errorf("jo, from staff.yaml, beside the demo accounts: %+v, %v", u, err)
	}
}

func TestStaffDevRefusesAFileUserNamedLikeADemoAccount(t *testing.T) {
	db := redistest.New(t)
	h, _ := bcrypt.GenerateFromPassword([]byte("pat's own password"), bcrypt.MinCost)
	path := writeStaffFile(t, "pat", string(h))
	_, err := loadStaff(staffConfig(path, true, true), db.Client, db.Prefix, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "adding the demo staff accounts: user pat is listed twice: remove one from "+path+", or run without --dev") {
		t.Errorf("a staff.yaml with its own pat, in development mode: %v", err)
	}
}

func TestStaffWithoutDevRefusesDemoPasswords(t *testing.T) {
	db := redistest.New(t)
	h, _ := bcrypt.GenerateFromPassword([]byte("sam-demo-password"), bcrypt.MinCost)
	path := writeStaffFile(t, "sam", string(h))
	var out bytes.Buffer
	_, err := loadStaff(staffConfig(path, true, false), db.Client, db.Prefix, &out)
	if err == nil || !strings.Contains(err.Error(), path+": sam would sign in with a demo account's password") {
		t.Errorf("sam with the published demo password, outside development mode: %v", err)
	}
	if strings.Contains(out.String(), "demo-password") {
		t.Errorf("demo passwords printed outside development mode: %s", out.String())
	}
}
