// Package registry builds the deployment's connectors from connectors.yaml,
// through an explicit list of the connector kinds Larder knows.
package registry

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/larder-council/larder/connectors"
	httpconn "github.com/larder-council/larder/connectors/http"
)

// file is the shape of connectors.yaml: each connector names its kind and
// carries that kind's settings.
type file struct {
	Connectors map[string]entry `yaml:"connectors"`
}

type entry struct {
	// Kind picks the implementation: http.
	Kind string `yaml:"kind"`
	// HTTP is the settings of an http connector.
	HTTP *httpconn.Config `yaml:"http"`
}

// kinds is the explicit list of connector kinds Larder knows.
var kinds = map[string]func(name string, e entry) (connectors.Connector, error){
	"http": func(name string, e entry) (connectors.Connector, error) {
		if e.HTTP == nil {
			return nil, fmt.Errorf("connectors.%s.http: is required for kind http", name)
		}
		return httpconn.New(name, *e.HTTP)
	},
}

// LoadFile reads connectors.yaml. ${NAME} and ${NAME:-default} in the file
// are replaced from the environment, so secrets and addresses stay out of it.
// No file means no connectors: recipes that only email and open tasks need
// none, and a recipe that calls one is told the connector is unknown.
func LoadFile(path string) (*connectors.Registry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return connectors.NewRegistry(map[string]connectors.Connector{}), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read connectors: %w", err)
	}
	var f file
	if err := yaml.UnmarshalWithOptions([]byte(expandEnv(string(data))), &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yaml.FormatError(err, false, false))
	}
	byName := map[string]connectors.Connector{}
	var errs []error
	for name, e := range f.Connectors {
		build, ok := kinds[e.Kind]
		if !ok {
			errs = append(errs, fmt.Errorf("connectors.%s.kind: unknown kind %q (use http)", name, e.Kind))
			continue
		}
		c, err := build(name, e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byName[name] = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return connectors.NewRegistry(byName), nil
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
