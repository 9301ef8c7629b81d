package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// benchUser is the benchmark's one staff user, of the benchmark's queue.
const benchUser = "bench"

// writeBenchStaff writes a staff.yaml holding the benchmark's user with a
// new random password, and returns the password.
func writeBenchStaff(path string) (string, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	password := hex.EncodeToString(b[:])
	// The lowest cost: the benchmark measures the inbox, not signing in.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return "", err
	}
	staff := fmt.Sprintf("# Written by larder bench inbox.\nusers:\n  - username: %s\n    name: Bench Mark\n    role: staff\n    queues: [%s]\n    password_hash: %q\n",
		benchUser, benchQueue, hash)
	return password, os.WriteFile(path, []byte(staff), 0o600)
}

// signInForm finds the sign-in form's token.
var signInForm = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInToStaff signs the benchmark's user in through the sign-in form, as
// a browser does, and returns a client holding the session that follows
// no redirect, so that being sent back to sign in is an error.
func signInToStaff(ctx context.Context, base, password string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/staff/sign-in", nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("staff sign-in page: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := signInForm.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return nil, fmt.Errorf("staff sign-in page: status %d, with no form token", resp.StatusCode)
	}
	form := url.Values{"csrf": {string(m[1])}, "next": {"/staff/"}, "username": {benchUser}, "password": {password}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/staff/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("staff sign-in: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/staff/" {
		return nil, fmt.Errorf("staff sign-in as %s: status %d at %s, want the inbox", benchUser, resp.StatusCode, resp.Request.URL.Path)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// getInbox asks for the first page of the signed-in user's inbox and
// checks it counts every task.
func getInbox(ctx context.Context, c *http.Client, base string, tasks int) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/staff/", nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /staff/: status %d, want 200", resp.StatusCode)
	}
	want := fmt.Sprintf("%d tasks, soonest due first", tasks)
	if tasks == 1 {
		want = "1 task, soonest due first"
	}
	if !strings.Contains(string(body), want) {
		return errors.New("GET /staff/: the inbox does not say " + want)
	}
	return nil
}

// signOutOfStaff ends the session, so a Redis the benchmark shares keeps
// none of its keys.
func signOutOfStaff(ctx context.Context, c *http.Client, base string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/staff/", nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := signInForm.FindSubmatch(body)
	if m == nil {
		return errors.New("staff sign-out: no form token on the inbox")
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/staff/sign-out", strings.NewReader(url.Values{"csrf": {string(m[1])}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("staff sign-out: status %d, want 303", resp.StatusCode)
	}
	return nil
}
