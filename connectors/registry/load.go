// Package registry builds the deployment's connectors from connectors.yaml,
// through an explicit list of the connector kinds Larder knows.
package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/larder-council/larder/connectors"
	httpconn "github.com/larder-council/larder/connectors/http"
	"github.com/larder-council/larder/connectors/open311"
)

// file is the shape of connectors.yaml: each connector names its kind and
// carries that kind's settings.
type file struct {
	Connectors map[string]entry `yaml:"connectors"`
}

// entry is one connector: its kind and, under the key named like the kind,
// that kind's settings. A new kind adds its settings here and its builder
// to kinds.
type entry struct {
	// Kind picks the implementation: http or open311.
	Kind string `yaml:"kind"`
	// HTTP is the settings of an http connector.
	HTTP *httpconn.Config `yaml:"http"`
	// Open311 is the settings of an open311 (GeoReport v2) connector.
	Open311 *open311.Config `yaml:"open311"`
}

// kinds is the explicit list of connector kinds Larder knows. The loader
// has already checked that the entry carries the kind's settings (the key
// named like the kind) and no other kind's; dir is connectors.yaml's folder,
// against which relative file names in the settings are read.
var kinds = map[string]func(name, dir string, e entry) (connectors.Connector, error){
	"http": func(name, dir string, e entry) (connectors.Connector, error) {
		cfg := *e.HTTP
		if cfg.TLS != nil {
			tls := *cfg.TLS
			for _, f := range []*string{&tls.CAFile, &tls.CertFile, &tls.KeyFile} {
				*f = inDir(dir, *f)
			}
			cfg.TLS = &tls
		}
		return httpconn.New(name, cfg)
	},
	"open311": func(name, _ string, e entry) (connectors.Connector, error) {
		return open311.New(name, *e.Open311)
	},
}

// inDir resolves a file name given in connectors.yaml against its folder.
func inDir(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// LoadFile reads connectors.yaml. ${NAME} and ${NAME:-default} in its
// values are replaced from the environment, so secrets and addresses stay
// out of it. No file means no connectors: recipes that only email and open
// tasks need none, and a recipe that calls one is told the connector is
// unknown. Mistakes in the file come back as Problems, each at its line.
func LoadFile(path string) (*connectors.Registry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return connectors.NewRegistry(map[string]connectors.Connector{}), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read connectors: %w", err)
	}
	return Parse(path, data)
}

// Parse builds the connectors described by data, read from path (named in
// problems, and the folder of the files the settings name). The error, when it is
// a mistake in the file, is Problems.
func Parse(path string, data []byte) (*connectors.Registry, error) {
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Problems{decodeProblem(path, err)}
	}
	if ps := keyProblems(path, tree); len(ps) > 0 {
		ps.InFileOrder()
		return nil, ps
	}
	// Values are expanded in the parsed tree, not the text: a secret then
	// cannot break the YAML, nor show in a syntax error, and positions stay
	// those of the file.
	for _, doc := range tree.Docs {
		ast.Walk(expander{}, doc)
	}
	var f file
	if len(tree.Docs) > 0 && tree.Docs[0].Body != nil {
		if err := yaml.NodeToValue(tree.Docs[0].Body, &f, yaml.Strict()); err != nil {
			return nil, Problems{decodeProblem(path, err)}
		}
	}
	byName := map[string]connectors.Connector{}
	var ps Problems
	at := func(err error, keys ...string) {
		ps = append(ps, problems(path, tree, err, keys)...)
	}
	for _, name := range sortedKeys(f.Connectors) {
		e := f.Connectors[name]
		build, ok := kinds[e.Kind]
		if !ok {
			at(fmt.Errorf("unknown kind %q (use %s)", e.Kind, strings.Join(sortedKeys(kinds), " or ")), "connectors", name, "kind")
			continue
		}
		if missing := settingsProblems(e, name, at); missing {
			continue
		}
		c, err := build(name, filepath.Dir(path), e)
		if err != nil {
			at(err, "connectors", name)
			continue
		}
		byName[name] = c
	}
	if len(ps) > 0 {
		ps.InFileOrder()
		return nil, ps
	}
	return connectors.NewRegistry(byName), nil
}

// settingsProblems checks an entry carries its kind's settings and no
// other kind's; it reports whether the kind's own are missing.
func settingsProblems(e entry, name string, at func(error, ...string)) (missing bool) {
	v := reflect.ValueOf(e)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Type.Kind() != reflect.Pointer || key == "" {
			continue
		}
		given := !v.Field(i).IsNil()
		switch {
		case key == e.Kind && !given:
			at(fmt.Errorf("is required for kind %s", e.Kind), "connectors", name, key)
			missing = true
		case key != e.Kind && given:
			at(fmt.Errorf("is for kind %s, and this connector is kind %s", key, e.Kind), "connectors", name, key)
		}
	}
	return missing
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// expander replaces ${NAME} and ${NAME:-default} in every string value.
type expander struct{}

func (x expander) Visit(n ast.Node) ast.Visitor {
	if s, ok := n.(*ast.StringNode); ok {
		s.Value = expandEnv(s.Value)
	}
	return x
}

var envRef = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(:-([^}]*))?\}`)

func expandEnv(s string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		parts := envRef.FindStringSubmatch(m)
		if v, ok := os.LookupEnv(parts[1]); ok && v != "" {
			return v
		}
		return strings.TrimSpace(parts[3])
	})
}
