package embeddedtemporal_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/internal/embeddedtemporal"
)

// attributes are search attributes like the ones Larder registers.
var attributes = map[string]enumspb.IndexedValueType{
	"LarderService":     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"LarderCorrelation": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// start builds and starts a server, stopped when the test ends. Its own log
// goes to a file in the test's folder, not the test output.
func start(t *testing.T, cfg embeddedtemporal.Config) *embeddedtemporal.Server {
	t.Helper()
	cfg.LogLevel = "error"
	cfg.LogFile = filepath.Join(t.TempDir(), "temporal.log")
	cfg.Log = slog.New(slog.DiscardHandler)
	srv, err := embeddedtemporal.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// dial connects a client to srv's namespace, waiting for the frontend to
// answer; it is closed when the test ends.
func dial(t *testing.T, srv *embeddedtemporal.Server) client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		c, err := client.DialContext(ctx, client.Options{
			HostPort:  srv.HostPort(),
			Namespace: srv.Namespace(),
			Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		})
		if err == nil {
			t.Cleanup(c.Close)
			return c
		}
		if ctx.Err() != nil {
			t.Fatalf("dial embedded temporal at %s: %v", srv.HostPort(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkNamespace fails the test unless the server has srv's namespace with
// the search attributes Larder's case list filters on.
func checkNamespace(t *testing.T, c client.Client, namespace string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace}); err != nil {
		t.Fatalf("namespace %q: %v", namespace, err)
	}
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		t.Fatalf("list search attributes of %q: %v", namespace, err)
	}
	for name, want := range attributes {
		if got, ok := resp.GetCustomAttributes()[name]; !ok || got != want {
			t.Errorf("search attribute %s is %v (registered: %v), want %v", name, got, ok, want)
		}
	}
}

func greet(_ workflow.Context, name string) (string, error) { return "hello, " + name, nil }

// runCase runs a one-step workflow on a worker of its own and returns its
// result; it fails the test when the case does not finish in 30 seconds.
func runCase(t *testing.T, c client.Client, id, name string) string {
	t.Helper()
	queue := "test-" + id
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, greet, name)
	if err != nil {
		t.Fatalf("start case %s: %v", id, err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("case %s did not finish: %v", id, err)
	}
	return got
}

// openDatabase opens the server's SQLite file directly.
func openDatabase(t *testing.T, file string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: file}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestServerKeepsCasesInItsFile runs a case, restarts the server on the same
// file as `larder serve` does after a crash, and finds the case and the
// namespace still there; while the first server runs, a second on the same
// file is refused.
func TestServerKeepsCasesInItsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "data", "temporal.db") // the folder is made on first start
	cfg := embeddedtemporal.Config{DatabaseFile: file, Address: "127.0.0.1:0", Namespace: "larchester", SearchAttributes: attributes}
	first := start(t, cfg)
	if first.Namespace() != "larchester" {
		t.Errorf("Namespace() = %q, want larchester", first.Namespace())
	}
	c := dial(t, first)
	checkNamespace(t, c, "larchester")
	if got := runCase(t, c, "before-restart", "Sam"); got != "hello, Sam" {
		t.Fatalf("case result %q, want %q", got, "hello, Sam")
	}

	second, err := embeddedtemporal.New(cfg)
	if err == nil {
		_ = second.Stop()
		t.Fatal("a second server on the same database file started; want it refused")
	}
	for _, want := range []string{file, "in use by another larder process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second server's error %q does not say %q", err, want)
		}
	}

	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	c.Close()
	// A killed process leaves its cluster members behind; one listening on a
	// port nothing answers on would be given task queues and stall cases.
	db := openDatabase(t, file)
	if _, err := db.Exec(`INSERT INTO cluster_membership (membership_partition, host_id, rpc_address, rpc_port, role, session_start, last_heartbeat, record_expiry)
		SELECT membership_partition, X'00112233445566778899aabbccddeeff', rpc_address, 1, role, session_start, last_heartbeat, record_expiry
		FROM cluster_membership LIMIT 1`); err != nil {
		t.Fatalf("leave a stale member as a killed process would: %v", err)
	}

	restarted, err := embeddedtemporal.New(cfg)
	if err != nil {
		t.Fatalf("New on the file of a stopped server: %v", err)
	}
	t.Cleanup(func() { _ = restarted.Stop() })
	var stale int
	if err := db.QueryRow("SELECT count(*) FROM cluster_membership").Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d cluster members of earlier processes are still in the database", stale)
	}
	if err := restarted.Start(); err != nil {
		t.Fatalf("Start on the file of a stopped server: %v", err)
	}
	c = dial(t, restarted)
	checkNamespace(t, c, "larchester")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var before string
	if err := c.GetWorkflow(ctx, "before-restart", "").Get(ctx, &before); err != nil || before != "hello, Sam" {
		t.Errorf("case from before the restart: result %q, %v; want %q", before, err, "hello, Sam")
	}
	if got := runCase(t, c, "after-restart", "Alex"); got != "hello, Alex" {
		t.Errorf("case after restart: result %q, want %q", got, "hello, Alex")
	}
}

// TestServerInMemory runs the server with no database file, as tests that
// need no history across restarts may.
func TestServerInMemory(t *testing.T) {
	srv := start(t, embeddedtemporal.Config{Address: "127.0.0.1:0", SearchAttributes: attributes})
	if srv.Namespace() != "default" {
		t.Errorf("Namespace() = %q, want default when none is configured", srv.Namespace())
	}
	c := dial(t, srv)
	checkNamespace(t, c, "default")
	if got := runCase(t, c, "in-memory", "Sam"); got != "hello, Sam" {
		t.Errorf("case result %q, want %q", got, "hello, Sam")
	}
}

func TestNewRefusesBadAddresses(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = taken.Close() })
	for _, tc := range []struct{ address, want string }{
		{"127.0.0.1", "missing port"},
		{"127.0.0.1:temporal", "port is not a number"},
		{taken.Addr().String(), "is another program using it?"},
	} {
		t.Run(tc.address, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "temporal.db")
			srv, err := embeddedtemporal.New(embeddedtemporal.Config{DatabaseFile: file, Address: tc.address})
			if err == nil {
				_ = srv.Stop()
				t.Fatalf("New with address %q: want an error", tc.address)
			}
			for _, want := range []string{tc.address, tc.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			// Refused before anything is written, so the data folder is left alone.
			if _, err := os.Stat(file); err == nil {
				t.Error("a refused address left a database file behind")
			}
		})
	}
}

func TestNewRefusesDataFolderItCannotMake(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := embeddedtemporal.New(embeddedtemporal.Config{DatabaseFile: filepath.Join(blocker, "temporal.db")})
	if err == nil || !strings.Contains(err.Error(), "create data folder") {
		t.Errorf("New under a file = %v, want an error about the data folder", err)
	}
}

// TestStopBeforeStart stops servers that never started, as `larder serve`
// does when something after New fails: nothing panics and the database file
// is free for the next attempt.
func TestStopBeforeStart(t *testing.T) {
	var none *embeddedtemporal.Server
	if err := none.Stop(); err != nil {
		t.Errorf("Stop on a nil server: %v", err)
	}
	if err := new(embeddedtemporal.Server).Stop(); err != nil {
		t.Errorf("Stop on a zero server: %v", err)
	}
	file := filepath.Join(t.TempDir(), "temporal.db")
	cfg := embeddedtemporal.Config{DatabaseFile: file, LogFile: filepath.Join(t.TempDir(), "temporal.log")}
	built, err := embeddedtemporal.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := built.Stop(); err != nil {
		t.Errorf("Stop on a server that was built but not started: %v", err)
	}
	again, err := embeddedtemporal.New(cfg)
	if err != nil {
		t.Fatalf("New after Stop of an unstarted server: %v (the file should be free)", err)
	}
	_ = again.Stop()
}

// TestNewRefusesAFileThatIsNotADatabase names the file, and leaves it free
// for the next attempt once it is put right.
func TestNewRefusesAFileThatIsNotADatabase(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.db")
	if err := os.WriteFile(file, []byte("these are not the cases you are looking for\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		srv, err := embeddedtemporal.New(embeddedtemporal.Config{DatabaseFile: file})
		if err == nil {
			_ = srv.Stop()
			t.Fatalf("attempt %d: New on a file that is not a database: want an error", attempt)
		}
		if !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "in use") {
			t.Errorf("attempt %d: error %q, want one naming %s and not claiming it is in use", attempt, err, file)
		}
	}
}

// TestNewListensOnLoopbackWhenNoHostIsGiven keeps the server off other
// machines' reach unless a host is configured.
func TestNewListensOnLoopbackWhenNoHostIsGiven(t *testing.T) {
	srv, err := embeddedtemporal.New(embeddedtemporal.Config{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), Address: ":0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Stop() }()
	host, port, err := net.SplitHostPort(srv.HostPort())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Errorf("HostPort() = %q, want 127.0.0.1 and a chosen port", srv.HostPort())
	}
}

// TestPreferAddressFallsBackWhenTaken listens on the preferred address when
// it is free, as `larder serve` prefers 127.0.0.1:7233, and on another port,
// saying why, when something else has it.
func TestPreferAddressFallsBackWhenTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := taken.Addr().String()
	srv := start(t, embeddedtemporal.Config{PreferAddress: busy, SearchAttributes: attributes})
	if srv.HostPort() == busy || srv.Fallback() == nil || !strings.Contains(srv.Fallback().Error(), busy) {
		t.Errorf("with %s taken: HostPort() = %q, Fallback() = %v; want another port and the reason", busy, srv.HostPort(), srv.Fallback())
	}
	dial(t, srv)

	_ = taken.Close() // now free
	again := start(t, embeddedtemporal.Config{PreferAddress: busy, SearchAttributes: attributes})
	if again.HostPort() != busy || again.Fallback() != nil {
		t.Errorf("with %s free: HostPort() = %q, Fallback() = %v; want the preferred address", busy, again.HostPort(), again.Fallback())
	}
}

// TestServerOnEveryInterface listens on 0.0.0.0, as an operator sets
// temporal.embedded.address for the Web UI's container, and still runs
// cases, dialled on the loopback address.
func TestServerOnEveryInterface(t *testing.T) {
	srv := start(t, embeddedtemporal.Config{Address: "0.0.0.0:0", SearchAttributes: attributes})
	if host, _, _ := net.SplitHostPort(srv.HostPort()); host != "127.0.0.1" {
		t.Errorf("HostPort() = %q, want the loopback address to dial", srv.HostPort())
	}
	c := dial(t, srv)
	if got := runCase(t, c, "every-interface", "Sam"); got != "hello, Sam" {
		t.Errorf("case result %q, want %q", got, "hello, Sam")
	}
}
