package deploy

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// compose is the part of the Compose file format deploy/compose.yaml uses;
// decoded strictly, a key outside it fails the test (add it here when the
// file needs it).
type compose struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]struct{}       `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	Deploy      *struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
}

// required is ${NAME:?message}: Compose refuses to start without NAME.
var required = regexp.MustCompile(`^\$\{([A-Z_][A-Z0-9_]*):\?[^}]+\}$`)

// TestCompose decodes deploy/compose.yaml strictly and checks the web and
// the worker run Larder with variables Larder reads, against the compose
// file's own Temporal and Redis, sharing a secret key that has no default.
func TestCompose(t *testing.T) {
	k := larderKnows(t)
	name := filepath.Join(root, "deploy", "compose.yaml")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for svc, s := range c.Services {
		if (s.Image == "") == (s.Build == nil) {
			t.Errorf("service %s: give an image or a build, one of them", svc)
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(root, "deploy", s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("service %s builds from %s: %v", svc, s.Build.Dockerfile, err)
			}
		}
		for _, v := range s.Volumes {
			vol, _, _ := strings.Cut(v, ":")
			if _, ok := c.Volumes[vol]; !ok && !strings.HasPrefix(vol, ".") && !strings.HasPrefix(vol, "/") {
				t.Errorf("service %s mounts volume %s, which volumes does not declare", svc, vol)
			}
		}
	}
	keys := map[string]string{}
	for _, role := range []string{"web", "worker"} {
		s, ok := c.Services[role]
		if !ok {
			t.Errorf("no %s service", role)
			continue
		}
		if len(s.Command) < 2 || s.Command[0] != "/usr/local/bin/larder" || s.Command[1] != role {
			t.Errorf("service %s runs %q; want larder %s", role, s.Command, role)
		} else {
			checkFlags(t, k, s.Command[2:])
		}
		for env, v := range s.Environment {
			if !k.envs[env] {
				t.Errorf("service %s: %s is not a variable Larder reads", role, env)
			}
			if strings.HasPrefix(env, "LARDER_") && keys[env] != "" && keys[env] != v {
				t.Errorf("the web and the worker give %s different values", env)
			}
			keys[env] = v
		}
		for _, env := range []string{"LARDER_TEMPORAL_ADDRESS", "LARDER_REDIS_URL", "LARDER_SECRET_KEY"} {
			if s.Environment[env] == "" {
				t.Errorf("service %s: no %s; larder %s needs it beside other processes", role, env, role)
			}
		}
		host := func(v string) string {
			v = strings.TrimPrefix(strings.TrimPrefix(v, "redis://"), "smtp://")
			if i := strings.LastIndex(v, "@"); i >= 0 {
				v = v[i+1:]
			}
			h, _, _ := strings.Cut(v, ":")
			return h
		}
		for _, env := range []string{"LARDER_TEMPORAL_ADDRESS", "LARDER_REDIS_URL", "LARDER_SMTP_URL"} {
			if v := s.Environment[env]; v != "" {
				if _, ok := c.Services[host(v)]; !ok {
					t.Errorf("service %s: %s=%s names no service of the compose file", role, env, v)
				}
			}
		}
		for key := range k.secret {
			v, ok := s.Environment[k.keyEnvs[key]]
			if !ok || v == "" || required.MatchString(v) {
				continue
			}
			// A URL without a password (redis://redis:6379/0) is no secret.
			if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.User != nil {
				t.Errorf("service %s: %s holds a secret; it comes from the shell as ${%s:?...}", role, k.keyEnvs[key], k.keyEnvs[key])
			}
		}
		if !required.MatchString(s.Environment["LARDER_SECRET_KEY"]) {
			t.Errorf("service %s: LARDER_SECRET_KEY has a default or a value; it must come from the shell, as ${LARDER_SECRET_KEY:?...}", role)
		}
	}
	if web, ok := c.Services["web"]; ok && !slices.ContainsFunc(web.Ports, func(p string) bool { return strings.HasSuffix(p, ":8080") }) {
		t.Errorf("the web publishes %v; want the port --http-address gives, 8080", web.Ports)
	}
}
