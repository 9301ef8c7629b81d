package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBPMNWritesTheRecipe: larder bpmn prints a shipped recipe's steps as
// BPMN to stdout, or to the file -o names, the same both ways.
func TestBPMNWritesTheRecipe(t *testing.T) {
	file := filepath.Join(recipesDir, "missed-bin.yaml")
	var out, errOut bytes.Buffer
	if code := larder([]string{"bpmn", file}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc struct {
		XMLName xml.Name
		Process struct {
			ID    string `xml:"id,attr"`
			Tasks []struct {
				ID string `xml:"id,attr"`
			} `xml:"serviceTask"`
		} `xml:"process"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out.String())
	}
	if doc.XMLName.Local != "definitions" || doc.Process.ID != "missed-bin" || len(doc.Process.Tasks) != 2 || doc.Process.Tasks[0].ID != "check" {
		t.Errorf("unexpected BPMN: %+v", doc)
	}

	path := filepath.Join(t.TempDir(), "missed-bin.bpmn")
	var quiet bytes.Buffer
	if code := larder([]string{"bpmn", "-o", path, file}, &quiet, &errOut); code != 0 || quiet.Len() != 0 {
		t.Fatalf("exit %d, stdout %q: %s", code, quiet.String(), errOut.String())
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, out.Bytes()) {
		t.Error("-o wrote other XML than stdout showed")
	}

	// With no connectors.yaml beside it, connector names go unchecked.
	out.Reset()
	example := filepath.Join("..", "..", "workflows", "recipe", "testdata", "steps", "call.yaml")
	if code := larder([]string{"bpmn", example}, &out, &errOut); code != 0 || !strings.Contains(out.String(), `<bpmn:serviceTask id="book"`) {
		t.Errorf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
}

// TestBPMNPrintsProblems: a recipe with mistakes gives the same
// positioned lines as larder validate (connectors beside it checked), no
// XML, and exit 1; a missing file or argument is said so.
func TestBPMNPrintsProblems(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"connectors.yaml", "emails.yaml"} {
		data, _ := os.ReadFile(filepath.Join(recipesDir, name))
		_ = os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	src, _ := os.ReadFile(filepath.Join(recipesDir, "missed-bin.yaml"))
	bad := strings.NewReplacer("next: confirm", "next: confrim", "operation: report_missed", "operation: report_mised").Replace(string(src))
	path := filepath.Join(dir, "missed-bin.yaml")
	_ = os.WriteFile(path, []byte(bad), 0o600)

	var out, errOut bytes.Buffer
	if code := larder([]string{"bpmn", path}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("wrote XML for a recipe with problems:\n%s", out.String())
	}
	for _, want := range []string{
		path + ":",
		`steps.raise.next: unknown step "confrim" (did you mean "confirm"?)`,
		`steps.raise.call.operation: connector "waste" has no operation "report_mised"`,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("missing %q in:\n%s", want, errOut.String())
		}
	}

	errOut.Reset()
	if code := larder([]string{"bpmn", filepath.Join(dir, "nothing.yaml")}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "nothing.yaml") {
		t.Errorf("missing file: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	if code := larder([]string{"bpmn"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage: larder bpmn") {
		t.Errorf("no file: exit %d: %s", code, errOut.String())
	}
}
