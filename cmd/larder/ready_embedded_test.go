package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// TestServeOnPostgres runs `larder serve` with its embedded Temporal on a
// PostgreSQL database of the test's own, named by a URL with a password:
// a case completes, and the log says where the database is without the
// password.
func TestServeOnPostgres(t *testing.T) {
	clearEnv(t)
	url, name := postgresForTest(t, "larder_serve_")
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	db := redistest.New(t)
	const password = "pg-secret-never-logged"
	addr, log := startCommand(t, "serve", "--data-dir", t.TempDir(), "--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0",
		"--redis-url", db.URL, "--redis-key-prefix", db.Prefix,
		"--temporal-embedded-address", "127.0.0.1:0",
		"--temporal-database", url)
	base := "http://" + addr
	answers := exampleAnswers(t)
	answers["uprn"] = "100001000001"
	status, reply := submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submit: %d %v", status, reply)
	}
	if view := waitForCase(t, base, reply["reference"].(string), 60*time.Second); view.Status != workflows.StatusCompleted {
		t.Errorf("case on PostgreSQL ended %q, want completed", view.Status)
	}
	if want := "postgres://postgres:xxxxx@127.0.0.1:5432/" + name; !strings.Contains(log.String(), want) || !strings.Contains(log.String(), `msg="embedded temporal started"`) {
		t.Errorf("the log does not say where the database is (%s):\n%s", want, log)
	}
	if strings.Contains(log.String(), password) {
		t.Errorf("the log shows the database password:\n%s", log)
	}
}

// TestServeRefusesATakenEmbeddedAddress names the setting and the address
// when temporal.embedded.address is taken, rather than choosing another.
func TestServeRefusesATakenEmbeddedAddress(t *testing.T) {
	clearEnv(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = taken.Close() })
	db := redistest.New(t)
	var stderr bytes.Buffer
	code := larderUntil(context.Background(), []string{"serve", "--data-dir", t.TempDir(), "--recipes-dir", recipesDir,
		"--http-address", "127.0.0.1:0", "--redis-url", db.URL, "--redis-key-prefix", db.Prefix,
		"--temporal-embedded-address", taken.Addr().String()}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "temporal.embedded.address") || !strings.Contains(stderr.String(), taken.Addr().String()) {
		t.Errorf("exit %d, want 1 and an error naming temporal.embedded.address and %s:\n%s", code, taken.Addr(), stderr.String())
	}
}

// postgresForTest makes an empty database of the test's own, dropped when
// the test ends (after everything registered later), and returns a URL of
// it with a password in it; it skips the test when no PostgreSQL answers.
func postgresForTest(t *testing.T, prefix string) (url, name string) {
	t.Helper()
	admin, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Skipf("no PostgreSQL at 127.0.0.1:5432 (user postgres): %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name = prefix + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return "postgres://postgres:pg-secret-never-logged@127.0.0.1:5432/" + name + "?sslmode=disable", name
}

// TestKilledOnPostgresRestartsOnTheSameDatabase SIGKILLs `larder serve`
// with its embedded Temporal on PostgreSQL while cases are in flight: the
// restart is not refused as "in use" (the killed process's lock went with
// its connection), and every case completes once, each email and each
// waste-system report once.
func TestKilledOnPostgresRestartsOnTheSameDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	url, _ := postgresForTest(t, "larder_kill_")
	const cases = 6
	waste := wastesim.New(wastesim.Options{Faults: wastesim.Faults{Latency: 400 * time.Millisecond}})
	ws := httptest.NewServer(waste)
	defer ws.Close()
	bin := buildLarder(t)
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	env := []string{"LARDER_TEMPORAL_DATABASE=" + url, "LARDER_TEMPORAL_EMBEDDED_ADDRESS=127.0.0.1:0"}
	p := startProcess(t, bin, dataDir, ws.URL, env...)
	var refs []string
	for i := range cases {
		answers := exampleAnswers(t)
		answers["postcode"] = "LR3 4DD"
		answers["uprn"] = fmt.Sprintf("1000040000%02d", i+1)
		status, reply := submit(t, p.base, answers, "")
		if status != http.StatusCreated {
			t.Fatalf("submit %d: %d %v", i, status, reply)
		}
		refs = append(refs, reply["reference"].(string))
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(waste.MissedCollections()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	if n := len(waste.MissedCollections()); n >= cases {
		t.Fatalf("every case finished before the kill (%d); the test proves nothing", n)
	}

	p = startProcess(t, bin, dataDir, ws.URL, env...)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(root, "larder.log"))
			t.Logf("larder's log:\n%s", log)
		}
	})
	for _, ref := range refs {
		if view := waitForCase(t, p.base, ref, 90*time.Second); view.Outcome != "Missed collection reported" {
			t.Errorf("%s ended %q %q", ref, view.Status, view.Outcome)
		}
	}
	box := outbox(t, dataDir)
	for _, ref := range refs {
		if n := len(emailsFor(box, ref)); n != 1 {
			t.Errorf("%s: %d emails, want exactly 1", ref, n)
		}
	}
	byUPRN := map[string]int{}
	for _, m := range waste.MissedCollections() {
		byUPRN[m.UPRN]++
	}
	if len(byUPRN) != cases {
		t.Errorf("waste system has reports for %d properties, want %d", len(byUPRN), cases)
	}
	for uprn, n := range byUPRN {
		if n != 1 {
			t.Errorf("property %s reported %d times", uprn, n)
		}
	}
	log, _ := os.ReadFile(filepath.Join(root, "larder.log"))
	if strings.Contains(string(log), "pg-secret-never-logged") {
		t.Error("larder's log shows the database password")
	}
}
