package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Config is Larder's configuration: defaults, then larder.yaml, then
// LARDER_* environment variables, then flags.
type Config struct {
	HTTP struct {
		// Address is where the web server listens.
		Address string `yaml:"address"`
		// PublicURL is how residents reach Larder, for links in emails.
		PublicURL string `yaml:"public_url"`
		// TrustedProxies is a comma-separated list of proxy addresses whose
		// X-Forwarded-For is believed; empty trusts none.
		TrustedProxies string `yaml:"trusted_proxies"`
	} `yaml:"http"`
	Forms struct {
		// DraftTTL is how long an unfinished form is kept, e.g. 168h.
		DraftTTL string `yaml:"draft_ttl"`
		// SubmissionsPerMinute limits forms sent from one address a minute; 0 is no limit.
		SubmissionsPerMinute string `yaml:"submissions_per_minute"`
	} `yaml:"forms"`
	// DataDir holds the embedded Temporal database, the outbox and the secret key.
	DataDir string `yaml:"data_dir"`
	// RecipesDir holds the recipes and connectors.yaml.
	RecipesDir string `yaml:"recipes_dir"`
	// CouncilName is shown on every resident page.
	CouncilName string `yaml:"council_name"`
	Branding    struct {
		// LogoURL is the council's logo: a path on this site or an https URL.
		LogoURL string `yaml:"logo_url"`
		// HeaderColour is the header's background, like #0b0c0c.
		HeaderColour string `yaml:"header_colour"`
		// LinkColour is the colour of links, like #1d70b8.
		LinkColour string `yaml:"link_colour"`
	} `yaml:"branding"`
	// SecretKey signs sessions and references; default: generated into data_dir.
	SecretKey string `yaml:"secret_key"`
	// StaffToken is the bearer token of the staff API; empty turns it off.
	StaffToken string `yaml:"staff_token"`
	// HooksToken is the bearer token line-of-business systems post hooks with; empty turns hooks off.
	HooksToken string `yaml:"hooks_token"`
	Temporal   struct {
		// Address of a Temporal frontend; empty runs an embedded server.
		Address string `yaml:"address"`
		// Namespace cases run in.
		Namespace string `yaml:"namespace"`
		// TaskQueue workers poll.
		TaskQueue string `yaml:"task_queue"`
	} `yaml:"temporal"`
	Redis struct {
		// URL of a Redis server, redis://...; empty runs an embedded one.
		URL string `yaml:"url"`
	} `yaml:"redis"`
	SMTP struct {
		// URL of a mail relay, smtp://user:pass@host:587; empty writes .eml files to data_dir/outbox.
		URL string `yaml:"url"`
		// From is the sender of every email.
		From string `yaml:"from"`
	} `yaml:"smtp"`
	Log struct {
		// Level is debug, info, warn or error.
		Level string `yaml:"level"`
	} `yaml:"log"`
}

// setting ties one config key to its environment variable and flag.
type setting struct {
	key, env, flag, help string
	secret               bool
	field                func(*Config) *string
}

var settings = []setting{
	{"http.address", "LARDER_HTTP_ADDRESS", "http-address", "web server listen address", false, func(c *Config) *string { return &c.HTTP.Address }},
	{"http.public_url", "LARDER_PUBLIC_URL", "public-url", "address residents use, for links in emails", false, func(c *Config) *string { return &c.HTTP.PublicURL }},
	{"http.trusted_proxies", "LARDER_TRUSTED_PROXIES", "trusted-proxies", "comma-separated proxies whose X-Forwarded-For is believed", false, func(c *Config) *string { return &c.HTTP.TrustedProxies }},
	{"forms.draft_ttl", "LARDER_DRAFT_TTL", "draft-ttl", "how long unfinished forms are kept", false, func(c *Config) *string { return &c.Forms.DraftTTL }},
	{"forms.submissions_per_minute", "LARDER_SUBMISSIONS_PER_MINUTE", "submissions-per-minute", "forms one address may send a minute; 0 is no limit", false, func(c *Config) *string { return &c.Forms.SubmissionsPerMinute }},
	{"data_dir", "LARDER_DATA_DIR", "data-dir", "folder for the embedded database, outbox and secret key", false, func(c *Config) *string { return &c.DataDir }},
	{"recipes_dir", "LARDER_RECIPES_DIR", "recipes-dir", "folder of recipes and connectors.yaml", false, func(c *Config) *string { return &c.RecipesDir }},
	{"council_name", "LARDER_COUNCIL_NAME", "council-name", "council name shown on pages", false, func(c *Config) *string { return &c.CouncilName }},
	{"branding.logo_url", "LARDER_LOGO_URL", "logo-url", "council logo: a path on this site or an https URL", false, func(c *Config) *string { return &c.Branding.LogoURL }},
	{"branding.header_colour", "LARDER_HEADER_COLOUR", "header-colour", "header background colour, like #0b0c0c", false, func(c *Config) *string { return &c.Branding.HeaderColour }},
	{"branding.link_colour", "LARDER_LINK_COLOUR", "link-colour", "link colour, like #1d70b8", false, func(c *Config) *string { return &c.Branding.LinkColour }},
	{"secret_key", "LARDER_SECRET_KEY", "", "key signing sessions and references", true, func(c *Config) *string { return &c.SecretKey }},
	{"staff_token", "LARDER_STAFF_TOKEN", "", "bearer token of the staff API", true, func(c *Config) *string { return &c.StaffToken }},
	{"hooks_token", "LARDER_HOOKS_TOKEN", "", "bearer token of /hooks", true, func(c *Config) *string { return &c.HooksToken }},
	{"temporal.address", "LARDER_TEMPORAL_ADDRESS", "temporal-address", "Temporal frontend host:port; empty runs an embedded server", false, func(c *Config) *string { return &c.Temporal.Address }},
	{"temporal.namespace", "LARDER_TEMPORAL_NAMESPACE", "temporal-namespace", "Temporal namespace", false, func(c *Config) *string { return &c.Temporal.Namespace }},
	{"temporal.task_queue", "LARDER_TEMPORAL_TASK_QUEUE", "task-queue", "Temporal task queue", false, func(c *Config) *string { return &c.Temporal.TaskQueue }},
	{"redis.url", "LARDER_REDIS_URL", "redis-url", "Redis URL; empty runs an embedded server", true, func(c *Config) *string { return &c.Redis.URL }},
	{"smtp.url", "LARDER_SMTP_URL", "smtp-url", "SMTP relay URL; empty writes emails to the outbox folder", true, func(c *Config) *string { return &c.SMTP.URL }},
	{"smtp.from", "LARDER_SMTP_FROM", "smtp-from", "sender address of emails", false, func(c *Config) *string { return &c.SMTP.From }},
	{"log.level", "LARDER_LOG_LEVEL", "log-level", "debug, info, warn or error", false, func(c *Config) *string { return &c.Log.Level }},
}

func defaults() Config {
	var c Config
	c.HTTP.Address = "127.0.0.1:8080"
	c.HTTP.PublicURL = "http://localhost:8080"
	c.Forms.DraftTTL = "168h"
	c.Forms.SubmissionsPerMinute = "10"
	c.DataDir = "data"
	c.RecipesDir = "recipes"
	c.CouncilName = "Larchester Council"
	c.Temporal.Namespace = "default"
	c.Temporal.TaskQueue = "larder-cases"
	c.SMTP.From = "Larchester Council <no-reply@larchester.example>"
	c.Log.Level = "info"
	return c
}

// loadConfig reads the layers in order. A missing larder.yaml is fine
// unless it was named explicitly.
func loadConfig(fs *flag.FlagSet, args []string) (Config, error) {
	cfg := defaults()
	path := fs.String("config", "larder.yaml", "configuration file")
	flagVals := map[string]*string{}
	for _, s := range settings {
		if s.flag != "" {
			flagVals[s.flag] = fs.String(s.flag, "", s.help+" ("+s.env+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	data, err := os.ReadFile(*path)
	switch {
	case err == nil:
		if err := yaml.UnmarshalWithOptions(data, &cfg, yaml.Strict()); err != nil {
			return cfg, fmt.Errorf("%s: %s", *path, yaml.FormatError(err, false, false))
		}
	case errors.Is(err, os.ErrNotExist) && !explicit:
	default:
		return cfg, fmt.Errorf("read config: %w", err)
	}
	for _, s := range settings {
		if v, ok := os.LookupEnv(s.env); ok {
			*s.field(&cfg) = v
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if v, ok := flagVals[f.Name]; ok {
			for _, s := range settings {
				if s.flag == f.Name {
					*s.field(&cfg) = *v
				}
			}
		}
	})
	return cfg, nil
}

// effective lists every setting for the start-up log, secrets masked.
func (c *Config) effective() []any {
	var out []any
	for _, s := range settings {
		v := *s.field(c)
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

// secret returns the configured key, or one generated once into the data folder.
func (c *Config) secret() ([]byte, error) {
	if c.SecretKey != "" {
		return []byte(c.SecretKey), nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if data, err := os.ReadFile(path); err == nil {
		return []byte(strings.TrimSpace(string(data))), nil
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

// formLimits parses the forms settings, naming the key at fault.
func (c *Config) formLimits() (draftTTL time.Duration, perMinute int, err error) {
	draftTTL, err = time.ParseDuration(c.Forms.DraftTTL)
	if err != nil || draftTTL <= 0 {
		return 0, 0, fmt.Errorf("forms.draft_ttl: %q is not a duration like 168h", c.Forms.DraftTTL)
	}
	perMinute, err = strconv.Atoi(c.Forms.SubmissionsPerMinute)
	if err != nil || perMinute < 0 {
		return 0, 0, fmt.Errorf("forms.submissions_per_minute: %q is not a whole number", c.Forms.SubmissionsPerMinute)
	}
	return draftTTL, perMinute, nil
}

// trustedProxies splits http.trusted_proxies.
func (c *Config) trustedProxies() []string {
	var out []string
	for _, p := range strings.Split(c.HTTP.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
