package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestStaffPasswordPrintsABcryptHashOfTheLine(t *testing.T) {
	var out, errOut bytes.Buffer
	const password = "correct horse battery"
	if code := staffCommand([]string{"password"}, strings.NewReader(password+"\r\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	hash := strings.TrimSpace(out.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		t.Errorf("stdout %q is not the hash of the line read (without its line ending): %v", out.String(), err)
	}
	if cost, _ := bcrypt.Cost([]byte(hash)); cost != passwordCost {
		t.Errorf("cost %d, want %d", cost, passwordCost)
	}
	if strings.Contains(out.String()+errOut.String(), password) {
		t.Errorf("the password was printed back")
	}
	if !strings.Contains(errOut.String(), "password_hash") {
		t.Errorf("stderr should say where the hash goes: %s", errOut.String())
	}
}

func TestStaffPasswordRefusesShortAndOverlongPasswords(t *testing.T) {
	for _, tc := range []struct{ name, input, want string }{
		{"eleven characters", "elevenchars\n", "the password has 11 characters; use at least 12"},
		{"nothing", "", "the password has 0 characters"},
		{"eleven letters in six bytes' worth of runes", "ééééééééééé\n", "has 11 characters"},
		{"longer than bcrypt reads", strings.Repeat("x", 73) + "\n", "longer than bcrypt reads (72 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := staffCommand([]string{"password"}, strings.NewReader(tc.input), &out, &errOut)
			if code != 2 || out.Len() != 0 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, and %q", code, out.String(), errOut.String(), tc.want)
			}
		})
	}
}

func TestStaffCommandUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"passwd"}, {"password", "pat"}} {
		var out, errOut bytes.Buffer
		if code := staffCommand(args, strings.NewReader(""), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage: larder staff password") {
			t.Errorf("larder staff %v: exit %d, stderr %q; want 2 and the usage", args, code, errOut.String())
		}
	}
	var out bytes.Buffer
	if code := staffCommand([]string{"--help"}, strings.NewReader(""), &out, &out); code != 0 || !strings.Contains(out.String(), "bcrypt") {
		t.Errorf("larder staff --help: exit %d, %q", code, out.String())
	}
}
