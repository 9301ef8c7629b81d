package main

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// clearEnv unsets every LARDER_* setting for the test, restoring them after.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, s := range settings {
		t.Setenv(s.env, "")
		os.Unsetenv(s.env)
	}
}

// writeConfig writes a larder.yaml into a temporary folder and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "larder.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadArgs runs loadConfig as a command would.
func loadArgs(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return loadConfig(fs, args)
}

// wantProblem fails unless err's text holds want.
func wantProblem(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want an error holding\n  %s\ngot\n  %v", want, err)
	}
}

func TestConfigLayers(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "http:\n  address: 0.0.0.0:9000\n  trusted_proxies: [10.0.0.10, 10.0.1.0/24]\ncouncil_name: From File\nforms:\n  draft_ttl: 48h\n  submissions_per_minute: 3\nredis:\n  url: redis://file:6379\n")
	t.Setenv("LARDER_COUNCIL_NAME", "From Env")
	t.Setenv("LARDER_DRAFT_TTL", "72h")
	t.Setenv("LARDER_SMTP_URL", "smtp://mailer:hunter2@relay.example:587")
	cfg, err := loadArgs(t, "--config", file, "--redis-url", "redis://flag:6379", "--draft-ttl", "1h30m", "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Address != "0.0.0.0:9000" || cfg.Forms.SubmissionsPerMinute != 3 {
		t.Errorf("file values lost: %q, %d", cfg.HTTP.Address, cfg.Forms.SubmissionsPerMinute)
	}
	if got := strings.Join(cfg.HTTP.TrustedProxies, " "); got != "10.0.0.10 10.0.1.0/24" {
		t.Errorf("a YAML list of proxies should give each: %q", got)
	}
	if cfg.CouncilName != "From Env" {
		t.Errorf("env should override file: %q", cfg.CouncilName)
	}
	if cfg.Redis.URL != "redis://flag:6379" || cfg.Forms.DraftTTL != 90*time.Minute || cfg.Log.Level != slog.LevelDebug {
		t.Errorf("flags should override env and file: %q, %s, %s", cfg.Redis.URL, cfg.Forms.DraftTTL, cfg.Log.Level)
	}
	if cfg.DataDir != "data" || cfg.Branding.LinkColour != "#1d70b8" {
		t.Errorf("defaults lost: %q, %q", cfg.DataDir, cfg.Branding.LinkColour)
	}
	logged := fmtAll(cfg.effective())
	if strings.Contains(logged, "hunter2") {
		t.Errorf("secret in the start-up log: %s", logged)
	}
	for _, want := range []string{"relay.example", "forms.draft_ttl 1h30m ", "log.level debug ", "http.trusted_proxies 10.0.0.10,10.0.1.0/24 "} {
		if !strings.Contains(logged+" ", want) {
			t.Errorf("start-up log should hold %q: %s", want, logged)
		}
	}
}

func TestConfigBadDurationNamesKeyAndSource(t *testing.T) {
	for _, tc := range []struct {
		name string
		// given sets the bad value and returns the source the error should name.
		given func(t *testing.T) (args []string, source string)
	}{
		{"file", func(t *testing.T) ([]string, string) {
			file := writeConfig(t, "http:\n  address: 0.0.0.0:9000\nforms:\n  draft_ttl: 7 days\n")
			return []string{"--config", file}, file + " line 4"
		}},
		{"environment", func(t *testing.T) ([]string, string) {
			t.Setenv("LARDER_DRAFT_TTL", "7 days")
			return nil, "LARDER_DRAFT_TTL"
		}},
		{"flag", func(t *testing.T) ([]string, string) {
			return []string{"--draft-ttl", "7 days"}, "--draft-ttl"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			args, source := tc.given(t)
			_, err := loadArgs(t, args...)
			wantProblem(t, err, `forms.draft_ttl: "7 days" from `+source+` is not a duration (use 168h)`)
		})
	}
}

func TestConfigBadNumber(t *testing.T) {
	clearEnv(t)
	t.Setenv("LARDER_SUBMISSIONS_PER_MINUTE", "ten")
	_, err := loadArgs(t)
	wantProblem(t, err, `forms.submissions_per_minute: "ten" from LARDER_SUBMISSIONS_PER_MINUTE is not a whole number (use 10, or 0 for no limit)`)
}

func TestConfigBadURL(t *testing.T) {
	clearEnv(t)
	t.Setenv("LARDER_SMTP_URL", "mail://mailer:hunter2@relay.example")
	_, err := loadArgs(t, "--public-url", "forms.larchester.gov.example")
	wantProblem(t, err, `http.public_url: "forms.larchester.gov.example" from --public-url is not an http:// or https:// address`)
	wantProblem(t, err, `smtp.url: "mail://mailer:xxxxx@relay.example" from LARDER_SMTP_URL is not an smtp:// or smtps:// URL`)
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the password leaked into the error: %v", err)
	}
}

func TestConfigFileProblemsNameTheirLines(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "branding:\n  header_colour: #0b0c0c\nhttp:\n  trusted_proxies: 10.0.0.10, proxy.internal\n")
	_, err := loadArgs(t, "--config", file)
	wantProblem(t, err, `branding.header_colour: "" from `+file+` line 2 is not a colour (use "#0b0c0c"; in YAML quote it`)
	wantProblem(t, err, `http.trusted_proxies: "10.0.0.10, proxy.internal" from `+file+` line 4 holds "proxy.internal", which is not an IP address`)
	file = writeConfig(t, "forms:\n  draft_ttl: 1h\n  draft_ttl: 2h\n")
	_, err = loadArgs(t, "--config", file)
	wantProblem(t, err, file+` line 3: mapping key "draft_ttl" already defined`)
}

func TestConfigRefusesUnknownKeysAndMissingNamedFile(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "council_name: Larchester\nhtttp:\n  address: x\n")
	_, err := loadArgs(t, "--config", file)
	wantProblem(t, err, file+" line 2: unknown key htttp")
	if _, err := loadArgs(t, "--config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a named config file that does not exist must be an error")
	}
}

func TestConfigExampleLoadsAndCoversEveryKey(t *testing.T) {
	clearEnv(t)
	const example = "../../deploy/larder.example.yaml"
	raw, from := defaults(), sources{}
	if err := readFile(example, true, &raw, from); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !strings.HasPrefix(from.of(s.key), example+" line ") {
			t.Errorf("%s is not in the example config", s.key)
		}
	}
	cfg, err := loadArgs(t, "--config", example)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Temporal.Address == "" || len(cfg.HTTP.TrustedProxies) != 1 || cfg.Forms.DraftTTL != 168*time.Hour {
		t.Errorf("example config not read: %+v", cfg)
	}
}

func TestConfigSecretIsGeneratedOnceAndKept(t *testing.T) {
	var cfg Config
	cfg.DataDir = t.TempDir()
	a, err := cfg.secret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := cfg.secret()
	if len(a) < 32 || string(a) != string(b) {
		t.Fatalf("secret not stable: %q then %q", a, b)
	}
}

func TestWorkerStopsOnBadDraftTTLBeforeStarting(t *testing.T) {
	clearEnv(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	t.Setenv("LARDER_DRAFT_TTL", "7 days")
	t.Setenv("LARDER_DATA_DIR", dataDir)
	t.Setenv("LARDER_TEMPORAL_ADDRESS", "127.0.0.1:1")
	t.Setenv("LARDER_REDIS_URL", "redis://127.0.0.1:1")
	var stdout, stderr bytes.Buffer
	code := larder([]string{"worker", "--config", writeConfig(t, "")}, &stdout, &stderr)
	if code == 0 {
		t.Errorf("larder worker exited 0 with a bad forms.draft_ttl")
	}
	want := `larder worker: forms.draft_ttl: "7 days" from LARDER_DRAFT_TTL is not a duration (use 168h)`
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("want %q, got:\n%s", want, stderr.String())
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("the worker started (made %s) before refusing its configuration", dataDir)
	}
}

func TestFlagHelpListsSettingsAndDefaults(t *testing.T) {
	clearEnv(t)
	var stdout, stderr bytes.Buffer
	if code := larder([]string{"web", "-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("larder web -h exited %d", code)
	}
	for _, want := range []string{"-draft-ttl", "LARDER_DRAFT_TTL", `(default "168h")`, "-dev\n", "LARDER_DEV", "-staff-file", `(default "staff.yaml")`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help should mention %s:\n%s", want, stderr.String())
		}
	}
}

func fmtAll(kv []any) string {
	var b strings.Builder
	for _, v := range kv {
		b.WriteString(" ")
		b.WriteString(v.(string))
	}
	return b.String()
}

func TestConfigStaffDevAndCalendarDefaults(t *testing.T) {
	clearEnv(t)
	cfg, err := loadArgs(t, "--config", writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StaffFile != "staff.yaml" || cfg.staffFileSet || cfg.Dev || cfg.CalendarRegion != "england-and-wales" || len(cfg.CalendarClosures) != 0 {
		t.Errorf("defaults: staff file %q (set %v), dev %v, region %q, closures %v", cfg.StaffFile, cfg.staffFileSet, cfg.Dev, cfg.CalendarRegion, cfg.CalendarClosures)
	}
	logged := fmtAll(cfg.effective()) + " "
	for _, want := range []string{"staff.file staff.yaml ", "dev false ", "calendar.region england-and-wales ", "calendar.closures  "} {
		if !strings.Contains(logged, want) {
			t.Errorf("start-up log should hold %q: %s", want, logged)
		}
	}
}

func TestConfigStaffDevAndCalendarFromEachLayer(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "staff:\n  file: /etc/larder/staff.yaml\ndev: true\ncalendar:\n  region: scotland\n  closures:\n    - 2026-12-29\n    - 2026-12-30\n")
	cfg, err := loadArgs(t, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	if cfg.StaffFile != "/etc/larder/staff.yaml" || !cfg.staffFileSet || !cfg.Dev || cfg.CalendarRegion != "scotland" {
		t.Errorf("from the file: staff file %q (set %v), dev %v, region %q", cfg.StaffFile, cfg.staffFileSet, cfg.Dev, cfg.CalendarRegion)
	}
	if len(cfg.CalendarClosures) != 2 || !cfg.CalendarClosures[0].Equal(day("2026-12-29")) || !cfg.CalendarClosures[1].Equal(day("2026-12-30")) {
		t.Errorf("closures %v; want 29 and 30 December 2026", cfg.CalendarClosures)
	}
	if !strings.Contains(fmtAll(cfg.effective())+" ", "calendar.closures 2026-12-29,2026-12-30 ") {
		t.Errorf("start-up log should list the closures as dates: %s", fmtAll(cfg.effective()))
	}

	t.Setenv("LARDER_DEV", "false")
	t.Setenv("LARDER_CALENDAR_REGION", "northern-ireland")
	t.Setenv("LARDER_CALENDAR_CLOSURES", "2027-01-04")
	t.Setenv("LARDER_STAFF_FILE", "from-env.yaml")
	if cfg, err = loadArgs(t, "--config", file); err != nil {
		t.Fatal(err)
	}
	if cfg.Dev || cfg.CalendarRegion != "northern-ireland" || len(cfg.CalendarClosures) != 1 || cfg.StaffFile != "from-env.yaml" {
		t.Errorf("the environment should override the file: dev %v, region %q, closures %v, staff file %q", cfg.Dev, cfg.CalendarRegion, cfg.CalendarClosures, cfg.StaffFile)
	}
	if cfg, err = loadArgs(t, "--config", file, "--dev", "--staff-file", "from-flag.yaml", "--calendar-closures", ""); err != nil {
		t.Fatal(err)
	}
	if !cfg.Dev || cfg.StaffFile != "from-flag.yaml" || len(cfg.CalendarClosures) != 0 {
		t.Errorf("--dev alone should turn development mode on over LARDER_DEV=false, flags win: dev %v, staff file %q, closures %v", cfg.Dev, cfg.StaffFile, cfg.CalendarClosures)
	}
	if cfg, err = loadArgs(t, "--dev=false"); err != nil || cfg.Dev {
		t.Errorf("--dev=false: dev %v, %v", cfg.Dev, err)
	}
	clearEnv(t)
	if cfg, err = loadArgs(t, "--staff-file", "staff.yaml"); err != nil || !cfg.staffFileSet {
		t.Errorf("a staff file named on the command line, even the default, must exist: set %v, %v", cfg.staffFileSet, err)
	}
}

func TestConfigRefusesBadStaffDevAndCalendarValues(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "dev: yes\ncalendar:\n  region: wales\n  closures: [2026-12-29, 29/12/2026]\n")
	_, err := loadArgs(t, "--config", file)
	wantProblem(t, err, `dev: "yes" from `+file+` line 1 is not true or false`)
	wantProblem(t, err, `calendar.region: "wales" from `+file+` line 3 is not a region Larder knows (use england-and-wales, scotland or northern-ireland)`)
	wantProblem(t, err, `calendar.closures: "2026-12-29,29/12/2026" from `+file+` line 4 holds "29/12/2026", which is not a date (use 2026-12-29)`)
	t.Setenv("LARDER_STAFF_FILE", "")
	t.Setenv("LARDER_DEV", "on")
	_, err = loadArgs(t)
	wantProblem(t, err, `staff.file: "" from LARDER_STAFF_FILE is empty (use /etc/larder/staff.yaml)`)
	wantProblem(t, err, `dev: "on" from LARDER_DEV is not true or false`)
}

// TestFinding15TemporalRetentionIsASetting checks the embedded Temporal
// keeps closed cases for 90 days unless told otherwise, and never for less
// than the day a reference derived from an idempotency key is minted for.
//
// Security finding 15: the built-in Temporal kept closed cases for 24
// hours, after which /track answered 404.
func TestFinding15TemporalRetentionIsASetting(t *testing.T) {
	clearEnv(t)
	cfg, err := loadArgs(t, "--config", writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Temporal.Retention != 2160*time.Hour {
		t.Errorf("temporal.retention defaults to %s; want 2160h (90 days)", cfg.Temporal.Retention)
	}
	if logged := fmtAll(cfg.effective()) + " "; !strings.Contains(logged, "temporal.retention 2160h ") {
		t.Errorf("start-up log should show the retention: %s", logged)
	}
	t.Setenv("LARDER_TEMPORAL_RETENTION", "8760h")
	if cfg, err = loadArgs(t); err != nil || cfg.Temporal.Retention != 8760*time.Hour {
		t.Errorf("LARDER_TEMPORAL_RETENTION=8760h gave %s, %v", cfg.Temporal.Retention, err)
	}
	_, err = loadArgs(t, "--temporal-retention", "12h")
	wantProblem(t, err, `temporal.retention: "12h" from --temporal-retention is shorter than 24h (use 2160h)`)
}

// TestConfigRefusesShortTokensAndSecretKey refuses bearer tokens of fewer
// than 16 characters and a secret key of fewer than 32, wherever they come
// from, naming the key and never the value; empty still turns a token off
// and has the key generated.
//
// Security review, "And then": minimum lengths for tokens and the secret key.
func TestConfigRefusesShortTokensAndSecretKey(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "hooks_token: hooks-Q7x2\n")
	t.Setenv("LARDER_STAFF_TOKEN", "staff-Zk81m3")
	t.Setenv("LARDER_SECRET_KEY", strings.Repeat("k", 31))
	_, err := loadArgs(t, "--config", file)
	wantProblem(t, err, `staff_token: "*****" from LARDER_STAFF_TOKEN is shorter than 16 characters (use at least 16 random ones, as openssl rand -hex 8 prints)`)
	wantProblem(t, err, `hooks_token: "*****" from `+file+` line 1 is shorter than 16 characters`)
	wantProblem(t, err, `secret_key: "*****" from LARDER_SECRET_KEY is shorter than 32 characters (use at least 32 random ones, as openssl rand -hex 16 prints)`)
	for _, value := range []string{"hooks-Q7x2", "staff-Zk81m3", "kkkkkkkk"} {
		if err != nil && strings.Contains(err.Error(), value) {
			t.Errorf("the error shows a secret's value %q: %v", value, err)
		}
	}

	t.Setenv("LARDER_STAFF_TOKEN", strings.Repeat("s", 16))
	t.Setenv("LARDER_HOOKS_TOKEN", strings.Repeat("h", 16))
	t.Setenv("LARDER_SECRET_KEY", strings.Repeat("k", 32))
	if cfg, err := loadArgs(t, "--config", file); err != nil || cfg.StaffToken == "" || cfg.HooksToken == "" || cfg.SecretKey == "" {
		t.Errorf("16-character tokens and a 32-character key: %v", err)
	}
	clearEnv(t)
	if cfg, err := loadArgs(t, "--config", writeConfig(t, "")); err != nil || cfg.StaffToken != "" || cfg.HooksToken != "" || cfg.SecretKey != "" {
		t.Errorf("empty tokens and key are off and generated: %v", err)
	}
}

// TestConfigRefusesShortSecretKeyFile refuses a secret.key in the data
// folder that is too short, naming the file and not what it holds.
func TestConfigRefusesShortSecretKeyFile(t *testing.T) {
	var cfg Config
	cfg.DataDir = t.TempDir()
	path := filepath.Join(cfg.DataDir, "secret.key")
	if err := os.WriteFile(path, []byte("larchester-2024\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := cfg.secret()
	wantProblem(t, err, path+" holds fewer than 32 characters")
	if err != nil && strings.Contains(err.Error(), "larchester-2024") {
		t.Errorf("the error shows the key: %v", err)
	}
}

// TestDeployFilesShipNoFixedSecret reads every environment variable the
// compose file gives Larder: a secret or token comes from the operator's
// environment with no default, and no URL carries a password. The example
// configuration leaves every secret empty.
//
// Security review, "And then": deploy/compose.yaml ships no fixed secret.
func TestDeployFilesShipNoFixedSecret(t *testing.T) {
	data, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	fromEnvironment := regexp.MustCompile(`^\$\{([A-Z_][A-Z0-9_]*)(:?\?[^}]*)?\}$`)
	checked := 0
	for name, service := range compose.Services {
		for key, value := range service.Environment {
			secret := false
			for _, s := range settings {
				secret = secret || (s.env == key && s.secret && !strings.HasSuffix(s.key, ".url"))
			}
			if secret || strings.Contains(key, "SECRET") || strings.Contains(key, "TOKEN") || strings.Contains(key, "PASSWORD") {
				checked++
				if m := fromEnvironment.FindStringSubmatch(value); m == nil || m[1] != key {
					t.Errorf("%s: %s is %q; want ${%s:?...}, from the environment with no default", name, key, value, key)
				}
			}
			if u, err := url.Parse(value); err == nil && u.User != nil {
				if _, ok := u.User.Password(); ok {
					t.Errorf("%s: %s holds a password in its URL", name, key)
				}
			}
		}
	}
	if checked == 0 {
		t.Error("compose.yaml gives Larder no secret_key; a web and a worker must share one")
	}

	raw, from := defaults(), sources{}
	if err := readFile("../../deploy/larder.example.yaml", true, &raw, from); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if v := *s.raw(&raw); s.secret && v != "" {
			t.Errorf("the example configuration sets %s; secrets belong in the environment", s.key)
		}
	}
}
