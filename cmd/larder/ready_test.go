package main

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/embeddedtemporal"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
)

// restartableTemporal is a Temporal server on a file of the test's own that
// the test stops and starts again on the same address, as an operator
// restarts a cluster.
type restartableTemporal struct {
	mu  sync.Mutex
	cfg embeddedtemporal.Config
	srv *embeddedtemporal.Server
}

func newRestartableTemporal(t *testing.T) *restartableTemporal {
	t.Helper()
	dir := t.TempDir()
	r := &restartableTemporal{cfg: embeddedtemporal.Config{
		DatabaseFile: filepath.Join(dir, "temporal.db"), Address: "127.0.0.1:0", Namespace: "default",
		LogLevel: "error", LogFile: filepath.Join(dir, "temporal.log"), SearchAttributes: workflows.SearchAttributes,
	}}
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.stop() })
	return r
}

// start starts the server, on the address of its first start.
func (r *restartableTemporal) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	srv, err := embeddedtemporal.New(r.cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop()
		return err
	}
	r.srv, r.cfg.Address = srv, srv.HostPort()
	return nil
}

func (r *restartableTemporal) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.srv.Stop()
	r.srv = nil
	return err
}

func (r *restartableTemporal) address() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg.Address
}

// redisDoor stands in front of a Redis on an address of its own: shut, it
// refuses connections and drops those it carried, as a stopped Redis does;
// open again, it is the same Redis on the same address.
type redisDoor struct {
	target string
	mu     sync.Mutex
	addr   string
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newRedisDoor(t *testing.T, target string) *redisDoor {
	t.Helper()
	d := &redisDoor{target: target, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	if err := d.open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.shut)
	return d
}

func (d *redisDoor) open() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		return err
	}
	d.ln, d.addr = ln, ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go d.carry(c)
		}
	}()
	return nil
}

func (d *redisDoor) carry(c net.Conn) {
	r, err := net.Dial("tcp", d.target)
	if err != nil {
		_ = c.Close()
		return
	}
	d.mu.Lock()
	if d.ln == nil { // shut meanwhile
		d.mu.Unlock()
		_, _ = c.Close(), r.Close()
		return
	}
	d.conns[c], d.conns[r] = true, true
	d.mu.Unlock()
	go func() { _, _ = io.Copy(r, c); _, _ = r.Close(), c.Close() }()
	_, _ = io.Copy(c, r)
	_, _ = r.Close(), c.Close()
}

func (d *redisDoor) shut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln != nil {
		_ = d.ln.Close()
		d.ln = nil
	}
	for c := range d.conns {
		_ = c.Close()
		delete(d.conns, c)
	}
}

// waitReadyz polls /readyz until it answers status with a body holding
// each of want; it fails the test after 60 seconds.
func waitReadyz(t *testing.T, base string, status int, want ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = resp.Status + " " + string(body)
			ok := resp.StatusCode == status
			for _, w := range want {
				ok = ok && strings.Contains(string(body), w)
			}
			if ok {
				return
			}
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/readyz did not answer %d holding %q within 60s; last: %s", status, want, last)
}

// TestReadyzFollowsTemporalAndRedis runs `larder web` and `larder worker`
// against a Temporal and a Redis that come and go: started before either
// answers, both processes wait for them; /readyz turns 503 naming what
// stopped answering and 200 when it is back; neither process exits; a
// submission while Temporal is down is taken in, and it and a case
// submitted after the outages complete.
func TestReadyzFollowsTemporalAndRedis(t *testing.T) {
	clearEnv(t)
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	t.Setenv("LARDER_SECRET_KEY", "readiness-test-key-0123456789abcdef")
	tmp := newRestartableTemporal(t)
	db := redistest.New(t)
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	door := newRedisDoor(t, u.Host)
	u.Host = door.addr
	var b [6]byte
	_, _ = rand.Read(b[:])
	shared := []string{
		"--temporal-address", tmp.address(), "--task-queue", "readiness-" + hex.EncodeToString(b[:]),
		"--redis-url", u.String(), "--redis-key-prefix", db.Prefix,
		"--recipes-dir", recipesDir, "--http-address", "127.0.0.1:0",
	}

	// Neither answers when the worker starts: it waits, then runs.
	if err := tmp.stop(); err != nil {
		t.Fatal(err)
	}
	door.shut()
	back := make(chan error, 1)
	time.AfterFunc(2*time.Second, func() {
		err := tmp.start()
		if err == nil {
			err = door.open()
		}
		back <- err
	})
	_, workerLog := startCommand(t, append([]string{"worker", "--data-dir", t.TempDir()}, shared...)...)
	if err := <-back; err != nil {
		t.Fatalf("start Temporal and Redis again: %v", err)
	}
	if !strings.Contains(workerLog.String(), `msg="temporal does not answer; retrying"`) {
		t.Errorf("the worker did not say it was waiting for Temporal:\n%s", workerLog)
	}
	addr, webLog := startCommand(t, append([]string{"web", "--data-dir", t.TempDir()}, shared...)...)
	base := "http://" + addr
	waitReadyz(t, base, http.StatusOK, `"temporal":"ok"`, `"redis":"ok"`)

	door.shut()
	waitReadyz(t, base, http.StatusServiceUnavailable, `"redis":"unavailable"`, `"temporal":"ok"`)
	if err := door.open(); err != nil {
		t.Fatal(err)
	}
	waitReadyz(t, base, http.StatusOK, `"temporal":"ok"`, `"redis":"ok"`)

	if err := tmp.stop(); err != nil {
		t.Fatal(err)
	}
	waitReadyz(t, base, http.StatusServiceUnavailable, `"temporal":"unavailable"`, `"redis":"ok"`)
	answers := exampleAnswers(t)
	answers["uprn"] = "100001000001"
	// The intake journal takes the submission while Temporal is down; its
	// case starts once Temporal is back.
	status, reply := submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submission while Temporal is down: %d %v, want 201 from the intake journal", status, reply)
	}
	during := reply["reference"].(string)
	if err := tmp.start(); err != nil {
		t.Fatal(err)
	}
	waitReadyz(t, base, http.StatusOK, `"temporal":"ok"`, `"redis":"ok"`)

	status, reply = submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submit after the outages: %d %v", status, reply)
	}
	for _, ref := range []string{during, reply["reference"].(string)} {
		view := waitForCase(t, base, ref, 60*time.Second)
		if view.Status != workflows.StatusCompleted {
			t.Errorf("case %s ended %q, want completed by the worker that lived through the outages", ref, view.Status)
		}
	}
	for name, log := range map[string]*processLog{"web": webLog, "worker": workerLog} {
		if strings.Contains(log.String(), "larder failed") {
			t.Errorf("larder %s failed:\n%s", name, log)
		}
	}
}
