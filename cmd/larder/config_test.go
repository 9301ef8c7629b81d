package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "larder.yaml")
	if err := os.WriteFile(file, []byte("http:\n  address: 0.0.0.0:9000\ncouncil_name: From File\nredis:\n  url: redis://file:6379\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LARDER_COUNCIL_NAME", "From Env")
	t.Setenv("LARDER_SMTP_URL", "smtp://mailer:hunter2@relay.example:587")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg, err := loadConfig(fs, []string{"--config", file, "--redis-url", "redis://flag:6379"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Address != "0.0.0.0:9000" {
		t.Errorf("file value lost: %q", cfg.HTTP.Address)
	}
	if cfg.CouncilName != "From Env" {
		t.Errorf("env should override file: %q", cfg.CouncilName)
	}
	if cfg.Redis.URL != "redis://flag:6379" {
		t.Errorf("flag should override file: %q", cfg.Redis.URL)
	}
	if cfg.DataDir != "data" {
		t.Errorf("default lost: %q", cfg.DataDir)
	}
	logged := strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(fmtAll(cfg.effective()), "\n", " "), " ")), " ")
	if strings.Contains(logged, "hunter2") {
		t.Errorf("secret in the start-up log: %s", logged)
	}
	if !strings.Contains(logged, "relay.example") {
		t.Errorf("masked URL should still name the host: %s", logged)
	}
}

func TestConfigRefusesUnknownKeysAndMissingNamedFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "larder.yaml")
	_ = os.WriteFile(file, []byte("htttp:\n  address: x\n"), 0o600)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := loadConfig(fs, []string{"--config", file}); err == nil || !strings.Contains(err.Error(), "htttp") {
		t.Errorf("want an error naming the unknown key, got %v", err)
	}
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	if _, err := loadConfig(fs, []string{"--config", filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a named config file that does not exist must be an error")
	}
}

func TestSecretIsGeneratedOnceAndKept(t *testing.T) {
	cfg := defaults()
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

func fmtAll(kv []any) string {
	var b strings.Builder
	for _, v := range kv {
		b.WriteString(" ")
		b.WriteString(v.(string))
	}
	return b.String()
}

func TestExampleConfigLoads(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg, err := loadConfig(fs, []string{"--config", "../../deploy/larder.example.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.formLimits(); err != nil {
		t.Fatal(err)
	}
	if cfg.Temporal.Address == "" || len(cfg.trustedProxies()) != 1 {
		t.Errorf("example config not read: %+v", cfg)
	}
}
