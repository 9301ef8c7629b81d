package main

import (
	"strings"
	"testing"
	"time"
)

// TestConfigFileTakesYAMLAsOperatorsWriteIt loads larder.yaml files written
// in the ways YAML allows, each giving the settings an operator meant.
func TestConfigFileTakesYAMLAsOperatorsWriteIt(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		check      func(t *testing.T, cfg Config, from func(key string) string)
	}{
		{"a section written as a flow mapping", "forms: {draft_ttl: 2h, submissions_per_minute: 0}\n",
			func(t *testing.T, cfg Config, _ func(string) string) {
				if cfg.Forms.DraftTTL != 2*time.Hour || cfg.Forms.SubmissionsPerMinute != 0 {
					t.Errorf("draft_ttl %s, submissions_per_minute %d; want 2h and 0", cfg.Forms.DraftTTL, cfg.Forms.SubmissionsPerMinute)
				}
			}},
		{"trusted proxies as a block list", "http:\n  trusted_proxies:\n    - 10.0.0.10\n    - 10.0.1.0/24\n",
			func(t *testing.T, cfg Config, from func(string) string) {
				if got := strings.Join(cfg.HTTP.TrustedProxies, " "); got != "10.0.0.10 10.0.1.0/24" {
					t.Errorf("trusted proxies %q, want both list items", got)
				}
				if !strings.HasSuffix(from("http.trusted_proxies"), " line 2") {
					t.Errorf("trusted proxies came from %q, want line 2", from("http.trusted_proxies"))
				}
			}},
		{"an alias repeats its anchor's value", "temporal:\n  namespace: &ns larder\n  task_queue: *ns\n",
			func(t *testing.T, cfg Config, from func(string) string) {
				if cfg.Temporal.Namespace != "larder" || cfg.Temporal.TaskQueue != "larder" {
					t.Errorf("namespace %q, task queue %q; want larder for both", cfg.Temporal.Namespace, cfg.Temporal.TaskQueue)
				}
				if !strings.HasSuffix(from("temporal.task_queue"), " line 3") {
					t.Errorf("task queue came from %q, want line 3", from("temporal.task_queue"))
				}
			}},
		{"an alias of a list of proxies", "http:\n  trusted_proxies: &lb [10.0.0.10, 10.0.0.11]\ntemporal:\n  address: &temporal temporal.internal:7233\n",
			func(t *testing.T, cfg Config, _ func(string) string) {
				if len(cfg.HTTP.TrustedProxies) != 2 || cfg.Temporal.Address != "temporal.internal:7233" {
					t.Errorf("proxies %v, temporal %q", cfg.HTTP.TrustedProxies, cfg.Temporal.Address)
				}
			}},
		{"merged keys give way to the section's own", "forms:\n  submissions_per_minute: 6\n  <<: {draft_ttl: 3h, submissions_per_minute: 4}\n",
			func(t *testing.T, cfg Config, _ func(string) string) {
				if cfg.Forms.DraftTTL != 3*time.Hour || cfg.Forms.SubmissionsPerMinute != 6 {
					t.Errorf("draft_ttl %s, submissions_per_minute %d; want 3h merged and 6 of its own", cfg.Forms.DraftTTL, cfg.Forms.SubmissionsPerMinute)
				}
			}},
		{"null leaves an optional setting empty", "smtp:\n  url: ~\ntemporal:\n  address:\nredis: null\n",
			func(t *testing.T, cfg Config, from func(string) string) {
				if cfg.SMTP.URL != "" || cfg.Temporal.Address != "" || cfg.Redis.KeyPrefix != "larder:" {
					t.Errorf("smtp %q, temporal %q, key prefix %q; want the outbox, embedded Temporal and the default prefix", cfg.SMTP.URL, cfg.Temporal.Address, cfg.Redis.KeyPrefix)
				}
				if !strings.HasSuffix(from("smtp.url"), " line 2") {
					t.Errorf("smtp.url came from %q, want line 2", from("smtp.url"))
				}
			}},
		{"a tag and a block of text", "forms:\n  submissions_per_minute: !!str 5\ncouncil_name: |\n  Larchester Borough Council\n",
			func(t *testing.T, cfg Config, _ func(string) string) {
				if cfg.Forms.SubmissionsPerMinute != 5 || cfg.CouncilName != "Larchester Borough Council" {
					t.Errorf("submissions_per_minute %d, council %q", cfg.Forms.SubmissionsPerMinute, cfg.CouncilName)
				}
			}},
		{"closures quoted or not, and dev as YAML writes true", "dev: True\ncalendar: {closures: [\"2026-12-29\", 2026-12-30]}\n",
			func(t *testing.T, cfg Config, _ func(string) string) {
				if !cfg.Dev || len(cfg.CalendarClosures) != 2 || cfg.CalendarClosures[1].Day() != 30 {
					t.Errorf("dev %v, closures %v; want development mode and two closures", cfg.Dev, cfg.CalendarClosures)
				}
			}},
		{"an empty file keeps the defaults", "# nothing set yet\n",
			func(t *testing.T, cfg Config, _ func(string) string) {
				if cfg.HTTP.Address != "127.0.0.1:8080" || cfg.Forms.DraftTTL != 168*time.Hour {
					t.Errorf("defaults lost: %q %s", cfg.HTTP.Address, cfg.Forms.DraftTTL)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			file := writeConfig(t, tc.yaml)
			cfg, err := loadArgs(t, "--config", file)
			if err != nil {
				t.Fatalf("%s:\n%s\nrefused: %v", tc.name, tc.yaml, err)
			}
			raw, from := defaults(), sources{}
			if err := readFile(file, true, &raw, from); err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg, from.of)
		})
	}
}

// TestConfigFileRefusesWrongShapesNamingTheLine checks each value of the
// wrong shape is refused with the file and line, so an operator can go
// straight to it.
func TestConfigFileRefusesWrongShapesNamingTheLine(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"a map where a value belongs", "council_name:\n  en: Larchester\n",
			"line 1: council_name should be a single value, not a list or a map"},
		{"a list where one address belongs", "http:\n  address: [0.0.0.0:8080, 0.0.0.0:8081]\n",
			"line 2: http.address should be a single value, not a list or a map"},
		{"a list inside the list of proxies", "http:\n  trusted_proxies:\n    - 10.0.0.10\n    - [10.0.0.11]\n",
			"line 2: http.trusted_proxies should be a value or a list of values"},
		{"a value where a section belongs", "council_name: Larchester\nforms: 3\n",
			"line 2: forms should hold keys, like the example in deploy/larder.example.yaml"},
		{"a list where the file's keys belong", "- council_name: Larchester\n",
			"line 1: the file should hold keys, like the example in deploy/larder.example.yaml"},
		{"a key nested too deep", "forms:\n  draft:\n    ttl: 1h\n",
			"line 2: unknown key forms.draft"},
		{"an alias of no anchor", "council_name: *council\n",
			"line 1: *council names no value: write &council before the value it stands for"},
		{"a section that is an alias of no anchor", "forms: *defaults\n",
			"line 1: *defaults names no value"},
		{"a section merging itself", "forms: &forms\n  draft_ttl: 1h\n  <<: *forms\n",
			"line 3: the keys merged in with << lead back to themselves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			file := writeConfig(t, tc.yaml)
			_, err := loadArgs(t, "--config", file)
			wantProblem(t, err, file+" "+tc.want)
		})
	}
	t.Run("null where a value is required", func(t *testing.T) {
		clearEnv(t)
		file := writeConfig(t, "council_name: ~\n")
		_, err := loadArgs(t, "--config", file)
		wantProblem(t, err, `council_name: "" from `+file+` line 1 is empty (use Larchester Council)`)
	})
}
