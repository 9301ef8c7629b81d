package connectors

import (
	_ "embed"
	"strings"
)

// Schema is the JSON Schema (draft 2020-12) of connectors.yaml, for editors:
// a file that starts with
//
//	# yaml-language-server: $schema=https://larder.example/schema/connectors.json
//
// gets completion, descriptions and early warnings in VS Code. It checks the
// shape only; `larder validate` remains the judge of addresses, files and
// expressions.
//
//go:embed connectors.schema.json
var Schema []byte

// ConfigError is one mistake in a connector's settings, at the YAML key
// that holds it, so the loader can point at its line in connectors.yaml.
// Its message never carries a setting's value: values may be secrets.
type ConfigError struct {
	// Path is the keys from the top of connectors.yaml, e.g.
	// connectors, waste, http, operations, report, method.
	Path []string
	// Message says what is wrong and, where it can, what to write instead.
	Message string
}

// Error formats the mistake as path: message, the path joined by dots.
func (e *ConfigError) Error() string {
	return strings.Join(e.Path, ".") + ": " + e.Message
}
