package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/larder-council/larder/forms/staff/access"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows/calendar"
	"github.com/larder-council/larder/workflows/cases"
)

// Config is Larder's configuration, read once when a command starts and
// checked before anything connects: defaults, then larder.yaml (or
// --config), then LARDER_* environment variables, then flags.
type Config struct {
	// HTTP is the web server.
	HTTP struct {
		// Address is where the web server listens, as host:port.
		Address string
		// PublicURL is how residents reach Larder, an http:// or https://
		// address, for links in emails; https:// makes cookies Secure.
		PublicURL string
		// TrustedProxies are the IP addresses or CIDR ranges of proxies whose
		// X-Forwarded-For is believed; empty trusts none.
		TrustedProxies []string
	}
	// Forms limits residents' forms.
	Forms struct {
		// DraftTTL is how long an unfinished form is kept; more than zero.
		DraftTTL time.Duration
		// SubmissionsPerMinute limits forms sent from one address a minute;
		// 0 is no limit.
		SubmissionsPerMinute int
		// AnswersPerMinute limits the pages of answers one address may send
		// a minute, and one session half as many; 0 is no limit.
		AnswersPerMinute int
		// DraftsPerHour limits the forms one address may start an hour; 0
		// is no limit.
		DraftsPerHour int
		// Intake is journal (a submission is answered once written to
		// data_dir/intake.db, its case started after) or direct (answered
		// once Temporal has started its case).
		Intake string
	}
	// DataDir holds the embedded Temporal database, the outbox and the secret key.
	DataDir string
	// RecipesDir holds the recipes and connectors.yaml.
	RecipesDir string
	// CouncilName is shown on every resident page.
	CouncilName string
	// Branding is how resident pages look; forms/web has checked it.
	Branding struct {
		// LogoURL is the council's logo, a path on this site or an https URL;
		// empty shows the council's name.
		LogoURL string
		// HeaderColour is the header's background as #rrggbb, dark enough
		// for white text.
		HeaderColour string
		// LinkColour is the colour of links as #rrggbb, dark enough on white.
		LinkColour string
	}
	// SecretKey signs sessions and references; empty: generated once into
	// data_dir (see secret).
	SecretKey string
	// StaffToken is the bearer token of the staff API; empty turns it off.
	StaffToken string
	// HooksToken is the bearer token line-of-business systems post hooks
	// with; empty turns hooks off.
	HooksToken string
	// Metrics limits who may read /metrics; with neither set, anyone may.
	Metrics struct {
		// Token is a bearer token that lets a caller read /metrics.
		Token string
		// Allow are the IP addresses or CIDR ranges whose callers may read
		// /metrics without the token.
		Allow []string
	}
	// Temporal is where cases run.
	Temporal struct {
		// Address of a Temporal frontend as host:port; empty runs an embedded server.
		Address string
		// Namespace cases run in.
		Namespace string
		// TaskQueue workers poll.
		TaskQueue string
		// Retention is how long the embedded server keeps a closed case;
		// at least a day, so that references are never given twice.
		Retention time.Duration
		// Embedded is the embedded server, run when Address is empty.
		Embedded struct {
			// Address is where its frontend listens, for the temporal CLI
			// and Temporal's Web UI; empty is 127.0.0.1:7233 when that is
			// free, else any free port.
			Address string
			// Database is a postgres:// URL its history is kept in; empty
			// is the SQLite file data_dir/temporal.db.
			Database string
		}
	}
	// Worker runs cases.
	Worker struct {
		// CacheSize is how many cases a worker keeps in memory between
		// their steps; a case not held is read back from its history.
		CacheSize int
		// MetricsAddress is where `larder worker`, which serves no pages,
		// serves /metrics, /healthz and /readyz; empty serves none.
		MetricsAddress string
	}
	// Tracing exports OpenTelemetry traces.
	Tracing struct {
		// OTLPEndpoint is an OTLP/HTTP collector's address, like
		// http://otel-collector:4318; empty exports nothing.
		OTLPEndpoint string
	}
	// Redis holds drafts, rate limits and sent-mail marks.
	Redis struct {
		// URL of a Redis server (redis://, rediss:// or unix://); empty runs
		// an embedded one.
		URL string
		// KeyPrefix starts every key Larder writes, so several Larders
		// (or a test run) may share one Redis.
		KeyPrefix string
	}
	// SMTP sends email.
	SMTP struct {
		// URL of a mail relay, smtp:// or smtps://; empty writes .eml files
		// to data_dir/outbox.
		URL string
		// From is the sender of every email, an RFC 5322 address.
		From string
	}
	// Log is the process log.
	Log struct {
		// Level is the least severe message logged.
		Level slog.Level
		// Format is text (logfmt) or json.
		Format string
	}
	// StaffFile is staff.yaml: the users who sign in to the staff pages,
	// and the staff API's clients. A missing file means no users, unless
	// staff.file was set (see staffFileSet).
	StaffFile string
	// Dev is development mode: the demo staff accounts sign in, with
	// passwords printed at start; recipes reload when their files change;
	// the designer's pages are served under /dev/recipes.
	Dev bool
	// CalendarRegion is whose bank holidays are not working days:
	// england-and-wales, scotland or northern-ireland.
	CalendarRegion string
	// CalendarClosures are the other days the council is closed, each
	// midnight UTC of the date.
	CalendarClosures []time.Time
	// staffFileSet is true when staff.file was set, in the file, the
	// environment or a flag, so that a missing file is an error.
	staffFileSet bool
}

// rawConfig is the configuration as written, before it is checked: each
// field is the text of the Config field of the same name.
type rawConfig struct {
	HTTP                              struct{ Address, PublicURL, TrustedProxies string }
	Forms                             struct{ DraftTTL, SubmissionsPerMinute, AnswersPerMinute, DraftsPerHour, Intake string }
	DataDir, RecipesDir, CouncilName  string
	Branding                          struct{ LogoURL, HeaderColour, LinkColour string }
	SecretKey, StaffToken, HooksToken string
	Metrics                           struct{ Token, Allow string }
	Temporal                          struct {
		Address, Namespace, TaskQueue, Retention string
		Embedded                                 struct{ Address, Database string }
	}
	Worker                           struct{ CacheSize, MetricsAddress string }
	Tracing                          struct{ OTLPEndpoint string }
	Redis                            struct{ URL, KeyPrefix string }
	SMTP                             struct{ URL, From string }
	Log                              struct{ Level, Format string }
	StaffFile, Dev                   string
	CalendarRegion, CalendarClosures string
}

// defaults is the configuration before any file, environment or flag.
func defaults() rawConfig {
	var c rawConfig
	c.HTTP.Address = "127.0.0.1:8080"
	c.HTTP.PublicURL = "http://localhost:8080"
	c.Forms.DraftTTL = "168h"
	c.Forms.SubmissionsPerMinute = "10"
	c.Forms.AnswersPerMinute = "120"
	c.Forms.DraftsPerHour = "20"
	c.Forms.Intake = "journal"
	c.Redis.KeyPrefix = "larder:"
	c.DataDir = "data"
	c.RecipesDir = "recipes"
	c.CouncilName = "Larchester Council"
	c.Branding.HeaderColour = "#0b0c0c"
	c.Branding.LinkColour = "#1d70b8"
	c.Temporal.Namespace = "default"
	c.Temporal.TaskQueue = "larder-cases"
	c.Temporal.Retention = "2160h"
	c.SMTP.From = "Larchester Council <no-reply@larchester.example>"
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.Worker.CacheSize = "2000"
	c.StaffFile = "staff.yaml"
	c.Dev = "false"
	c.CalendarRegion = "england-and-wales"
	return c
}

// setting ties one config key to its environment variable, flag and type.
type setting struct {
	key, env, flag, help string
	// secret values are masked in the log and in error messages.
	secret bool
	// raw is where the setting's text is kept while the layers are read.
	raw func(*rawConfig) *string
	// kind parses the text into its Config field.
	kind kind
}

var settings = []setting{
	{"http.address", "LARDER_HTTP_ADDRESS", "http-address", "web server listen address", false,
		func(r *rawConfig) *string { return &r.HTTP.Address },
		asString(func(c *Config) *string { return &c.HTTP.Address }, hostPort("0.0.0.0:8080"))},
	{"http.public_url", "LARDER_PUBLIC_URL", "public-url", "address residents use, for links in emails", false,
		func(r *rawConfig) *string { return &r.HTTP.PublicURL },
		asString(func(c *Config) *string { return &c.HTTP.PublicURL }, httpURL)},
	{"http.trusted_proxies", "LARDER_TRUSTED_PROXIES", "trusted-proxies", "comma-separated proxies whose X-Forwarded-For is believed", false,
		func(r *rawConfig) *string { return &r.HTTP.TrustedProxies },
		asList(func(c *Config) *[]string { return &c.HTTP.TrustedProxies }, proxy)},
	{"forms.draft_ttl", "LARDER_DRAFT_TTL", "draft-ttl", "how long unfinished forms are kept", false,
		func(r *rawConfig) *string { return &r.Forms.DraftTTL },
		asDuration(func(c *Config) *time.Duration { return &c.Forms.DraftTTL }, "168h")},
	{"forms.submissions_per_minute", "LARDER_SUBMISSIONS_PER_MINUTE", "submissions-per-minute", "forms one address may send a minute; 0 is no limit", false,
		func(r *rawConfig) *string { return &r.Forms.SubmissionsPerMinute },
		asCount(func(c *Config) *int { return &c.Forms.SubmissionsPerMinute }, "10, or 0 for no limit")},
	{"forms.answers_per_minute", "LARDER_ANSWERS_PER_MINUTE", "answers-per-minute", "pages of answers one address may send a minute, one session half as many; 0 is no limit", false,
		func(r *rawConfig) *string { return &r.Forms.AnswersPerMinute },
		asCount(func(c *Config) *int { return &c.Forms.AnswersPerMinute }, "120, or 0 for no limit")},
	{"forms.drafts_per_hour", "LARDER_DRAFTS_PER_HOUR", "drafts-per-hour", "forms one address may start an hour; 0 is no limit", false,
		func(r *rawConfig) *string { return &r.Forms.DraftsPerHour },
		asCount(func(c *Config) *int { return &c.Forms.DraftsPerHour }, "20, or 0 for no limit")},
	{"forms.intake", "LARDER_INTAKE", "intake", "journal: a submission is answered once written to data_dir/intake.db and its case started after; direct: once Temporal has started its case", false,
		func(r *rawConfig) *string { return &r.Forms.Intake },
		asString(func(c *Config) *string { return &c.Forms.Intake }, oneOf("intake", "journal", "direct"))},
	{"data_dir", "LARDER_DATA_DIR", "data-dir", "folder for the embedded database, outbox and secret key", false,
		func(r *rawConfig) *string { return &r.DataDir },
		asString(func(c *Config) *string { return &c.DataDir }, required("/var/lib/larder"))},
	{"recipes_dir", "LARDER_RECIPES_DIR", "recipes-dir", "folder of recipes and connectors.yaml", false,
		func(r *rawConfig) *string { return &r.RecipesDir },
		asString(func(c *Config) *string { return &c.RecipesDir }, required("/etc/larder/recipes"))},
	{"council_name", "LARDER_COUNCIL_NAME", "council-name", "council name shown on pages", false,
		func(r *rawConfig) *string { return &r.CouncilName },
		asString(func(c *Config) *string { return &c.CouncilName }, required("Larchester Council"))},
	{"branding.logo_url", "LARDER_LOGO_URL", "logo-url", "council logo: a path on this site or an https URL", false,
		func(r *rawConfig) *string { return &r.Branding.LogoURL },
		asString(func(c *Config) *string { return &c.Branding.LogoURL }, optional(logo))},
	{"branding.header_colour", "LARDER_HEADER_COLOUR", "header-colour", "header background colour, like #0b0c0c", false,
		func(r *rawConfig) *string { return &r.Branding.HeaderColour },
		asString(func(c *Config) *string { return &c.Branding.HeaderColour }, colour("#0b0c0c", func(b *web.Branding) *string { return &b.HeaderColour }))},
	{"branding.link_colour", "LARDER_LINK_COLOUR", "link-colour", "link colour, like #1d70b8", false,
		func(r *rawConfig) *string { return &r.Branding.LinkColour },
		asString(func(c *Config) *string { return &c.Branding.LinkColour }, colour("#1d70b8", func(b *web.Branding) *string { return &b.LinkColour }))},
	{"secret_key", "LARDER_SECRET_KEY", "", "key signing sessions and references", true,
		func(r *rawConfig) *string { return &r.SecretKey },
		asString(func(c *Config) *string { return &c.SecretKey }, optional(atLeast(minSecretKey)))},
	{"staff_token", "LARDER_STAFF_TOKEN", "", "bearer token of the staff API", true,
		func(r *rawConfig) *string { return &r.StaffToken },
		asString(func(c *Config) *string { return &c.StaffToken }, optional(atLeast(access.MinTokenLength)))},
	{"hooks_token", "LARDER_HOOKS_TOKEN", "", "bearer token of /hooks", true,
		func(r *rawConfig) *string { return &r.HooksToken },
		asString(func(c *Config) *string { return &c.HooksToken }, optional(atLeast(access.MinTokenLength)))},
	{"metrics.token", "LARDER_METRICS_TOKEN", "", "bearer token that lets a caller read /metrics", true,
		func(r *rawConfig) *string { return &r.Metrics.Token },
		asString(func(c *Config) *string { return &c.Metrics.Token }, optional(atLeast(access.MinTokenLength)))},
	{"metrics.allow", "LARDER_METRICS_ALLOW", "metrics-allow", "comma-separated addresses or CIDR ranges that may read /metrics without metrics.token", false,
		func(r *rawConfig) *string { return &r.Metrics.Allow },
		asList(func(c *Config) *[]string { return &c.Metrics.Allow }, proxy)},
	{"temporal.address", "LARDER_TEMPORAL_ADDRESS", "temporal-address", "Temporal frontend host:port; empty runs an embedded server", false,
		func(r *rawConfig) *string { return &r.Temporal.Address },
		asString(func(c *Config) *string { return &c.Temporal.Address }, optional(hostPort("temporal.internal:7233, or empty for an embedded server")))},
	{"temporal.namespace", "LARDER_TEMPORAL_NAMESPACE", "temporal-namespace", "Temporal namespace", false,
		func(r *rawConfig) *string { return &r.Temporal.Namespace },
		asString(func(c *Config) *string { return &c.Temporal.Namespace }, required("default"))},
	{"temporal.task_queue", "LARDER_TEMPORAL_TASK_QUEUE", "task-queue", "Temporal task queue", false,
		func(r *rawConfig) *string { return &r.Temporal.TaskQueue },
		asString(func(c *Config) *string { return &c.Temporal.TaskQueue }, required("larder-cases"))},
	{"temporal.retention", "LARDER_TEMPORAL_RETENTION", "temporal-retention", "how long the embedded Temporal keeps a closed case; at least 24h", false,
		func(r *rawConfig) *string { return &r.Temporal.Retention },
		asDurationOf(func(c *Config) *time.Duration { return &c.Temporal.Retention }, cases.MinRetention, "2160h")},
	{"temporal.embedded.address", "LARDER_TEMPORAL_EMBEDDED_ADDRESS", "temporal-embedded-address", "where the embedded Temporal frontend listens, for the temporal CLI and Web UI; empty is 127.0.0.1:7233 when free, else any port", false,
		func(r *rawConfig) *string { return &r.Temporal.Embedded.Address },
		asString(func(c *Config) *string { return &c.Temporal.Embedded.Address }, optional(hostPort("127.0.0.1:7233")))},
	{"temporal.embedded.database", "LARDER_TEMPORAL_DATABASE", "temporal-database", "postgres:// URL the embedded Temporal keeps cases in; empty is data_dir/temporal.db (SQLite)", true,
		func(r *rawConfig) *string { return &r.Temporal.Embedded.Database },
		asString(func(c *Config) *string { return &c.Temporal.Embedded.Database }, optional(postgresURL))},
	{"worker.cache_size", "LARDER_WORKER_CACHE_SIZE", "worker-cache-size", "cases a worker keeps in memory between steps; others are read back from history", false,
		func(r *rawConfig) *string { return &r.Worker.CacheSize },
		asCount(func(c *Config) *int { return &c.Worker.CacheSize }, "2000")},
	{"worker.metrics_address", "LARDER_WORKER_METRICS_ADDRESS", "worker-metrics-address", "where larder worker serves /metrics, /healthz and /readyz, like :9090; empty serves none", false,
		func(r *rawConfig) *string { return &r.Worker.MetricsAddress },
		asString(func(c *Config) *string { return &c.Worker.MetricsAddress }, optional(hostPort(":9090")))},
	{"tracing.otlp_endpoint", "LARDER_OTLP_ENDPOINT", "otlp-endpoint", "OTLP/HTTP collector traces are sent to, like http://otel-collector:4318; empty sends none", false,
		func(r *rawConfig) *string { return &r.Tracing.OTLPEndpoint },
		asString(func(c *Config) *string { return &c.Tracing.OTLPEndpoint }, optional(httpURL))},
	{"redis.url", "LARDER_REDIS_URL", "redis-url", "Redis URL; empty runs an embedded server", true,
		func(r *rawConfig) *string { return &r.Redis.URL },
		asString(func(c *Config) *string { return &c.Redis.URL }, optional(redisURL))},
	{"redis.key_prefix", "LARDER_REDIS_KEY_PREFIX", "redis-key-prefix", "start of every Redis key Larder writes", false,
		func(r *rawConfig) *string { return &r.Redis.KeyPrefix },
		asString(func(c *Config) *string { return &c.Redis.KeyPrefix }, required("larder:"))},
	{"smtp.url", "LARDER_SMTP_URL", "smtp-url", "SMTP relay URL; empty writes emails to the outbox folder", true,
		func(r *rawConfig) *string { return &r.SMTP.URL },
		asString(func(c *Config) *string { return &c.SMTP.URL }, optional(smtpURL))},
	{"smtp.from", "LARDER_SMTP_FROM", "smtp-from", "sender address of emails", false,
		func(r *rawConfig) *string { return &r.SMTP.From },
		asString(func(c *Config) *string { return &c.SMTP.From }, mailbox)},
	{"log.level", "LARDER_LOG_LEVEL", "log-level", "debug, info, warn or error", false,
		func(r *rawConfig) *string { return &r.Log.Level },
		asLevel(func(c *Config) *slog.Level { return &c.Log.Level })},
	{"log.format", "LARDER_LOG_FORMAT", "log-format", "text or json", false,
		func(r *rawConfig) *string { return &r.Log.Format },
		asString(func(c *Config) *string { return &c.Log.Format }, oneOf("log format", "text", "json"))},
	{"staff.file", "LARDER_STAFF_FILE", "staff-file", "staff.yaml: staff users and API clients; a missing default file means none", false,
		func(r *rawConfig) *string { return &r.StaffFile },
		asString(func(c *Config) *string { return &c.StaffFile }, required("/etc/larder/staff.yaml"))},
	{"dev", "LARDER_DEV", "dev", "development mode: demo staff accounts (passwords printed at start), recipes reloaded when changed, designer pages at /dev/recipes", false,
		func(r *rawConfig) *string { return &r.Dev },
		asBool(func(c *Config) *bool { return &c.Dev })},
	{"calendar.region", "LARDER_CALENDAR_REGION", "calendar-region", "whose bank holidays are not working days: " + strings.Join(calendar.Regions, ", "), false,
		func(r *rawConfig) *string { return &r.CalendarRegion },
		asString(func(c *Config) *string { return &c.CalendarRegion }, oneOf("region", calendar.Regions...))},
	{"calendar.closures", "LARDER_CALENDAR_CLOSURES", "calendar-closures", "comma-separated dates the council is closed besides bank holidays, like 2026-12-29", false,
		func(r *rawConfig) *string { return &r.CalendarClosures },
		asDates(func(c *Config) *[]time.Time { return &c.CalendarClosures })},
}

// sources says where each key's value came from: "larder.yaml line 3",
// "LARDER_DRAFT_TTL" or "--draft-ttl"; a key not in it has its default.
type sources map[string]string

func (s sources) of(key string) string {
	if from, ok := s[key]; ok {
		return from
	}
	return "the default"
}

// loadConfig reads one command's configuration — defaults, then the file
// (larder.yaml, or --config; a missing larder.yaml is fine unless named),
// then LARDER_* environment variables, then flags — and parses it. Every
// bad value is reported, each naming its key and where it came from.
func loadConfig(fs *flag.FlagSet, args []string) (Config, error) {
	path := fs.String("config", "larder.yaml", "configuration file")
	shown := defaults()
	for _, s := range settings {
		switch {
		case s.flag == "":
		case s.kind.boolean:
			// --dev alone turns it on, as a switch does.
			fs.Bool(s.flag, *s.raw(&shown) == "true", s.help+" ("+s.env+")")
		default:
			// The default is in the help; a flag counts only when it is given.
			fs.String(s.flag, *s.raw(&shown), s.help+" ("+s.env+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	raw, from := defaults(), sources{}
	named := false
	fs.Visit(func(f *flag.Flag) { named = named || f.Name == "config" })
	fileErr := readFile(*path, named, &raw, from)
	for _, s := range settings {
		if v, ok := os.LookupEnv(s.env); ok {
			*s.raw(&raw), from[s.key] = v, s.env
		}
	}
	fs.Visit(func(f *flag.Flag) {
		for _, s := range settings {
			if s.flag != "" && s.flag == f.Name {
				*s.raw(&raw), from[s.key] = f.Value.String(), "--"+f.Name
			}
		}
	})
	cfg, err := raw.parse(from)
	_, cfg.staffFileSet = from["staff.file"]
	return cfg, errors.Join(fileErr, err)
}

// effective lists every setting in effect, for the start-up log, secrets masked.
func (c *Config) effective() []any {
	out := make([]any, 0, 2*len(settings))
	for _, s := range settings {
		v := s.kind.show(c)
		if s.secret && v != "" {
			v = mask(v)
		}
		out = append(out, s.key, v)
	}
	return out
}

// mask hides a secret: a URL keeps its scheme and host, anything else is starred.
func mask(v string) string {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User != nil {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.Redacted()
	}
	return "*****"
}

// minSecretKey is the fewest characters secret_key (or data_dir's
// secret.key) may have; a generated key has 64.
const minSecretKey = 32

// secret returns the configured key, or one generated once into the data folder.
func (c *Config) secret() ([]byte, error) {
	if c.SecretKey != "" {
		return []byte(c.SecretKey), nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if data, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(data))
		if utf8.RuneCountInString(key) < minSecretKey {
			return nil, fmt.Errorf("%s holds fewer than %d characters: remove it for Larder to make a new key (sessions, resume links and keyed references start over), or write a longer random one", path, minSecretKey)
		}
		return []byte(key), nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	key := hex.EncodeToString(b[:])
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write secret key: %w", err)
	}
	return []byte(key), nil
}
