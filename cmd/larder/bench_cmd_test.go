package main

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// benchRow is one scenario line of larder bench's table: name, req/s,
// p50, p99, errors.
var benchRow = regexp.MustCompile(`(?m)^(gin bare handler GET|question page GET|question page POST with errors)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+)$`)

// TestBenchMeasuresLarderBesideBareGin runs `larder bench` for a moment
// against an in-process Larder, as an operator sizing a server would.
func TestBenchMeasuresLarderBesideBareGin(t *testing.T) {
	base, _ := startLarder(t, wastesim.New(wastesim.Options{}))
	short := []string{"--duration", "300ms", "--concurrency", "2"}

	t.Run("prints requests a second and p99 of each scenario", func(t *testing.T) {
		// --target 0: how fast the page is beside gin depends on the machine.
		code, stdout, stderr := run(t, append([]string{"bench", "--url", base + "/", "--target", "0"}, short...)...)
		if code != 0 {
			t.Fatalf("exit %d, want 0:\n%s%s", code, stdout, stderr)
		}
		if !strings.HasPrefix(stdout, "scenario") || !strings.Contains(stdout, "req/s") || !strings.Contains(stdout, "p99") {
			t.Errorf("no table header:\n%s", stdout)
		}
		rows := benchRow.FindAllStringSubmatch(stdout, -1)
		if len(rows) != 3 {
			t.Fatalf("want a row for gin, the page and the POST, got:\n%s", stdout)
		}
		for _, r := range rows {
			rps, _ := strconv.Atoi(r[2])
			p50, err50 := time.ParseDuration(r[3])
			p99, err99 := time.ParseDuration(r[4])
			if rps <= 0 || err50 != nil || err99 != nil || p99 < p50 || p99 <= 0 {
				t.Errorf("%s: req/s %s, p50 %s, p99 %s; want some requests and p99 at least p50", r[1], r[2], r[3], r[4])
			}
			// The POST must be Larder's 422 for a bad postcode, not a failure.
			if r[5] != "0" {
				t.Errorf("%s: %s errors", r[1], r[5])
			}
		}
		if !regexp.MustCompile(`question page GET / gin bare: \d+\.\d\d \(target at least 0\.00\)`).MatchString(stdout) {
			t.Errorf("no ratio line:\n%s", stdout)
		}
	})

	t.Run("exits 1 when the page falls short of the target", func(t *testing.T) {
		code, stdout, stderr := run(t, append([]string{"bench", "--url", base, "--target", "1000"}, short...)...)
		if code != 1 || !strings.Contains(stderr, "below the target 1000.00") || len(benchRow.FindAllString(stdout, -1)) != 3 {
			t.Errorf("exit %d, want 1, the table and a line saying it is below the target:\n%s%s", code, stdout, stderr)
		}
	})
}

// TestBenchSaysWhenThereIsNothingToMeasure checks larder bench stops at
// once with a clear line when pointed at no Larder or given bad flags.
func TestBenchSaysWhenThereIsNothingToMeasure(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	noForm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<p>a page with no form</p>")) }))
	t.Cleanup(noForm.Close)
	nobody := "http://" + freeAddress(t)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a URL without its scheme", []string{"--url", "localhost:8080"}, 2,
			`larder bench: --url "localhost:8080" is not an http:// or https:// address (use http://localhost:8080)`},
		{"nothing listening", []string{"--url", nobody}, 1,
			"larder bench: no question page at " + nobody + "/services/missed-bin/pages/postcode ("},
		{"a service that is not there", []string{"--url", notFound.URL, "--service", "bulky-waste"}, 1,
			"larder bench: no question page at " + notFound.URL + "/services/bulky-waste/pages/postcode (status 404, want 200): start Larder there, or give --url, --service and --page"},
		{"a page with no form to post", []string{"--url", noForm.URL, "--duration", "100ms", "--concurrency", "1"}, 1,
			"larder bench: question page POST with errors: every request failed, the first with: no CSRF token on the page"},
		{"a flag bench does not have", []string{"--durration", "1s"}, 2,
			"flag provided but not defined: -durration"},
		{"no time to measure", []string{"--url", nobody, "--duration", "0s"}, 2,
			"larder bench: --duration 0s is not longer than zero"},
		{"no requests in flight", []string{"--url", nobody, "--concurrency", "0"}, 2,
			"larder bench: --concurrency 0 is below one"},
		{"a target below zero", []string{"--url", nobody, "--target", "-1"}, 2,
			"larder bench: --target -1 is below zero"},
		{"a word that is not a flag", []string{"--url", nobody, "fast"}, 2,
			`larder bench: takes flags only, not "fast"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			// A long --duration first: a bench that cannot run must not
			// first spend it (a later --duration in args wins).
			code, stdout, stderr := run(t, append([]string{"bench", "--duration", "1m"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d and %q in standard error:\n%s", code, tc.code, tc.want, stderr)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s to give up", took)
			}
			if tc.code == 2 && stdout != "" {
				t.Errorf("printed results although it refused its flags:\n%s", stdout)
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		code, _, stderr := run(t, "bench", "-h")
		if code != 0 || !strings.Contains(stderr, "-target") || !strings.Contains(stderr, "-concurrency") {
			t.Errorf("larder bench -h: exit %d:\n%s", code, stderr)
		}
	})
}
