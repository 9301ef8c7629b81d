package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateShippedRecipes(t *testing.T) {
	var out bytes.Buffer
	if code := validateCommand([]string{recipesDir}, &out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}

func TestValidatePrintsOnePositionedLinePerProblem(t *testing.T) {
	dir := t.TempDir()
	conns, _ := os.ReadFile(filepath.Join(recipesDir, "connectors.yaml"))
	_ = os.WriteFile(filepath.Join(dir, "connectors.yaml"), conns, 0o600)
	emails, _ := os.ReadFile(filepath.Join(recipesDir, "emails.yaml"))
	_ = os.WriteFile(filepath.Join(dir, "emails.yaml"), emails, 0o600)
	src, _ := os.ReadFile(filepath.Join(recipesDir, "missed-bin.yaml"))
	bad := strings.NewReplacer(
		"next: confirm", "next: confrim",
		"operation: report_missed", "operation: report_mised",
		"reported_by: \"{{ form.name }}\"", "reported_by: \"{{ form.nmae }}\"",
		"- when: any(steps.check.bins, .type == form.bin_type)", "- when: any(steps.check.bins, .type ==",
		"reference_prefix: MB", "reference_prefix: mb",
	).Replace(string(src))
	path := filepath.Join(dir, "missed-bin.yaml")
	_ = os.WriteFile(path, []byte(bad), 0o600)

	var out bytes.Buffer
	if code := validateCommand([]string{path}, &out); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 5 problem lines, one per mistake, got:\n%s", out.String())
	}
	for _, want := range []string{
		`steps.raise.next: unknown step "confrim" (did you mean "confirm"?)`,
		`steps.raise.call.operation: connector "waste" has no operation "report_mised"`,
		`steps.raise.call.input.reported_by: unknown form field "nmae"`,
		`steps.has_bin.decide.branches[0].when: expression "any(steps.check.bins, .type ==" does not compile`,
		`reference_prefix: must be 1 to 4 capital letters, like MB`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
	if !strings.HasPrefix(lines[0], path+":") {
		t.Errorf("line does not start with file:line:col: %s", lines[0])
	}
}

// TestValidateChecksConnectors: a mistake in connectors.yaml is a
// positioned line like a recipe's, and the recipes beside it are still
// checked; connectors.yaml can be named alone.
func TestValidateChecksConnectors(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"emails.yaml", "missed-bin.yaml"} {
		data, _ := os.ReadFile(filepath.Join(recipesDir, name))
		_ = os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	bad := `connectors:
  waste:
    kind: http
    http:
      base_url: http://127.0.0.1:8081
      auth:
        kind: bearer
      operations:
        report_missed:
          method: SEND
          path: /api/missed-collections
`
	cpath := filepath.Join(dir, "connectors.yaml")
	_ = os.WriteFile(cpath, []byte(bad), 0o600)
	recipe := filepath.Join(dir, "missed-bin.yaml")
	src, _ := os.ReadFile(recipe)
	_ = os.WriteFile(recipe, []byte(strings.Replace(string(src), "next: confirm", "next: confrim", 1)), 0o600)

	at := func(text string) string { // line:col of text in connectors.yaml
		for i, l := range strings.Split(bad, "\n") {
			if j := strings.Index(l, text); j >= 0 {
				return fmt.Sprintf("%d:%d", i+1, j+1)
			}
		}
		t.Fatalf("no %s in connectors.yaml", text)
		return ""
	}
	var out bytes.Buffer
	if code := validateCommand([]string{dir}, &out); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out.String())
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		cpath + ":" + at("auth:") + ": connectors.waste.http.auth.token: is required for auth kind bearer",
		cpath + ":" + at("SEND") + `: connectors.waste.http.operations.report_missed.method: "SEND" is not GET, POST, PUT, PATCH or DELETE`,
	}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || !strings.Contains(got[2], `steps.raise.next: unknown step "confrim"`) {
		t.Errorf("got:\n%s\nwant the two connectors.yaml problems, then the recipe's:\n%s", out.String(), strings.Join(want, "\n"))
	}

	out.Reset()
	if code := validateCommand([]string{cpath}, &out); code != 1 || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("connectors.yaml alone: exit %d:\n%s\nwant its two problems", code, out.String())
	}
	out.Reset()
	good := filepath.Join(recipesDir, "connectors.yaml")
	if code := validateCommand([]string{good}, &out); code != 0 || out.String() != "connectors valid\n" {
		t.Errorf("the shipped connectors.yaml alone: exit %d: %s", code, out.String())
	}
}
