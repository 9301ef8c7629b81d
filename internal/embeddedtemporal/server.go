// Package embeddedtemporal runs a single-process Temporal server persisted to
// a SQLite file or a PostgreSQL database, so that `larder serve` works on
// one machine with no cluster.
//
// It is the only package in Larder that imports go.temporal.io/server; keep it
// that way so that most tests do not link the server.
package embeddedtemporal

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Config says where the embedded server keeps its state and listens.
type Config struct {
	// DatabaseFile is the SQLite file holding every case's history. Empty
	// means in memory: cases are lost when the process stops (tests only).
	DatabaseFile string
	// Database, when set, is a postgres:// URL of the database holding
	// every case's history instead of DatabaseFile; its schema is made or
	// upgraded as the server is built. It is a secret: it is never logged
	// and errors name it without its password.
	Database string
	// Address is the host:port of the frontend; port 0 picks a free one.
	Address string
	// PreferAddress, when Address is empty, is tried first; if it cannot
	// be listened on, a free port is used instead and Fallback says why.
	PreferAddress string
	// Namespace is created on start if it does not exist.
	Namespace string
	// LogLevel of the server's own log: debug, info, warn or error.
	LogLevel string
	// LogFile receives the server's own log; empty means standard error.
	LogFile string
	// SearchAttributes are registered on the namespace when it is created.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Log receives what happens to the PostgreSQL database's lock; nil is
	// slog.Default().
	Log *slog.Logger
	// Retention is how long a closed case is kept before Temporal deletes
	// it; zero means DefaultRetention. Start gives it to a namespace made
	// earlier with another.
	Retention time.Duration
}

// Server is an embedded Temporal server. Construct with New, then Start, then
// Stop; Stop is safe on a server that never started.
type Server struct {
	cfg      Config
	hostPort string
	srv      temporal.Server
	lock     *os.File
	pg       *postgresStore
	// fallback says why PreferAddress was not used.
	fallback error
}

// New prepares the schema and namespace and builds the server, which
// listens from then on but serves once started.
func New(cfg Config) (*Server, error) {
	s, err := build(cfg)
	var f fatal
	if err != nil && errors.As(err, &f) && cfg.Address == "" && cfg.PreferAddress != "" {
		// Another program took the preferred port after it was found free.
		cfg.PreferAddress = ""
		if s, err = build(cfg); err == nil {
			s.fallback = f
		}
	}
	return s, err
}

func build(cfg Config) (*Server, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	host, ports, fallback, err := choosePorts(cfg.Address, cfg.PreferAddress)
	if err != nil {
		return nil, err
	}
	if cfg.Database != "" {
		// PostgreSQL keeps each member's port in a smallint column: the
		// membership ports must be below 32768, where the system never
		// hands out ports of its own.
		low, err := lowPorts(host, 4)
		if err != nil {
			return nil, err
		}
		copy(ports[4:], low)
	}
	s := &Server{cfg: cfg, hostPort: net.JoinHostPort(reachable(host), strconv.Itoa(ports[0])), fallback: fallback}
	defer func() {
		if s.srv == nil {
			s.unlock()
		}
	}()
	persistence, sqlCfg, err := s.openStore(ports[0])
	if err != nil {
		return nil, err
	}
	ns, err := sqlite.NewNamespaceConfig("active", cfg.Namespace, false, cfg.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: namespace %q: %w", cfg.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(cfg.Retention)
	// Despite its package, CreateNamespaces writes through whichever SQL
	// plugin sqlCfg names, PostgreSQL included.
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		err = fmt.Errorf("embedded temporal: create namespace: %w", err)
		if s.pg != nil {
			err = scrub(err, s.pg.history.Password)
		}
		return nil, err
	}

	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: cfg.LogLevel, OutputFile: cfg.LogFile}))
	srv, err := newServer(serverConfig(persistence, host, ports), logger)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}
	s.srv = srv
	return s, nil
}

// openStore locks and prepares the database: PostgreSQL when Database is
// set, else the SQLite file (or memory).
func (s *Server) openStore(port int) (config.Persistence, *config.SQL, error) {
	if s.cfg.Database != "" {
		pg, err := openPostgres(s.cfg.Database, cmp.Or(s.cfg.Log, slog.Default()))
		if err != nil {
			return config.Persistence{}, nil, err
		}
		s.pg = pg
		return config.Persistence{
			DefaultStore:     "history",
			VisibilityStore:  "visibility",
			NumHistoryShards: PostgresHistoryShards,
			DataStores: map[string]config.DataStore{
				"history": {SQL: &pg.history}, "visibility": {SQL: &pg.visibility},
			},
		}, &pg.history, nil
	}
	lock, err := lockDatabase(s.cfg.DatabaseFile)
	if err != nil {
		return config.Persistence{}, nil, err
	}
	s.lock = lock
	sqlCfg := &config.SQL{
		PluginName: sqliteplugin.PluginName,
		// The server's SQLite plugin opens one connection whatever
		// MaxConns says, so every store waits its turn on it.
		ConnectAttributes: map[string]string{"mode": "rwc", "_journal_mode": "wal", "_synchronous": "2"},
		DatabaseName:      s.cfg.DatabaseFile,
	}
	if s.cfg.DatabaseFile == "" {
		sqlCfg.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		sqlCfg.DatabaseName = "larder-" + strconv.Itoa(port)
	}
	if err := prepareSchema(sqlCfg, s.cfg.DatabaseFile); err != nil {
		return config.Persistence{}, nil, err
	}
	if err := forgetEarlierProcesses(s.cfg.DatabaseFile); err != nil {
		return config.Persistence{}, nil, err
	}
	return config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
	}, sqlCfg, nil
}

// newServer builds the server. Temporal ends the whole process when it
// cannot listen on a port (another program took it since it was found
// free); here that becomes an error instead.
func newServer(cfg *config.Config, logger log.Logger) (srv temporal.Server, err error) {
	building := &atomic.Bool{}
	building.Store(true)
	defer func() {
		building.Store(false)
		if r := recover(); r != nil {
			f, ok := r.(fatal)
			if !ok {
				panic(r)
			}
			srv, err = nil, f
		}
	}()
	return temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(panicOnFatal{logger, building}),
		// Larder's own /metrics reports cases; the server's internals are not exported.
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// One worker process polls all queues; forwarding between partitions only adds latency.
			dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  []dynamicconfig.ConstrainedValue{{Value: 1}},
			dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): []dynamicconfig.ConstrainedValue{{Value: 1}},
		}),
	)
}

// fatal is a message the server would have ended the process with.
type fatal string

func (f fatal) Error() string { return string(f) }

// panicOnFatal is the server's logger, with Fatal turned into a panic
// newServer recovers from while building is true.
type panicOnFatal struct {
	log.Logger
	building *atomic.Bool
}

func (l panicOnFatal) Fatal(msg string, tags ...tag.Tag) {
	if !l.building.Load() {
		l.Logger.Fatal(msg, tags...)
		return
	}
	l.Logger.Error(msg, tags...)
	for _, t := range tags {
		if t.Key() == "address" || t.Key() == "error" {
			msg += " " + t.Key() + "=" + fmt.Sprint(t.Value())
		}
	}
	panic(fatal(msg))
}

// Start makes the server listen, and gives the namespace the configured
// retention if it was made with another.
func (s *Server) Start() error {
	if err := s.srv.Start(); err != nil {
		return fmt.Errorf("embedded temporal: start: %w", err)
	}
	return s.ensureRetention()
}

// Fallback is why the server does not listen on Config.PreferAddress, or
// nil when it does (or none was preferred).
func (s *Server) Fallback() error { return s.fallback }

// Where names the database for a log line, without a password.
func (s *Server) Where() string {
	if s.pg != nil {
		return s.pg.where
	}
	if s.cfg.DatabaseFile == "" {
		return "memory"
	}
	return s.cfg.DatabaseFile
}

// Stop shuts the server down; safe on a nil or unstarted server.
func (s *Server) Stop() error {
	if s == nil || s.srv == nil {
		return nil
	}
	defer s.unlock()
	return s.srv.Stop()
}

func (s *Server) unlock() {
	s.pg.release()
	s.pg = nil
	if s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
}

// Lost has an error when another process took the PostgreSQL database
// while this server had lost its connection (see hold): stop the server.
// It never has one for SQLite, nor on a nil server.
func (s *Server) Lost() <-chan error {
	if s == nil || s.pg == nil {
		return nil
	}
	return s.pg.lost
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the namespace the server was created with.
func (s *Server) Namespace() string { return s.cfg.Namespace }

// prepareSchema creates the tables in a new database file. An in-memory
// database needs nothing: Temporal's SQLite plugin creates its tables as it
// first connects, and setting them up again fails on the existing tables.
func prepareSchema(sqlCfg *config.SQL, file string) error {
	if file == "" {
		return nil
	}
	if _, err := os.Stat(file); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("embedded temporal: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return fmt.Errorf("embedded temporal: create data folder: %w", err)
	}
	if err := sqlite.SetupSchema(sqlCfg); err != nil {
		_ = os.Remove(file) // a half-made schema would be skipped next start
		return fmt.Errorf("embedded temporal: set up schema: %w", err)
	}
	return nil
}

func serverConfig(persistence config.Persistence, host string, ports []int) *config.Config {
	service := func(i int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: ports[i], MembershipPort: ports[4+i], BindOnIP: host}}
	}
	frontend := net.JoinHostPort(reachable(host), strconv.Itoa(ports[0]))
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: reachable(host)},
		},
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(0), "history": service(1), "matching": service(2), "worker": service(3),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
	}
}

// choosePorts finds the frontend's port and seven more for the other
// services: the one in address, else the one in prefer when it is free,
// else any free one (with the reason prefer was passed over).
func choosePorts(address, prefer string) (string, []int, error, error) {
	if address == "" && prefer != "" {
		host, port, err := splitAddress(prefer)
		if err != nil {
			return "", nil, nil, err
		}
		ports, err := freePorts(host, port, 4+4)
		if err == nil {
			return host, ports, nil, nil
		}
		ports, err2 := freePorts(host, 0, 4+4)
		if err2 != nil {
			return "", nil, nil, err2
		}
		return host, ports, err, nil
	}
	host, port, err := splitAddress(address)
	if err != nil {
		return "", nil, nil, err
	}
	ports, err := freePorts(host, port, 4+4)
	return host, ports, nil, err
}

// AddressError says the frontend's address cannot be used: it is not a
// host:port, or another program listens there.
type AddressError struct{ Err error }

func (e *AddressError) Error() string { return e.Err.Error() }

func (e *AddressError) Unwrap() error { return e.Err }

// reachable is an address this process reaches a server bound to host on:
// host itself, or the loopback address when host is every interface
// (0.0.0.0 or ::), which cannot be dialled or told to cluster members.
func reachable(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() == nil {
			return "::1"
		}
		return "127.0.0.1"
	}
	return host
}

// lowPorts finds n free ports on host between 20000 and 32767, tried in
// a random order so that servers started side by side rarely meet.
func lowPorts(host string, n int) ([]int, error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for _, p := range rand.Perm(32768 - 20000) {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(20000+p)))
		if err != nil {
			continue
		}
		held = append(held, l)
		if ports = append(ports, 20000+p); len(ports) == n {
			return ports, nil
		}
	}
	return nil, fmt.Errorf("embedded temporal: no free ports below 32768 on %s for cluster membership", host)
}

func splitAddress(addr string) (string, int, error) {
	if addr == "" {
		return "127.0.0.1", 0, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, &AddressError{fmt.Errorf("embedded temporal: address %q: %w", addr, err)}
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, &AddressError{fmt.Errorf("embedded temporal: address %q: port is not a number", addr)}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

// freePorts returns n ports on host: the first is want when want is not 0.
// A wanted port that is taken is an error here: the server itself would end
// the whole process when it failed to listen on it.
func freePorts(host string, want, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	if want != 0 {
		addr := net.JoinHostPort(host, strconv.Itoa(want))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, &AddressError{fmt.Errorf("embedded temporal: cannot listen on %s (is another program using it?): %w", addr, err)}
		}
		held = append(held, l)
		ports = append(ports, want)
	}
	for len(ports) < n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("embedded temporal: find a free port on %s: %w", host, err)
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
