package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unitKeys is every section of a unit file and the directives the test
// lets it use: a section or a directive outside them (a misspelling, or
// one the test has not been told of) fails the test.
var unitKeys = map[string]map[string]bool{
	"Unit": set("Description", "Documentation", "After", "Wants", "Requires", "Before"),
	"Service": set("Type", "User", "Group", "ExecStart", "ExecReload", "Environment", "EnvironmentFile",
		"Restart", "RestartSec", "TimeoutStopSec", "KillSignal", "StateDirectory", "ConfigurationDirectory",
		"WorkingDirectory", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "ReadWritePaths", "PrivateTmp",
		"PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectControlGroups",
		"RestrictSUIDSGID", "LimitNOFILE", "MemoryMax", "CapabilityBoundingSet", "AmbientCapabilities"),
	"Install": set("WantedBy", "RequiredBy"),
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// unit is a parsed unit file: section, then directive, then its values in
// order (a directive may be given more than once).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, name string) unit {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if unitKeys[section] == nil {
				t.Errorf("%s line %d: section [%s] is not one a service unit has", name, n, section)
			}
			if u[section] != nil {
				t.Errorf("%s line %d: section [%s] again", name, n, section)
			}
			u[section] = map[string][]string{}
		case strings.HasSuffix(line, "\\"):
			t.Errorf("%s line %d: a continued line; keep each directive on one", name, n)
		default:
			key, value, ok := strings.Cut(line, "=")
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			switch {
			case !ok:
				t.Errorf("%s line %d: %q is neither a section nor key=value", name, n, line)
			case section == "":
				t.Errorf("%s line %d: %s before any section", name, n, key)
			case !unitKeys[section][key]:
				t.Errorf("%s line %d: %s is not a directive of [%s] this test knows", name, n, key, section)
			default:
				u[section][key] = append(u[section][key], value)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSystemdUnit parses deploy/larder.service and checks it runs larder
// serve (or web or worker) with flags Larder has, a config file whose keys
// Larder knows, variables Larder reads, not as root, and may write to the
// data folder the config names when the rest of the system is read-only.
func TestSystemdUnit(t *testing.T) {
	k := larderKnows(t)
	name := filepath.Join(root, "deploy", "larder.service")
	u := parseUnit(t, name)
	for _, s := range []string{"Unit", "Service", "Install"} {
		if u[s] == nil {
			t.Errorf("%s: no [%s]", name, s)
		}
	}
	svc := u["Service"]
	exec := svc["ExecStart"]
	if len(exec) != 1 {
		t.Fatalf("%s: %d ExecStart lines; want one", name, len(exec))
	}
	args := strings.Fields(exec[0])
	if len(args) < 2 || args[0] != "/usr/local/bin/larder" || !(args[1] == "serve" || args[1] == "web" || args[1] == "worker") {
		t.Fatalf("%s: ExecStart=%s; want /usr/local/bin/larder serve (or web, or worker)", name, exec[0])
	}
	checkFlags(t, k, args[2:])
	for _, e := range svc["Environment"] {
		for _, kv := range strings.Fields(e) {
			env, _, _ := strings.Cut(strings.Trim(kv, `"`), "=")
			if !k.envs[env] {
				t.Errorf("%s: Environment %s is not a variable Larder reads", name, env)
			}
			if isSecretEnv(k, env) {
				t.Errorf("%s: %s in the unit, which anyone may read; put it in the EnvironmentFile", name, env)
			}
		}
	}
	for _, user := range svc["User"] {
		if user == "root" || user == "0" {
			t.Errorf("%s: runs as root", name)
		}
	}
	if len(svc["User"]) == 0 {
		t.Errorf("%s: no User; Larder would run as root", name)
	}
	// The config file it names is the example's, installed: its data_dir
	// must be writable where ProtectSystem makes the rest read-only.
	dataDir := "data"
	for i, a := range args {
		if a == "--config" && i+1 < len(args) && args[i+1] == "/etc/larder/larder.yaml" {
			data, err := os.ReadFile(filepath.Join(root, "deploy", "larder.example.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := checkConfig(t, k, "larder.example.yaml", data)["data_dir"].(string); ok {
				dataDir = d
			}
		}
		if strings.HasPrefix(a, "--data-dir") {
			if _, v, ok := strings.Cut(a, "="); ok {
				dataDir = v
			} else if i+1 < len(args) {
				dataDir = args[i+1]
			}
		}
	}
	if !filepath.IsAbs(dataDir) {
		t.Errorf("%s: data_dir %q is relative to a folder systemd does not set; name it in the config", name, dataDir)
	}
	if ps := svc["ProtectSystem"]; len(ps) > 0 && (ps[0] == "strict" || ps[0] == "full") {
		writable := false
		for _, p := range svc["ReadWritePaths"] {
			for _, dir := range strings.Fields(p) {
				writable = writable || filepath.Clean(strings.TrimPrefix(dir, "-")) == filepath.Clean(dataDir)
			}
		}
		for _, s := range svc["StateDirectory"] {
			for _, dir := range strings.Fields(s) {
				writable = writable || filepath.Join("/var/lib", dir) == filepath.Clean(dataDir)
			}
		}
		if !writable {
			t.Errorf("%s: ProtectSystem=%s leaves data_dir %s read-only; add it to ReadWritePaths or StateDirectory", name, ps[0], dataDir)
		}
	}
}

// isSecretEnv: the variable of a secret setting.
func isSecretEnv(k known, env string) bool {
	for key := range k.secret {
		if k.keyEnvs[key] == env {
			return true
		}
	}
	return false
}
