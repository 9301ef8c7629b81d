package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
	name := "larder_serve_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatal(err)
	}
	// Registered first, so it runs after larder has stopped.
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	db := redistest.New(t)
	const password = "pg-secret-never-logged"
	addr, log := startCommand(t, "serve", "--data-dir", t.TempDir(), "--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0",
		"--redis-url", db.URL, "--redis-key-prefix", db.Prefix,
		"--temporal-embedded-address", "127.0.0.1:0",
		"--temporal-database", "postgres://postgres:"+password+"@127.0.0.1:5432/"+name+"?sslmode=disable")
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
