package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestServicesListsEveryShippedService(t *testing.T) {
	base := faked(t, &fakeCases{})
	r := do(t, http.MethodGet, base+"/services", nil)
	var got struct {
		Services []struct{ ID, Title, Summary, Version string }
	}
	r.decode(t, &got)
	titles := map[string]string{}
	for _, s := range got.Services {
		titles[s.ID] = s.Title
		if s.Version == "" {
			t.Errorf("service %s has no version", s.ID)
		}
	}
	if r.status != http.StatusOK || titles["missed-bin"] != "Report a missed bin collection" || titles["fly-tipping"] != "Report fly-tipping" {
		t.Fatalf("GET /services: %d %s", r.status, r.body)
	}
}

func TestServiceFormShowsEachQuestion(t *testing.T) {
	base := faked(t, &fakeCases{})
	r := do(t, http.MethodGet, base+"/services/fly-tipping", nil)
	type field struct {
		ID, Type, Label string
		Required        bool
		Options         []struct{ Value, Label string }
	}
	var form struct {
		ID, Version     string
		ReferencePrefix string `json:"reference_prefix"`
		Pages           []struct {
			ID     string
			Fields []field
		}
	}
	r.decode(t, &form)
	if r.status != http.StatusOK || form.ID != "fly-tipping" || form.ReferencePrefix != "FT" || !strings.Contains(form.Version, "+") {
		t.Fatalf("GET /services/fly-tipping: %d %s", r.status, r.body)
	}
	fields := map[string]field{}
	for _, p := range form.Pages {
		for _, f := range p.Fields {
			fields[f.ID] = f
		}
	}
	if f := fields["location"]; f.Type != "textarea" || !f.Required {
		t.Errorf("location = %+v, want a required textarea", f)
	}
	if f := fields["photo"]; f.Type != "file" || f.Required {
		t.Errorf("photo = %+v, want an optional file", f)
	}
	if f := fields["items"]; len(f.Options) != 5 || f.Options[0].Value != "bags" || f.Options[0].Label != "Black bags" {
		t.Errorf("items offers %+v, want the five kinds of rubbish", f.Options)
	}
	if len(fields) != 10 {
		t.Errorf("%d questions, want the form's 10", len(fields))
	}
}

func TestUnknownServiceIs404(t *testing.T) {
	base := faked(t, &fakeCases{})
	for _, path := range []string{"/services/no-such-thing", "/services/no-such-thing/submissions"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "submissions") {
			method = http.MethodPost
		}
		r := do(t, method, base+path, strings.NewReader("{}"), "Content-Type", "application/json")
		if r.status != http.StatusNotFound || r.problem(t).Title != "No such service" {
			t.Errorf("%s %s: %d %s, want 404 No such service", method, path, r.status, r.body)
		}
	}
}

func TestRecipeSchemaForEditors(t *testing.T) {
	base := faked(t, &fakeCases{})
	r := do(t, http.MethodGet, base+"/schema/recipe.json", nil)
	var schema struct {
		Schema     string         `json:"$schema"`
		Properties map[string]any `json:"properties"`
	}
	r.decode(t, &schema)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("GET /schema/recipe.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.Contains(schema.Schema, "json-schema.org") || schema.Properties["steps"] == nil || schema.Properties["form"] == nil {
		t.Errorf("the schema does not describe a recipe's form and steps: %.200s", r.body)
	}
}

func TestConnectorsSchemaForEditors(t *testing.T) {
	base := faked(t, &fakeCases{})
	r := do(t, http.MethodGet, base+"/schema/connectors.json", nil)
	var schema struct {
		ID         string         `json:"$id"`
		Properties map[string]any `json:"properties"`
	}
	r.decode(t, &schema)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/schema+json" {
		t.Fatalf("GET /schema/connectors.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.HasSuffix(schema.ID, "/schema/connectors.json") || schema.Properties["connectors"] == nil {
		t.Errorf("the schema does not describe connectors.yaml: %.200s", r.body)
	}
}
