package recipe_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/larder-council/larder/workflows/recipe"
)

const schemaURL = "https://larder.example/schema/recipe.json"

// compileSchema compiles recipe.Schema; compiling checks it against the
// draft 2020-12 meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(recipe.Schema))
	if err != nil {
		t.Fatalf("recipe.schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		t.Fatalf("recipe.schema.json does not compile: %v", err)
	}
	return sch
}

// validateFile checks one YAML recipe against the schema, as an editor would.
func validateFile(t *testing.T, sch *jsonschema.Schema, path string) error {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: convert to JSON: %v", path, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("%s: read converted JSON: %v", path, err)
	}
	return sch.Validate(inst)
}

// validRecipes lists the files the schema must accept: the shipped recipes,
// the golden cases the loader accepts (empty .golden), and the per-kind
// recipes under testdata/steps when that folder exists.
func validRecipes(t *testing.T) []string {
	t.Helper()
	shipped, err := recipe.RecipeFiles(filepath.Join("..", "..", "recipes"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shipped) == 0 {
		t.Fatal("no recipes found in ../../recipes")
	}
	out := shipped
	cases, err := filepath.Glob(filepath.Join("testdata", "recipes", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cases {
		if loaderAccepts(t, p, true) {
			out = append(out, p)
		}
	}
	if len(out) == len(shipped) {
		t.Fatal("no valid cases (empty .golden) found in testdata/recipes")
	}
	err = filepath.WalkDir(filepath.Join("testdata", "steps"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".yaml") && loaderAccepts(t, p, false) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// loaderAccepts reports whether the recipe's .golden beside it is empty;
// a missing .golden counts as accepted unless it is required.
func loaderAccepts(t *testing.T, path string, goldenRequired bool) bool {
	t.Helper()
	golden, err := os.ReadFile(strings.TrimSuffix(path, ".yaml") + ".golden")
	if errors.Is(err, fs.ErrNotExist) && !goldenRequired {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(bytes.TrimSpace(golden)) == 0
}

// TestSchemaCompiles checks the embedded schema is a valid draft 2020-12
// schema under the address recipes name in their modeline.
func TestSchemaCompiles(t *testing.T) {
	compileSchema(t)
	var head struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(recipe.Schema, &head); err != nil {
		t.Fatal(err)
	}
	if want := "https://json-schema.org/draft/2020-12/schema"; head.Schema != want {
		t.Errorf("$schema = %q, want %q", head.Schema, want)
	}
	if head.ID != schemaURL {
		t.Errorf("$id = %q, want %q", head.ID, schemaURL)
	}
}

func TestSchemaAcceptsValidRecipes(t *testing.T) {
	sch := compileSchema(t)
	for _, path := range validRecipes(t) {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			if err := validateFile(t, sch, path); err != nil {
				t.Errorf("the loader accepts %s but the schema refuses it:\n%v", path, err)
			}
		})
	}
}

// TestSchemaRejectsMistakes checks each broken recipe is refused, and for
// the reason an editor should show, at the right place.
func TestSchemaRejectsMistakes(t *testing.T) {
	sch := compileSchema(t)
	for _, tc := range []struct {
		file string
		at   string // JSON pointer into the recipe
		says string // part of the error there
	}{
		{"recipes/unknown_yaml_field.yaml", "/steps/0/end", "additional properties 'outcom' not allowed"},
		{"recipes/two_kinds.yaml", "/steps/0", "additional properties 'email' not allowed"},
		{"recipes/no_kind.yaml", "/steps/0", "missing property 'call'"},
		{"recipes/bad_reference_prefix.yaml", "/reference_prefix", "'bw1' does not match pattern"},
		{"schema/field_type_typo.yaml", "/form/pages/0/fields/0/type", "value must be one of 'text', 'textarea', 'email'"},
		{"schema/wait_for_soon.yaml", "/steps/0/wait/for", "'soon' does not match pattern"},
		{"schema/due_work_days.yaml", "/steps/0/task/due", "'5 work days' does not match pattern"},
		{"schema/due_work_days.yaml", "/steps/0/task/escalate/after", "'0 working days' does not match pattern"},
	} {
		t.Run(tc.file+tc.at, func(t *testing.T) {
			err := validateFile(t, sch, filepath.Join("testdata", filepath.FromSlash(tc.file)))
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("schema accepts %s (err = %v), want it refused", tc.file, err)
			}
			// One line per error, nested: "- at '/steps/0/end': message".
			for line := range strings.Lines(ve.Error()) {
				if strings.Contains(line, "at '"+tc.at+"':") && strings.Contains(line, tc.says) {
					return
				}
			}
			t.Errorf("no error at %s saying %q; got:\n%v", tc.at, tc.says, ve)
		})
	}
}

// TestSchemaMatchesModel fails when recipe.go gains, loses or renames a key
// that the schema does not, so the two cannot drift apart.
func TestSchemaMatchesModel(t *testing.T) {
	var doc struct {
		Properties map[string]any         `json:"properties"`
		Defs       map[string]schemaShape `json:"$defs"`
	}
	if err := json.Unmarshal(recipe.Schema, &doc); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		typ reflect.Type
		def string
	}{
		{reflect.TypeFor[recipe.Form](), "form"},
		{reflect.TypeFor[recipe.Page](), "page"},
		{reflect.TypeFor[recipe.Field](), "field"},
		{reflect.TypeFor[recipe.Option](), "option"},
		{reflect.TypeFor[recipe.Lookup](), "lookup"},
		{reflect.TypeFor[recipe.CallStep](), "callStep"},
		{reflect.TypeFor[recipe.Undo](), "undo"},
		{reflect.TypeFor[recipe.Retry](), "retry"},
		{reflect.TypeFor[recipe.EmailStep](), "emailStep"},
		{reflect.TypeFor[recipe.TaskStep](), "taskStep"},
		{reflect.TypeFor[recipe.Outcome](), "outcome"},
		{reflect.TypeFor[recipe.Escalation](), "escalation"},
		{reflect.TypeFor[recipe.DecideStep](), "decideStep"},
		{reflect.TypeFor[recipe.Branch](), "branch"},
		{reflect.TypeFor[recipe.ParallelStep](), "parallelStep"},
		{reflect.TypeFor[recipe.ParallelBranch](), "parallelBranch"},
		{reflect.TypeFor[recipe.WaitStep](), "waitStep"},
		{reflect.TypeFor[recipe.SubrecipeStep](), "subrecipeStep"},
		{reflect.TypeFor[recipe.EndStep](), "endStep"},
		{reflect.TypeFor[recipe.FailStep](), "failStep"},
	} {
		def, ok := doc.Defs[tc.def]
		if !ok {
			t.Errorf("schema has no $defs/%s for %s", tc.def, tc.typ.Name())
			continue
		}
		if got, want := slices.Sorted(maps.Keys(def.Properties)), yamlKeys(tc.typ); !slices.Equal(got, want) {
			t.Errorf("$defs/%s keys = %v, want %v as in recipe.%s", tc.def, got, want, tc.typ.Name())
		}
	}
	if got, want := slices.Sorted(maps.Keys(doc.Properties)), yamlKeys(reflect.TypeFor[recipe.Recipe]()); !slices.Equal(got, want) {
		t.Errorf("top-level keys = %v, want %v as in recipe.Recipe", got, want)
	}

	// A step is one object shape per kind: its kind key besides id, title, started and next.
	var kinds []string
	stepKeys := map[string]any{}
	for _, variant := range doc.Defs["step"].OneOf {
		for k := range variant.Properties {
			stepKeys[k] = nil
			if k != "id" && k != "title" && k != "started" && k != "next" {
				kinds = append(kinds, k)
			}
		}
	}
	if !slices.Equal(kinds, recipe.StepKinds) {
		t.Errorf("step kinds in $defs/step.oneOf = %v, want recipe.StepKinds %v in that order", kinds, recipe.StepKinds)
	}
	if got, want := slices.Sorted(maps.Keys(stepKeys)), yamlKeys(reflect.TypeFor[recipe.Step]()); !slices.Equal(got, want) {
		t.Errorf("step keys = %v, want %v as in recipe.Step", got, want)
	}

	if got := doc.Defs["field"].Properties["type"].Enum; !slices.Equal(got, recipe.FieldTypes) {
		t.Errorf("field type enum = %v, want recipe.FieldTypes %v", got, recipe.FieldTypes)
	}
}

// schemaShape is the part of a schema TestSchemaMatchesModel reads.
type schemaShape struct {
	Properties map[string]schemaShape `json:"properties"`
	OneOf      []schemaShape          `json:"oneOf"`
	Enum       []string               `json:"enum"`
}

// yamlKeys lists a struct's YAML keys, sorted, skipping fields with yaml:"-".
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
