package recipe

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of a recipe file, for editors:
// a recipe that starts with
//
//	# yaml-language-server: $schema=https://larder.example/schema/recipe.json
//
// gets completion, descriptions and early warnings in VS Code. It checks the
// shape only; the loader remains the judge of routes, connectors and
// expressions.
//
//go:embed recipe.schema.json
var Schema []byte
