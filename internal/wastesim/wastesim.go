package wastesim

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// ReportDays is how long a miss may be reported: on the collection day and
// the days after it up to this many, counted in whole days on the clock's
// calendar, whatever the hour and across a change of the clocks.
const ReportDays = 3

// Options tune the simulator.
type Options struct {
	// Now is the simulator's clock; default time.Now. The demo data is laid
	// out from its first reading, rounds come as it moves on, and every date
	// (a report's collection day and window, a reservation's lapse, a
	// subscription's end, a token's expiry) follows it.
	Now func() time.Time
	// Faults are injected into API requests.
	Faults Faults
	// Seed makes the faults' random draws repeatable; 0 draws a seed.
	Seed uint64
	// BulkyCapacity is how many bulky-waste bookings a day's slot takes;
	// default 20.
	BulkyCapacity int
	// ReservationTTL is how long a bulky-waste reservation waits to be
	// confirmed before it lapses and frees its place; default 30 minutes.
	ReservationTTL time.Duration
	// Auth, when set, is the credentials the /api and /open311 routes ask
	// for; nil asks for none, as the demo needs.
	Auth *Auth
	// Open311APIKey is the api_key a GeoReport v2 POST must carry; default
	// "demo-open311-key".
	Open311APIKey string
}

// Server is the simulator; it is an http.Handler.
type Server struct {
	now func() time.Time
	// first is the simulator's first day, which the demo rounds are laid out from.
	first time.Time
	mux   *http.ServeMux
	opts  Options
	// routes are the patterns the mux serves, in the order added.
	routes []string

	mu      sync.Mutex
	props   map[string]house
	order   []string
	missed  []MissedCollection
	bulky   []Reservation
	garden  []Subscription
	reports []ServiceRequest
	faults  Faults
	// injected counts the faults done and the replies replayed.
	injected Injected
	rand     *rand.Rand
	tokens   map[string]time.Time
	issued   int

	// writes serialises POSTs so a key's first reply is stored before a
	// repeat of it is looked up.
	writes  sync.Mutex
	replies map[string]reply
}

// New builds a simulator seeded with the demo data set.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BulkyCapacity <= 0 {
		opts.BulkyCapacity = 20
	}
	if opts.ReservationTTL <= 0 {
		opts.ReservationTTL = 30 * time.Minute
	}
	if opts.Open311APIKey == "" {
		opts.Open311APIKey = "demo-open311-key"
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Server{
		now: opts.Now, first: date(opts.Now()), mux: http.NewServeMux(), opts: opts,
		props: map[string]house{}, faults: opts.Faults,
		rand:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tokens: map[string]time.Time{}, replies: map[string]reply{},
	}
	for _, h := range demoHouses(s.first) {
		s.props[h.uprn] = h
		s.order = append(s.order, h.uprn)
	}
	s.handle("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	s.handle("GET /openapi.json", serveOpenAPI)
	s.handle("PUT /admin/faults", s.setFaults)
	s.handle("GET /admin/faults", s.getFaults)
	s.handle("POST /oauth/token", s.issueToken)

	s.api("GET /api/properties", s.findProperties)
	s.api("GET /api/properties/{uprn}", s.getProperty)
	s.api("GET /api/rounds", s.listRounds)
	s.api("POST /api/missed-collections", s.reportMissed)
	s.check("GET /api/missed-collections", s.listMissed)

	s.api("GET /api/bulky-waste/slots", s.listSlots)
	s.api("POST /api/bulky-waste/reservations", s.reserve)
	s.api("POST /api/bulky-waste/reservations/{id}/confirm", s.confirm)
	s.api("POST /api/bulky-waste/reservations/{id}/cancel", s.cancel)
	s.check("GET /api/bulky-waste/reservations", s.listReservations)

	s.api("POST /api/garden-waste/subscriptions", s.subscribe)
	s.api("POST /api/garden-waste/subscriptions/{id}/renew", s.renew)
	s.api("GET /api/garden-waste/subscriptions/{id}", s.getSubscription)
	s.check("GET /api/garden-waste/subscriptions", s.listSubscriptions)

	s.api("GET /open311/v2/{file}", s.open311List)
	s.api("POST /open311/v2/{file}", s.open311Post)
	s.api("GET /open311/v2/services/{file}", s.open311Service)
	s.api("GET /open311/v2/requests/{file}", s.open311Request)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// handle serves pattern with h as it is: no credentials, no faults.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, h)
}

// api serves an API route: it asks for credentials when Options.Auth is
// set, meets the injected faults, and its writes honour Idempotency-Key.
func (s *Server) api(pattern string, h http.HandlerFunc) {
	s.handle(pattern, s.authorised(s.faulty(h)))
}

// check serves a listing that checks and load commands read: it asks for
// credentials like the API but never meets a fault.
func (s *Server) check(pattern string, h http.HandlerFunc) {
	s.handle(pattern, s.authorised(h))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}
