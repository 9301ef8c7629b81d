package main

import (
	"bytes"
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
