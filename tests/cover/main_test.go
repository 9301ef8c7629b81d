package main

import (
	"strings"
	"testing"
)

const profile = `mode: set
example.com/m/a/a.go:1.1,2.2 3 0
example.com/m/a/a.go:3.1,4.2 1 1
example.com/m/a/a.go:1.1,2.2 3 1
example.com/m/a/a.go:5.1,6.2 2 0
example.com/m/b/b.go:1.1,2.2 4 0
example.com/m/kit/kit.go:1.1,2.2 5 1
example.com/m/main.go:1.1,2.2 2 1
`

func TestPerPackageCountsABlockOnceWhereverItRan(t *testing.T) {
	pkgs, err := perPackage(strings.NewReader(profile), "example.com/m", []string{"kit"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{
		{Path: ".", Statements: 2, Covered: 2},
		// the first block ran in the second binary only; it counts once
		{Path: "a", Statements: 6, Covered: 4},
		{Path: "b", Statements: 4, Covered: 0},
	}
	if len(pkgs) != len(want) {
		t.Fatalf("got %+v, want %+v (kit excluded)", pkgs, want)
	}
	for i := range want {
		if pkgs[i] != want[i] {
			t.Errorf("package %d: got %+v, want %+v", i, pkgs[i], want[i])
		}
	}
}

func TestWriteTableEndsWithTheTotal(t *testing.T) {
	var b strings.Builder
	writeTable(&b, []Package{{Path: "a", Statements: 6, Covered: 4}, {Path: "b", Statements: 4}})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "package") {
		t.Fatalf("table:\n%s", b.String())
	}
	for i, want := range []string{"66.7%", "0.0%", "40.0%"} {
		if !strings.HasSuffix(lines[i+1], want) {
			t.Errorf("line %q should end %s", lines[i+1], want)
		}
	}
	if !strings.HasPrefix(lines[3], "total") {
		t.Errorf("last line %q should be the total", lines[3])
	}
}

func TestPerPackageRefusesAProfileWithNoBlocks(t *testing.T) {
	if _, err := perPackage(strings.NewReader("mode: set\n"), "example.com/m", nil); err == nil {
		t.Error("an empty profile should be an error, not an empty table")
	}
}
