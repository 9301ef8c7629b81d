package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

// config is what the flags and the environment ask of the simulator.
type config struct {
	addr string
	opts wastesim.Options
}

// parseFlags reads the flags; on a wrong one it says so with the usage
// and returns nil and exit code 2 (nil and 0 for -h).
func parseFlags(args []string, stderr io.Writer) (*config, int) {
	fs := flag.NewFlagSet("wastesim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("WASTESIM_ADDR", "127.0.0.1:8081"), "listen address (or WASTESIM_ADDR); port 0 picks a free one")
	failRate := fs.Float64("fail-rate", 0, "share of API requests answered 503, 0 to 1")
	slowRate := fs.Float64("slow-rate", 0, "share of API requests delayed by -latency, 0 to 1 (0: every request, when -latency is set)")
	latency := fs.Duration("latency", 0, "delay added to slow API requests (to every one unless -slow-rate is set)")
	dropRate := fs.Float64("drop-rate", 0, "share of API writes done and recorded, then answered by dropping the connection, 0 to 1")
	failPath := fs.String("fail-path", "", "fail and drop only API requests whose path starts with this, e.g. /api/properties/")
	seed := fs.Uint64("seed", 0, "seed for the faults' random draws, so a run can be repeated (0: a new one each run)")
	capacity := fs.Int("bulky-capacity", 20, "how many bulky-waste bookings a day's slot takes")
	reservationTTL := fs.Duration("reservation-ttl", 30*time.Minute, "how long a bulky-waste reservation waits to be confirmed before it lapses")
	keyHeader := fs.String("api-key-header", "", "header the API key (WASTESIM_API_KEY) is read from (default X-API-Key unless -api-key-query is set)")
	keyQuery := fs.String("api-key-query", "", "query parameter the API key (WASTESIM_API_KEY) may be sent in")
	tokenTTL := fs.Duration("token-ttl", time.Hour, "how long an access token from /oauth/token lasts")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of wastesim:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), authUsage)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	bad := func(format string, a ...any) (*config, int) {
		fmt.Fprintf(stderr, "wastesim: "+format+"\n", a...)
		fs.Usage()
		return nil, 2
	}
	if fs.NArg() > 0 {
		return bad("takes flags only, not %q", fs.Arg(0))
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"fail-rate", *failRate}, {"slow-rate", *slowRate}, {"drop-rate", *dropRate}} {
		if r.v < 0 || r.v > 1 || r.v != r.v {
			return bad("-%s must be from 0 to 1, not %v", r.flag, r.v)
		}
	}
	switch {
	case *capacity < 1:
		return bad("-bulky-capacity must be at least 1, not %d", *capacity)
	case *reservationTTL <= 0 || *tokenTTL <= 0:
		return bad("-reservation-ttl and -token-ttl must be more than 0")
	}
	faults := wastesim.Faults{FailRate: *failRate, SlowRate: *slowRate, Latency: *latency, DropRate: *dropRate, FailPath: *failPath}
	if err := faults.Validate(); err != nil {
		return bad("%s", flagWords(err))
	}
	return &config{addr: *addr, opts: wastesim.Options{
		Faults: faults, Seed: *seed, BulkyCapacity: *capacity, ReservationTTL: *reservationTTL,
		Open311APIKey: os.Getenv("WASTESIM_OPEN311_KEY"),
		Auth:          authFromEnv(*keyHeader, *keyQuery, *tokenTTL),
	}}, 0
}

// flagWords names the flags where a fault setting's error names its JSON key.
func flagWords(err error) string {
	return strings.NewReplacer("fail_rate", "-fail-rate", "slow_rate", "-slow-rate", "drop_rate", "-drop-rate", "latency", "-latency").Replace(err.Error())
}
