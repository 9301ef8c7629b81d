// Package deploy checks the files in deploy/ — the Kubernetes manifests,
// the compose file, the systemd unit, the example configuration and the
// image — by decoding each strictly and holding it to what Larder reads:
// every setting and variable they give is one Larder knows, the commands
// are Larder's, and the probes ask /readyz and /healthz on the served port.
package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// root is the repository, from this package's folder.
const root = "../.."

// known is what Larder reads: its settings (from the settings table in
// cmd/larder, read from the source because that package is a main), and
// the variables recipes/connectors.yaml and the staff file name.
type known struct {
	keys    map[string]bool // config file keys, like temporal.address
	secret  map[string]bool // keys whose values are secrets
	envs    map[string]bool // every variable Larder or its files read
	flags   map[string]bool // flags of serve, web and worker, without --
	keyEnvs map[string]string
}

// larderKnows reads the settings table: every composite literal of type
// setting in cmd/larder's non-test files, whose first fields are the key,
// the variable, the flag and the help, then whether it is secret.
func larderKnows(t *testing.T) known {
	t.Helper()
	k := known{keys: map[string]bool{}, secret: map[string]bool{}, envs: map[string]bool{},
		flags: map[string]bool{"config": true}, keyEnvs: map[string]string{}}
	files, err := filepath.Glob(filepath.Join(root, "cmd", "larder", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			list, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if arr, ok := list.Type.(*ast.ArrayType); !ok || !isIdent(arr.Elt, "setting") {
				if isIdent(list.Type, "setting") {
					k.add(t, fset, list)
				}
				return true
			}
			for _, e := range list.Elts {
				if lit, ok := e.(*ast.CompositeLit); ok {
					k.add(t, fset, lit)
				}
			}
			return false
		})
	}
	if len(k.keys) < 20 || !k.keys["temporal.address"] || !k.envs["LARDER_SECRET_KEY"] {
		t.Fatalf("read %d settings from cmd/larder; has the settings table moved?", len(k.keys))
	}
	for _, v := range connectorEnvs(t) {
		k.envs[v] = true
	}
	for _, v := range staffTokenEnvs(t) {
		k.envs[v] = true
	}
	return k
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// add notes one setting literal.
func (k known) add(t *testing.T, fset *token.FileSet, lit *ast.CompositeLit) {
	t.Helper()
	str := func(i int) string {
		if i >= len(lit.Elts) {
			t.Fatalf("%s: a setting with fewer fields than expected", fset.Position(lit.Pos()))
		}
		b, ok := lit.Elts[i].(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			t.Fatalf("%s: field %d of a setting is not a string literal", fset.Position(lit.Pos()), i)
		}
		s, err := strconv.Unquote(b.Value)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key, env, flag := str(0), str(1), str(2)
	k.keys[key], k.envs[env], k.keyEnvs[key] = true, true, env
	if flag != "" {
		k.flags[flag] = true
	}
	if len(lit.Elts) > 4 && isIdent(lit.Elts[4], "true") {
		k.secret[key] = true
	}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// connectorEnvs is every ${NAME} recipes/connectors.yaml reads.
func connectorEnvs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "recipes", "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range varRef.FindAllStringSubmatch(string(data), -1) {
		names = append(names, m[1])
	}
	return names
}

// staffTokenEnvs is every token_env of the example staff file: the API
// clients' tokens, which Larder reads from those variables.
func staffTokenEnvs(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "deploy", "staff.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		APIClients []struct {
			TokenEnv string `yaml:"token_env"`
		} `yaml:"api_clients"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.APIClients {
		if c.TokenEnv != "" {
			names = append(names, c.TokenEnv)
		}
	}
	return names
}

// configKeys is the dotted keys of a Larder config file: a mapping's keys
// joined by dots down to the first value that is not a mapping.
func configKeys(t *testing.T, name string, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
				continue
			}
			out[prefix+k] = v
		}
	}
	walk("", doc)
	return out
}

// checkConfig holds a config file to the settings table: every key known.
func checkConfig(t *testing.T, k known, name string, data []byte) map[string]any {
	t.Helper()
	keys := configKeys(t, name, data)
	for key := range keys {
		if !k.keys[key] {
			t.Errorf("%s: %s is not a setting Larder knows", name, key)
		}
	}
	return keys
}

// TestExampleConfig: deploy/larder.example.yaml sets only known keys, and
// no secret has a value in it.
func TestExampleConfig(t *testing.T) {
	k := larderKnows(t)
	name := filepath.Join(root, "deploy", "larder.example.yaml")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range checkConfig(t, k, name, data) {
		if k.secret[key] && v != "" && v != nil {
			t.Errorf("%s: %s holds a value; secrets belong in %s", name, key, k.keyEnvs[key])
		}
	}
}

// TestDockerfile: every ENV of the image is a variable Larder reads, and
// the image runs as a user of its own.
func TestDockerfile(t *testing.T) {
	k := larderKnows(t)
	data, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	user := ""
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "ENV":
			for _, kv := range f[1:] {
				name, _, _ := strings.Cut(kv, "=")
				if !k.envs[name] {
					t.Errorf("Dockerfile: ENV %s is not a variable Larder reads", name)
				}
			}
		case "USER":
			user = f[1]
		}
	}
	if user == "" || user == "root" || user == "0" {
		t.Errorf("Dockerfile: the image runs as %q; want a user of its own", user)
	}
}
