package main

import (
	"cmp"
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
// fails validation, beside gin's bare minimal handler in the same run; the
// table goes to out, problems to errOut:
//
//	larder bench --url http://localhost:8080 --duration 10s --concurrency 16
//
// It exits 1 when the question page manages less than --target of gin's
// requests a second, 2 when its flags are wrong. Its POSTs come from one
// address: run the measured Larder with LARDER_ANSWERS_PER_MINUTE=0.
func benchCommand(args []string, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("larder bench", flag.ContinueOnError)
	fs.SetOutput(errOut)
	base := fs.String("url", "http://localhost:8080", "Larder to measure")
	service := fs.String("service", "missed-bin", "service whose first page is measured")
	page := fs.String("page", "postcode", "page measured")
	field := fs.String("field", "postcode", "question posted with a bad answer")
	duration := fs.Duration("duration", 10*time.Second, "how long each scenario runs")
	workers := fs.Int("concurrency", 16, "requests in flight")
	target := fs.Float64("target", 0.5, "least question page GETs a second as a share of gin's; below it bench exits 1")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	refuse := func(format string, a ...any) int {
		fmt.Fprintf(errOut, "larder bench: "+format+"\n", a...)
		return 2
	}
	switch u, err := url.Parse(*base); {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return refuse("--url %q is not an http:// or https:// address (use http://localhost:8080)", *base)
	case *duration <= 0:
		return refuse("--duration %s is not longer than zero (use 10s)", *duration)
	case *workers < 1:
		return refuse("--concurrency %d is below one (use 16)", *workers)
	case *target < 0:
		return refuse("--target %g is below zero (use 0.5)", *target)
	case fs.NArg() > 0:
		return refuse("takes flags only, not %q", fs.Arg(0))
	}
	pageURL := strings.TrimRight(*base, "/") + "/services/" + *service + "/pages/" + *page
	// One request first, so a Larder that is not there is said at once,
	// not after every scenario has run for its duration.
	if err := getOK(pageURL)(&http.Client{Timeout: 10 * time.Second}); err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // the URL is said already
		}
		fmt.Fprintf(errOut, "larder bench: no question page at %s (%v): start Larder there, or give --url, --service and --page of one that runs\n", pageURL, err)
		return 1
	}
	bare, stop, err := startBareGin()
	if err != nil {
		fmt.Fprintln(errOut, "larder bench:", err)
		return 1
	}
	defer stop()
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
			fmt.Fprintln(errOut, "larder bench:", err)
			return 1
		}
		results = append(results, r)
	}
	fmt.Fprintf(out, "%-32s %10s %10s %10s %8s\n", "scenario", "req/s", "p50", "p99", "errors")
	for _, r := range results {
		fmt.Fprintf(out, "%-32s %10.0f %10s %10s %8d\n", r.name, r.rps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.errors)
	}
	ratio := results[1].rps / results[0].rps
	fmt.Fprintf(out, "question page GET / gin bare: %.2f (target at least %.2f)\n", ratio, *target)
	if ratio < *target {
		fmt.Fprintf(errOut, "larder bench: the question page serves %.2f of gin's bare requests a second, below the target %.2f\n", ratio, *target)
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
	var first error
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
			defer c.CloseIdleConnections()
			var mine []time.Duration
			var mineFirst error
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := hit(c); err != nil {
					bad++
					mineFirst = cmp.Or(mineFirst, err)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs, first = append(lat, mine...), errs+bad, cmp.Or(first, mineFirst)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 && first == nil {
		return benchResult{}, fmt.Errorf("%s: no request finished within %s", name, d)
	}
	if len(lat) == 0 {
		return benchResult{}, fmt.Errorf("%s: every request failed, the first with: %w", name, first)
	}
	slices.Sort(lat)
	return benchResult{
		name: name, requests: len(lat), errors: errs, rps: float64(len(lat)) / elapsed.Seconds(),
		p50: lat[len(lat)/2], p99: lat[len(lat)*99/100],
	}, nil
}
