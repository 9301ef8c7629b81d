package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
)

// larderProcess is `larder serve` as a child process, as an operator runs it.
type larderProcess struct {
	cmd  *exec.Cmd
	base string
}

func buildLarder(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "larder")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build larder: %v\n%s", err, out)
	}
	return bin
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startProcess runs `larder serve` on the data folder until the test ends;
// env (NAME=value) is set after the test's own, so it wins.
func startProcess(t *testing.T, bin, dataDir, wasteURL string, env ...string) *larderProcess {
	t.Helper()
	addr := freeAddress(t)
	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--recipes-dir", recipesDir, "--http-address", addr, "--log-level", "warn")
	db := redistest.New(t)
	cmd.Env = append(os.Environ(), "WASTE_URL="+wasteURL, "LARDER_REDIS_URL="+db.URL, "LARDER_REDIS_KEY_PREFIX="+db.Prefix, "LARDER_SUBMISSIONS_PER_MINUTE=10000")
	cmd.Env = append(cmd.Env, env...)
	logFile, err := os.OpenFile(filepath.Join(dataDir, "..", "larder.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &larderProcess{cmd: cmd, base: "http://" + addr}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	if readyWithin(p.base, 60*time.Second) {
		return p
	}
	log, _ := os.ReadFile(filepath.Join(dataDir, "..", "larder.log"))
	t.Fatalf("larder not ready within 60s:\n%s", log)
	return nil
}

// TestKilledMidCaseLosesNothingAndSendsNothingTwice kills `larder serve`
// with SIGKILL while cases are in flight, starts it again on the same data
// folder, and checks every case completes exactly once.
func TestKilledMidCaseLosesNothingAndSendsNothingTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const cases = 10
	waste := wastesim.New(wastesim.Options{Faults: wastesim.Faults{Latency: 400 * time.Millisecond}})
	ws := httptest.NewServer(waste)
	defer ws.Close()
	bin := buildLarder(t)
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")

	p := startProcess(t, bin, dataDir, ws.URL)
	second := exec.Command(bin, "serve", "--data-dir", dataDir, "--recipes-dir", recipesDir, "--http-address", freeAddress(t))
	second.Env = append(os.Environ(), "WASTE_URL="+ws.URL)
	if out, err := second.CombinedOutput(); err == nil || !strings.Contains(string(out), "in use by another larder process") {
		t.Fatalf("a second larder on the same data folder: %v\n%s", err, out)
	}
	var refs []string
	for i := range cases {
		answers := exampleAnswers(t)
		answers["postcode"] = "LR3 4DD"
		answers["uprn"] = fmt.Sprintf("1000040000%02d", i+1)
		status, reply := submit(t, p.base, answers, fmt.Sprintf("kill-test-%d", i))
		if status != http.StatusCreated {
			t.Fatalf("submit %d: %d %v", i, status, reply)
		}
		refs = append(refs, reply["reference"].(string))
	}
	// Kill once the waste system has seen some reports but not all.
	deadline := time.Now().Add(30 * time.Second)
	for len(waste.MissedCollections()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	atKill := len(waste.MissedCollections())
	if atKill >= cases {
		t.Fatalf("every case finished before the kill (%d); the test proves nothing", atKill)
	}
	t.Logf("killed with %d of %d reports made", atKill, cases)

	restarted := time.Now()
	p = startProcess(t, bin, dataDir, ws.URL)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(root, "larder.log"))
			t.Logf("larder's log:\n%s", log)
		}
	})
	t.Logf("ready %s after restart", time.Since(restarted).Round(time.Millisecond))
	for _, ref := range refs {
		view := waitForCase(t, p.base, ref, 90*time.Second)
		t.Logf("%s %s after restart", ref, time.Since(restarted).Round(time.Millisecond))
		if view.Outcome != "Missed collection reported" {
			t.Errorf("%s ended %q %q", ref, view.Status, view.Outcome)
		}
	}
	box := outbox(t, dataDir)
	for _, ref := range refs {
		if n := len(emailsFor(box, ref)); n != 1 {
			t.Errorf("%s: %d emails, want exactly 1", ref, n)
		}
	}
	if len(box) != cases {
		t.Errorf("outbox holds %d emails, want %d", len(box), cases)
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

	// SIGTERM shuts down cleanly and promptly.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("larder exited uncleanly on SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("larder did not stop within 30s of SIGTERM")
	}
}
