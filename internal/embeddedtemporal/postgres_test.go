package embeddedtemporal_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"

	"github.com/larder-council/larder/internal/embeddedtemporal"
)

// postgresAdmin is the development and CI machines' PostgreSQL.
const postgresAdmin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// postgresDatabase makes an empty database of the test's own, dropped when
// the test ends, and returns its name; it skips the test when no
// PostgreSQL answers.
func postgresDatabase(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("pgx", postgresAdmin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		t.Skipf("no PostgreSQL at 127.0.0.1:5432 (user postgres): %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "larder_temporal_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// postgresURL is the URL of a database with a password in it, as an
// operator's would have (trust authentication ignores it), so tests can
// check it never shows.
func postgresURL(name string) string {
	return "postgres://postgres:not-for-logs-7f3a@127.0.0.1:5432/" + name + "?sslmode=disable"
}

// openPostgres opens a database directly, closed when the test ends.
func openPostgres(t *testing.T, name string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", postgresURL(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestServerOnPostgres makes the schema in an empty database, runs a case,
// refuses a second server on the same database, and after a restart finds
// the case still there and runs another, with no member of the first run
// left behind.
func TestServerOnPostgres(t *testing.T) {
	name := postgresDatabase(t)
	cfg := embeddedtemporal.Config{Database: postgresURL(name), Address: "127.0.0.1:0", Namespace: "larchester", SearchAttributes: attributes}
	first := start(t, cfg)
	if strings.Contains(first.Where(), "not-for-logs") || !strings.Contains(first.Where(), name) {
		t.Errorf("Where() = %q, want the database named without its password", first.Where())
	}
	c := dial(t, first)
	checkNamespace(t, c, "larchester")
	info, err := c.WorkflowService().GetClusterInfo(context.Background(), &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetHistoryShardCount() != embeddedtemporal.PostgresHistoryShards {
		t.Errorf("history shards %d, want %d", info.GetHistoryShardCount(), embeddedtemporal.PostgresHistoryShards)
	}
	if got := runCase(t, c, "before-restart", "Sam"); got != "hello, Sam" {
		t.Fatalf("case result %q, want %q", got, "hello, Sam")
	}

	second, err := embeddedtemporal.New(cfg)
	if err == nil {
		_ = second.Stop()
		t.Fatal("a second server on the same database started; want it refused")
	}
	if !strings.Contains(err.Error(), "in use by another larder process") || !strings.Contains(err.Error(), name) {
		t.Errorf("second server's error %q does not say the database %s is in use", err, name)
	}
	if strings.Contains(err.Error(), "not-for-logs") {
		t.Errorf("second server's error shows the database password: %q", err)
	}

	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	c.Close()
	db := openPostgres(t, name)
	if _, err := db.Exec(`INSERT INTO cluster_membership (membership_partition, host_id, rpc_address, rpc_port, role, session_start, last_heartbeat, record_expiry)
		SELECT membership_partition, '\x00112233445566778899aabbccddeeff'::bytea, rpc_address, 1, role, session_start, last_heartbeat, record_expiry
		FROM cluster_membership LIMIT 1`); err != nil {
		t.Fatalf("leave a stale member as a killed process would: %v", err)
	}

	restarted := start(t, cfg)
	var stale int
	if err := db.QueryRow(`SELECT count(*) FROM cluster_membership WHERE rpc_port = 1`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d cluster members of earlier processes are still in the database", stale)
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

// TestServerUpgradesAnOldPostgresSchema starts on a database an older
// Temporal made and finds both schemas brought up to this server's
// versions, with cases running.
func TestServerUpgradesAnOldPostgresSchema(t *testing.T) {
	name := postgresDatabase(t)
	db := openPostgres(t, name)
	if _, err := db.Exec(`CREATE SCHEMA temporal_visibility`); err != nil {
		t.Fatal(err)
	}
	oldSchema(t, name, "", "postgresql/v12/temporal", "1.10")
	oldSchema(t, name, "temporal_visibility,public", "postgresql/v12/visibility", "1.5")

	srv := start(t, embeddedtemporal.Config{Database: postgresURL(name), Address: "127.0.0.1:0", SearchAttributes: attributes})
	for table, want := range map[string]string{"schema_version": pgschema.Version, "temporal_visibility.schema_version": pgschema.VisibilityVersion} {
		var got string
		if err := db.QueryRow(`SELECT curr_version FROM ` + table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s is at %s, want %s", table, got, want)
		}
	}
	c := dial(t, srv)
	checkNamespace(t, c, "default")
	if got := runCase(t, c, "after-upgrade", "Sam"); got != "hello, Sam" {
		t.Errorf("case result %q, want %q", got, "hello, Sam")
	}
}

// oldSchema sets up one of Temporal's schemas at an old version, as
// Temporal's own schema tool would have.
func oldSchema(t *testing.T, database, searchPath, schemaName, version string) {
	t.Helper()
	cfg := &config.SQL{
		PluginName: postgresplugin.PluginNamePGX, DatabaseName: database, ConnectAddr: "127.0.0.1:5432", ConnectProtocol: "tcp",
		User: "postgres", ConnectAttributes: map[string]string{"sslmode": "disable"},
	}
	if searchPath != "" {
		cfg.ConnectAttributes["search_path"] = searchPath
	}
	conn, err := sqltool.NewConnection(cfg, log.NewNoopLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, log.NewNoopLogger()).Run(); err != nil {
		t.Fatalf("set up %s at 0.0: %v", schemaName, err)
	}
	if err := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{SchemaName: schemaName, TargetVersion: version}, log.NewNoopLogger()).Run(); err != nil {
		t.Fatalf("update %s to %s: %v", schemaName, version, err)
	}
}

// TestNewRefusesAPostgresDatabaseItCannotReach names the database without
// its password and says what to check.
func TestNewRefusesAPostgresDatabaseItCannotReach(t *testing.T) {
	postgresDatabase(t) // skips when no PostgreSQL answers
	url := postgresURL("larder_no_such_database")
	_, err := embeddedtemporal.New(embeddedtemporal.Config{Database: url, LogFile: filepath.Join(t.TempDir(), "temporal.log")})
	if err == nil {
		t.Fatal("New on a database that does not exist: want an error")
	}
	if !strings.Contains(err.Error(), "larder_no_such_database") || !strings.Contains(err.Error(), "does the database exist?") {
		t.Errorf("error %q does not name the database and say what to check", err)
	}
	if strings.Contains(err.Error(), "not-for-logs") {
		t.Errorf("error shows the database password: %q", err)
	}
}
