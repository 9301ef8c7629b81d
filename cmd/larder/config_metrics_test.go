package main

import (
	"slices"
	"strings"
	"testing"
)

// TestConfigLimitsMetrics reads metrics.token (a secret of at least 16
// characters) and metrics.allow (addresses or CIDR ranges) from the file
// and the environment, refusing a short token without showing it.
// Security review, "And then": /metrics can be limited to an address
// range or token.
func TestConfigLimitsMetrics(t *testing.T) {
	clearEnv(t)
	file := writeConfig(t, "metrics:\n  token: metrics-Q7x2\n  allow: [10.0.0.0/24, intranet]\n")
	_, err := loadArgs(t, "--config", file)
	wantProblem(t, err, `metrics.token: "*****" from `+file+` line 2 is shorter than 16 characters`)
	wantProblem(t, err, `metrics.allow: "10.0.0.0/24,intranet" from `+file+` line 3 holds "intranet", which is not an IP address or CIDR range`)
	if err != nil && strings.Contains(err.Error(), "metrics-Q7x2") {
		t.Errorf("the error shows the token: %v", err)
	}

	file = writeConfig(t, "metrics:\n  allow: [10.0.0.0/24, 192.0.2.9]\n")
	t.Setenv("LARDER_METRICS_TOKEN", strings.Repeat("m", 16))
	cfg, err := loadArgs(t, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.Token != strings.Repeat("m", 16) || !slices.Equal(cfg.Metrics.Allow, []string{"10.0.0.0/24", "192.0.2.9"}) {
		t.Errorf("metrics: token %q, allow %v", cfg.Metrics.Token, cfg.Metrics.Allow)
	}
	for i, v := range cfg.effective() {
		if v == "metrics.token" && cfg.effective()[i+1] != "*****" {
			t.Errorf("the start-up log shows metrics.token as %v", cfg.effective()[i+1])
		}
	}
}
