package embeddedtemporal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver the server's plugin also uses
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	pgschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// PostgresHistoryShards is how many history shards a PostgreSQL database
// is made with: more than SQLite's one, so that cases on different shards
// are written at once and the server uses every core. Temporal fixes the
// number when the database is made; a database made with another number
// keeps its own (the server reads it back), whatever this says.
const PostgresHistoryShards = 4

// visibilitySchema is the PostgreSQL schema, inside the one database the
// operator names, that holds Temporal's visibility tables (the case list).
// Temporal keeps them apart from the history tables because both sets
// carry a schema_version table; a schema of their own keeps the install to
// one database and one URL.
const visibilitySchema = "temporal_visibility"

// lockKey is the PostgreSQL advisory lock a running embedded server holds
// on its database ("Larder" in ASCII, then 1).
const lockKey int64 = 0x4c61726465720001

// postgresStore is a PostgreSQL database set up for the embedded server,
// locked to this process until release.
type postgresStore struct {
	history, visibility config.SQL
	// where names the database for logs and errors, without the password.
	where string
	db    *sql.DB
	conn  *sql.Conn
	// pid is the PostgreSQL backend of conn, the session holding the lock.
	pid int
	// stop ends hold, which closes held as it returns; lost has hold's
	// error when another process took the database.
	stop, held chan struct{}
	lost       chan error
}

// Redact is a postgres:// URL with its password hidden, fit for a log line
// or an error message: the URL itself is a secret.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a database URL that cannot be read)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.Redacted()
}

// postgresConfig reads a postgres:// URL into the server's SQL settings.
func postgresConfig(raw string) (config.SQL, string, error) {
	where := Redact(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() == "" || strings.Trim(u.Path, "/") == "" {
		return config.SQL{}, where, fmt.Errorf("embedded temporal: database %s is not a postgres:// URL naming a database (postgres://user:password@host:5432/temporal)", where)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	password, _ := u.User.Password()
	attrs := map[string]string{}
	for k, v := range u.Query() {
		attrs[k] = v[len(v)-1]
	}
	return config.SQL{
		PluginName:        postgresplugin.PluginNamePGX,
		DatabaseName:      strings.Trim(u.Path, "/"),
		ConnectAddr:       net.JoinHostPort(u.Hostname(), port),
		ConnectProtocol:   "tcp",
		User:              u.User.Username(),
		Password:          password,
		ConnectAttributes: attrs,
		MaxConns:          20,
		MaxIdleConns:      20,
		MaxConnLifetime:   time.Hour,
	}, where, nil
}

// openPostgres locks the database to this process, creates or upgrades
// Temporal's schema in it and forgets the cluster members of processes
// that ran on it before. The lock is held (see hold) until release.
func openPostgres(raw string, log *slog.Logger) (_ *postgresStore, err error) {
	history, where, err := postgresConfig(raw)
	if err != nil {
		return nil, err
	}
	s := &postgresStore{history: history, where: where}
	defer func() {
		if err != nil {
			s.release()
			err = scrub(err, history.Password)
		}
	}()
	if err := s.lock(raw); err != nil {
		return nil, err
	}
	s.visibility = history
	s.visibility.MaxConns, s.visibility.MaxIdleConns = 10, 10
	s.visibility.ConnectAttributes = map[string]string{}
	for k, v := range history.ConnectAttributes {
		s.visibility.ConnectAttributes[k] = v
	}
	// public stays on the path for the btree_gin operator classes when that
	// extension was installed there before.
	s.visibility.ConnectAttributes["search_path"] = visibilitySchema + ",public"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+visibilitySchema); err != nil {
		return nil, fmt.Errorf("embedded temporal: create schema %s in %s: %w", visibilitySchema, where, err)
	}
	if err := s.prepare(ctx, &s.history, "schema_version", "postgresql/v12/temporal", pgschema.Version); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx, &s.visibility, visibilitySchema+".schema_version", "postgresql/v12/visibility", pgschema.VisibilityVersion); err != nil {
		return nil, err
	}
	// Each run listens on fresh ports; members left by a killed process
	// would be given task queues nothing answers for. The lock says no
	// other server runs on this database, so every member is stale.
	if _, err := s.conn.ExecContext(ctx, "DELETE FROM cluster_membership"); err != nil {
		return nil, fmt.Errorf("embedded temporal: clear stale membership in %s: %w", where, err)
	}
	s.stop, s.held, s.lost = make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go s.hold(log)
	return s, nil
}

// lock takes a session advisory lock on a connection of its own, held
// until release. PostgreSQL lets it go when that connection ends, so a
// SIGKILLed `larder serve` frees the database for its restart.
func (s *postgresStore) lock(raw string) error {
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return fmt.Errorf("embedded temporal: database %s: %w", s.where, err)
	}
	s.db = db
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("embedded temporal: connect to %s (is PostgreSQL running, and does the database exist?): %w", s.where, err)
	}
	s.conn = conn
	if s.pid, err = takeLock(ctx, conn); err != nil {
		return fmt.Errorf("embedded temporal: lock %s: %w", s.where, err)
	}
	if s.pid == 0 {
		return fmt.Errorf("embedded temporal: %s is in use by another larder process; stop it or give this one another database", s.where)
	}
	return nil
}

// prepare sets up one of Temporal's two schemas in a database that has
// none, or upgrades it to the version this server needs. versionTable is
// the schema's version table as seen from the lock's connection.
func (s *postgresStore) prepare(ctx context.Context, cfg *config.SQL, versionTable, name, version string) error {
	var found sql.NullString
	if err := s.conn.QueryRowContext(ctx, "SELECT to_regclass($1)::text", versionTable).Scan(&found); err != nil {
		return fmt.Errorf("embedded temporal: read schema of %s: %w", s.where, err)
	}
	logger := log.NewNoopLogger()
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("embedded temporal: connect to %s: %w", s.where, err)
	}
	defer conn.Close()
	if !found.Valid {
		task := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{SchemaName: name, InitialVersion: version}, logger)
		if err := task.Run(); err != nil {
			return fmt.Errorf("embedded temporal: set up %s schema in %s: %w", name, s.where, err)
		}
		return nil
	}
	if _, err := conn.ReadSchemaVersion(); err != nil {
		return fmt.Errorf("embedded temporal: %s has a %s schema with no version (a setup that did not finish?); drop it or use an empty database: %w", s.where, name, err)
	}
	task := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{SchemaName: name}, logger)
	if err := task.Run(); err != nil {
		return fmt.Errorf("embedded temporal: upgrade %s schema in %s: %w", name, s.where, err)
	}
	return nil
}

// release lets the database go; safe on a half-made store.
func (s *postgresStore) release() {
	if s == nil {
		return
	}
	if s.stop != nil {
		close(s.stop)
		<-s.held
		s.stop = nil
	}
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
	if s.db != nil {
		_ = s.db.Close()
		s.db = nil
	}
}

// scrub takes the password out of an error's text, should a driver quote it.
func scrub(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "xxxxx"))
}
