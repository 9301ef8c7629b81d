package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// benchResult is one scenario's throughput and latency.
type benchResult struct {
	name     string
	requests int
	errors   int
	rps      float64
	p50, p99 time.Duration
}

// benchCommand measures a running Larder's question page, and a POST that
// fails validation, beside gin's bare minimal handler in the same run:
//
//	larder bench --url http://localhost:8080 --duration 10s --concurrency 16
func benchCommand(args []string, out io.Writer) int {
	fs := flag.NewFlagSet("larder bench", flag.ContinueOnError)
	base := fs.String("url", "http://localhost:8080", "Larder to measure")
	service := fs.String("service", "missed-bin", "service whose first page is measured")
	page := fs.String("page", "postcode", "page measured")
	field := fs.String("field", "postcode", "question posted with a bad answer")
	duration := fs.Duration("duration", 10*time.Second, "how long each scenario runs")
	workers := fs.Int("concurrency", 16, "requests in flight")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	bare, stop, err := startBareGin()
	if err != nil {
		fmt.Fprintln(out, "bench:", err)
		return 1
	}
	defer stop()
	pageURL := strings.TrimRight(*base, "/") + "/services/" + *service + "/pages/" + *page
	scenarios := []struct {
		name string
		hit  func(c *http.Client) error
	}{
		{"gin bare handler GET", getOK(bare)},
		{"question page GET", getOK(pageURL)},
		{"question page POST with errors", postWithErrors(pageURL, *field)},
	}
	var results []benchResult
	for _, sc := range scenarios {
		r, err := load(sc.name, sc.hit, *duration, *workers)
		if err != nil {
			fmt.Fprintln(out, "bench:", err)
			return 1
		}
		results = append(results, r)
	}
	fmt.Fprintf(out, "%-32s %10s %10s %10s %8s\n", "scenario", "req/s", "p50", "p99", "errors")
	for _, r := range results {
		fmt.Fprintf(out, "%-32s %10.0f %10s %10s %8d\n", r.name, r.rps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.errors)
	}
	ratio := results[1].rps / results[0].rps
	fmt.Fprintf(out, "question page GET / gin bare: %.2f (target at least 0.50)\n", ratio)
	if ratio < 0.5 {
		return 1
	}
	return 0
}

// startBareGin serves gin's minimal handler on a free port.
func startBareGin() (string, func(), error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/ping", func(c *gin.Context) { c.String(http.StatusOK, "pong") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/ping", func() { _ = srv.Shutdown(context.Background()) }, nil
}

func getOK(u string) func(c *http.Client) error {
	return func(c *http.Client) error {
		resp, err := c.Get(u)
		return drain(resp, err, http.StatusOK)
	}
}

// drain reads and closes a reply, so its connection is reused, and checks
// its status.
func drain(resp *http.Response, err error, want int) error {
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	return nil
}

var benchCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// postWithErrors posts a bad answer with a session's CSRF token, expecting 422.
func postWithErrors(pageURL, field string) func(c *http.Client) error {
	var once sync.Map
	return func(c *http.Client) error {
		tok, ok := once.Load(c)
		if !ok {
			resp, err := c.Get(pageURL)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			m := benchCSRF.FindSubmatch(body)
			if m == nil {
				return errors.New("no CSRF token on the page")
			}
			tok = string(m[1])
			once.Store(c, tok)
		}
		resp, err := c.PostForm(pageURL, url.Values{"csrf_token": {tok.(string)}, field: {"not valid at all"}})
		return drain(resp, err, http.StatusUnprocessableEntity)
	}
}

// load runs hit from workers clients for d and summarises.
func load(name string, hit func(*http.Client) error, d time.Duration, workers int) (benchResult, error) {
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := hit(c); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		return benchResult{}, fmt.Errorf("%s: every request failed", name)
	}
	slices.Sort(lat)
	return benchResult{
		name: name, requests: len(lat), errors: errs, rps: float64(len(lat)) / elapsed.Seconds(),
		p50: lat[len(lat)/2], p99: lat[len(lat)*99/100],
	}, nil
}
