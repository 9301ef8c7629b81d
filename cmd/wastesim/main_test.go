package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// output is a standard error the test can read while wastesim writes it.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

var listening = regexp.MustCompile(`msg="wastesim listening" addr=(\S+)`)

// start runs wastesim with args and returns the base URL it says it listens
// on, and a stop that tells it to stop and waits; the test's end stops it
// too. Stopping must exit 0.
func start(t *testing.T, args ...string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &output{}
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, args, stderr) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case code := <-exited:
				if code != 0 {
					t.Errorf("wastesim stopped with exit code %d, want 0:\n%s", code, stderr)
				}
			case <-time.After(10 * time.Second):
				t.Error("wastesim did not stop when told to")
			}
		})
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return "http://" + m[1], stop
		}
		select {
		case code := <-exited:
			t.Fatalf("wastesim exited with code %d before listening:\n%s", code, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("wastesim did not say where it listens:\n%s", stderr)
	return "", stop
}

// get fetches path and decodes the JSON reply into out.
func get(t *testing.T, base, path string, out any) int {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: decode reply: %v", path, err)
	}
	return resp.StatusCode
}

type property struct {
	UPRN, Address, Postcode string
	Bins                    []struct{ Type string }
}

type problem struct{ Code, Message string }

func TestServesDemoProperties(t *testing.T) {
	base, _ := start(t, "-addr", "127.0.0.1:0")
	var p property
	if status := get(t, base, "/api/properties/100001000001", &p); status != http.StatusOK {
		t.Fatalf("GET a demo property: status %d, want 200", status)
	}
	if p.UPRN != "100001000001" || !strings.Contains(p.Address, "Orchard Way") || p.Postcode != "LR1 1AA" || len(p.Bins) == 0 {
		t.Errorf("demo property = %+v, want 1 Orchard Way, LR1 1AA, with its bins", p)
	}
	var missing problem
	if status := get(t, base, "/api/properties/999999999999", &missing); status != http.StatusNotFound || missing.Code != "property_not_found" {
		t.Errorf("GET an unknown property: %d %+v, want 404 property_not_found", status, missing)
	}
}

func TestStopsWhenTold(t *testing.T) {
	base, stop := start(t, "-addr", "127.0.0.1:0")
	stop()
	addr := strings.TrimPrefix(base, "http://")
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Errorf("%s still accepts connections after wastesim stopped", addr)
	}
}

func TestFailRateFlagMakesTheAPIUnavailable(t *testing.T) {
	base, _ := start(t, "-addr", "127.0.0.1:0", "-fail-rate", "1")
	var p problem
	if status := get(t, base, "/api/properties/100001000001", &p); status != http.StatusServiceUnavailable || p.Code != "unavailable" {
		t.Errorf("GET a property with -fail-rate 1: %d %+v, want 503 unavailable", status, p)
	}
	var health map[string]string
	if status := get(t, base, "/healthz", &health); status != http.StatusOK {
		t.Errorf("GET /healthz with -fail-rate 1: status %d, want 200: faults are for the API only", status)
	}
}

func TestLatencyFlagDelaysTheAPI(t *testing.T) {
	const latency = 300 * time.Millisecond
	base, _ := start(t, "-addr", "127.0.0.1:0", "-latency", latency.String())
	began := time.Now()
	var p property
	if status := get(t, base, "/api/properties/100001000001", &p); status != http.StatusOK {
		t.Fatalf("GET a property with -latency: status %d, want 200", status)
	}
	if took := time.Since(began); took < latency {
		t.Errorf("GET a property with -latency %v answered in %v", latency, took)
	}
}

func TestAddressFromEnvironment(t *testing.T) {
	t.Setenv("WASTESIM_ADDR", "127.0.0.1:0")
	base, _ := start(t)
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") || strings.HasSuffix(base, ":8081") {
		t.Fatalf("with WASTESIM_ADDR=127.0.0.1:0 wastesim listens on %s, want a free port on 127.0.0.1", base)
	}
	var health map[string]string
	if status := get(t, base, "/healthz", &health); status != http.StatusOK || health["status"] != "ok" {
		t.Errorf("GET /healthz: %d %v, want 200 ok", status, health)
	}
}

func TestBadFlagsExitWithUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-fail-rate", "often"}, `invalid value "often" for flag -fail-rate`},
		{[]string{"-fail-rate", "1.5"}, "-fail-rate must be from 0 to 1, not 1.5"},
		{[]string{"-fail-rate", "-0.1"}, "-fail-rate must be from 0 to 1, not -0.1"},
		{[]string{"-latency", "300"}, `invalid value "300" for flag -latency`},
		{[]string{"-slow-rate", "2", "-latency", "1s"}, "-slow-rate must be from 0 to 1, not 2"},
		{[]string{"-drop-rate", "-0.5"}, "-drop-rate must be from 0 to 1, not -0.5"},
		{[]string{"-slow-rate", "0.5"}, "-slow-rate needs a -latency"},
		{[]string{"-seed", "many"}, `invalid value "many" for flag -seed`},
		{[]string{"-bulky-capacity", "0"}, "-bulky-capacity must be at least 1, not 0"},
		{[]string{"-reservation-ttl", "0s"}, "-reservation-ttl and -token-ttl must be more than 0"},
		{[]string{"-port", "8081"}, "flag provided but not defined: -port"},
		{[]string{"127.0.0.1:8081"}, `takes flags only, not "127.0.0.1:8081"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr output
			if code := run(context.Background(), tc.args, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			out := stderr.String()
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "Usage of wastesim") || !strings.Contains(out, "-fail-rate") {
				t.Errorf("standard error does not say %q and show the usage:\n%s", tc.want, out)
			}
			if strings.Contains(out, "listening") {
				t.Errorf("wastesim started despite a bad flag:\n%s", out)
			}
		})
	}
}

func TestHelpExitsZero(t *testing.T) {
	var stderr output
	if code := run(context.Background(), []string{"-h"}, &stderr); code != 0 {
		t.Errorf("wastesim -h: exit code %d, want 0", code)
	}
	for _, flag := range []string{"-addr", "-fail-rate", "-slow-rate", "-latency", "-drop-rate", "-fail-path", "-seed"} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("wastesim -h does not describe %s:\n%s", flag, stderr.String())
		}
	}
}

func TestAddressInUseExitsOne(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var stderr output
	addr := taken.Addr().String()
	if code := run(context.Background(), []string{"-addr", addr}, &stderr); code != 1 {
		t.Errorf("exit code %d on an address in use, want 1", code)
	}
	if !strings.Contains(stderr.String(), addr) || !strings.Contains(stderr.String(), "cannot listen") {
		t.Errorf("standard error does not say it cannot listen on %s:\n%s", addr, stderr.String())
	}
}

// TestDropRateFlagLosesTheAnswerNotTheWrite: with -drop-rate 1 a report
// gets no answer, yet the waste system holds it.
func TestDropRateFlagLosesTheAnswerNotTheWrite(t *testing.T) {
	base, _ := start(t, "-addr", "127.0.0.1:0", "-drop-rate", "1", "-seed", "1")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest("POST", base+"/api/missed-collections", strings.NewReader(`{"uprn":"100001000001","bin_type":"general"}`))
	req.Header.Set("Idempotency-Key", "MB-1/raise")
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("with -drop-rate 1 the report was answered %d, want the connection dropped", resp.StatusCode)
	}
	var list struct {
		MissedCollections []struct{ ID string } `json:"missed_collections"`
	}
	if status := get(t, base, "/api/missed-collections", &list); status != http.StatusOK || len(list.MissedCollections) != 1 {
		t.Errorf("GET /api/missed-collections: %d %+v, want the one report", status, list.MissedCollections)
	}
}

// TestCredentialsFromEnvironment: a token in the environment is asked of
// API callers, and the log names the kind, never the token.
func TestCredentialsFromEnvironment(t *testing.T) {
	const secret = "env-bearer-secret-5e1"
	t.Setenv("WASTESIM_BEARER_TOKEN", secret)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &output{}
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"-addr", "127.0.0.1:0"}, stderr) }()
	defer func() { cancel(); <-exited }()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		t.Fatalf("wastesim did not say where it listens:\n%s", stderr)
	}
	var p problem
	if status := get(t, base, "/api/properties/100001000001", &p); status != http.StatusUnauthorized || p.Code != "unauthorized" {
		t.Errorf("GET a property without the token: %d %+v, want 401 unauthorized", status, p)
	}
	req, _ := http.NewRequest("GET", base+"/api/properties/100001000001", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET a property with the token: %d, want 200", resp.StatusCode)
	}
	if out := stderr.String(); !strings.Contains(out, "auth=bearer") || strings.Contains(out, secret) {
		t.Errorf("the log should name the kind of credentials and not the token:\n%s", out)
	}
}

// TestNoCredentialsByDefault: as `make run` starts it, the API asks for none.
func TestNoCredentialsByDefault(t *testing.T) {
	for _, k := range []string{"WASTESIM_BEARER_TOKEN", "WASTESIM_BASIC_PASSWORD", "WASTESIM_API_KEY", "WASTESIM_CLIENT_SECRET"} {
		t.Setenv(k, "")
	}
	base, _ := start(t, "-addr", "127.0.0.1:0")
	var p property
	if status := get(t, base, "/api/properties/100001000001", &p); status != http.StatusOK {
		t.Errorf("GET a property with no credentials set: %d, want 200", status)
	}
}

func TestBulkyCapacityFlag(t *testing.T) {
	base, _ := start(t, "-addr", "127.0.0.1:0", "-bulky-capacity", "3")
	var out struct{ Slots []struct{ Remaining int } }
	if status := get(t, base, "/api/bulky-waste/slots", &out); status != http.StatusOK || len(out.Slots) != 10 || out.Slots[0].Remaining != 3 {
		t.Errorf("GET slots with -bulky-capacity 3: %d %+v, want 10 slots with 3 places each", status, out.Slots)
	}
}
