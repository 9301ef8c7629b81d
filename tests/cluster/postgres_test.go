package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PostgresVariable names the environment variable that points the test at
// a PostgreSQL other than the machine's own: host:port, or a postgres://
// URL with a user and password.
const PostgresVariable = "LARDER_TEST_POSTGRES"

// postgres is where the test's databases live.
type postgres struct {
	host, port, user, password string
}

// addr is host:port.
func (pg postgres) addr() string { return net.JoinHostPort(pg.host, pg.port) }

// findPostgres returns the PostgreSQL the test uses, skipping the test with
// one line when nothing answers there.
func findPostgres(t *testing.T) postgres {
	t.Helper()
	pg := postgres{host: "127.0.0.1", port: "5432", user: "postgres"}
	if v := os.Getenv(PostgresVariable); strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || u.Hostname() == "" {
			t.Fatalf("%s=%q is neither host:port nor a postgres:// URL", PostgresVariable, v)
		}
		pg.host, pg.port = u.Hostname(), u.Port()
		if pg.port == "" {
			pg.port = "5432"
		}
		if u.User != nil {
			pg.user = u.User.Username()
			pg.password, _ = u.User.Password()
		}
	} else if v != "" {
		h, p, err := net.SplitHostPort(v)
		if err != nil {
			t.Fatalf("%s=%q is neither host:port nor a postgres:// URL", PostgresVariable, v)
		}
		pg.host, pg.port = h, p
	}
	conn, err := net.DialTimeout("tcp", pg.addr(), time.Second)
	if err != nil {
		t.Skipf("no PostgreSQL answers on %s (set %s to use another): %v", pg.addr(), PostgresVariable, err)
	}
	_ = conn.Close()
	return pg
}

// temporalDatabases are a Temporal cluster's two databases.
type temporalDatabases struct {
	// main keeps workflow histories; visibility lists them.
	main, visibility string
}

// createTemporalDatabases creates the run's own two databases with
// Temporal's SQL tool, as an operator does for a new cluster: create the
// database, set up the schema's versioning at 0.0, then update it to the
// newest version from the server module's versioned schema files. The
// databases are dropped when the test ends.
func createTemporalDatabases(t *testing.T, p programs, pg postgres) temporalDatabases {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	run := hex.EncodeToString(b[:])
	dbs := temporalDatabases{main: "larder_cluster_" + run, visibility: "larder_cluster_" + run + "_visibility"}
	for _, db := range []struct{ name, schema string }{
		{dbs.main, "temporal"},
		{dbs.visibility, "visibility"},
	} {
		sqlTool(t, p, pg, db.name, "create-database")
		t.Cleanup(func() { sqlTool(t, p, pg, db.name, "drop-database", "--force") })
		sqlTool(t, p, pg, db.name, "setup-schema", "-v", "0.0")
		sqlTool(t, p, pg, db.name, "update-schema", "-d", filepath.Join(p.schemas, db.schema, "versioned"))
	}
	return dbs
}

// sqlTool runs Temporal's SQL tool on one database, failing the test with
// what it said when it fails.
func sqlTool(t *testing.T, p programs, pg postgres, db string, args ...string) {
	t.Helper()
	all := append([]string{"--endpoint", pg.host, "--port", pg.port, "--user", pg.user, "--password", pg.password,
		"--plugin", "postgres12", "--database", db}, args...)
	out, err := exec.Command(p.sqlTool, all...).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal-sql-tool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
