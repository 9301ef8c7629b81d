// Command cover prints, per package, how many of its statements the whole
// test suite ran, from a coverage profile written by
// `go test -coverpkg=./... -coverprofile=FILE ./...` (as `make cover` does).
// Every test binary reports every package, so a package counts as covered
// wherever a test reached it; a block is covered when any binary ran it.
// Test kits named by -exclude are left out: they are not the product.
//
//	go run ./tests/cover -exclude internal/casetest,internal/redistest bin/cover.out
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

func main() {
	exclude := flag.String("exclude", "", "comma-separated packages, relative to the module, to leave out")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: cover [-exclude pkg,pkg] PROFILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	module, err := modulePath("go.mod")
	if err != nil {
		fail(err)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fail(fmt.Errorf("%w (make cover writes it)", err))
	}
	defer f.Close()
	pkgs, err := perPackage(f, module, strings.Split(*exclude, ","))
	if err != nil {
		fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
	}
	writeTable(os.Stdout, pkgs)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cover:", err)
	os.Exit(1)
}

// modulePath reads the module path from a go.mod file.
func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("%w: run from the module's root", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s names no module", gomod)
}

// Package is one package's statements and how many of them ran.
type Package struct {
	Path       string // relative to the module; "." for its root
	Statements int
	Covered    int
}

// Percent is the share of statements that ran.
func (p Package) Percent() float64 {
	if p.Statements == 0 {
		return 0
	}
	return 100 * float64(p.Covered) / float64(p.Statements)
}

// block is one line of a profile without its count.
type block struct {
	pos   string // file:start.col,end.col
	stmts int
	ran   bool
}

// perPackage adds up a profile by package, sorted by path. A block that
// appears more than once (once per test binary) counts once, as covered if
// any of its lines has a non-zero count.
func perPackage(r io.Reader, module string, exclude []string) ([]Package, error) {
	blocks := map[string]*block{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		// path/file.go:10.2,12.3 2 1
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: %q is not a coverage block", n, line)
		}
		stmts, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.ParseInt(f[2], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		b := blocks[f[0]]
		if b == nil {
			b = &block{pos: f[0], stmts: stmts}
			blocks[f[0]] = b
		}
		b.ran = b.ran || count > 0
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, errors.New("no coverage blocks: did the tests run?")
	}
	byPath := map[string]*Package{}
	for _, b := range blocks {
		file, _, _ := strings.Cut(b.pos, ":")
		rel := strings.TrimPrefix(path.Dir(file), module+"/")
		if rel == module {
			rel = "."
		}
		if slices.Contains(exclude, rel) {
			continue
		}
		p := byPath[rel]
		if p == nil {
			p = &Package{Path: rel}
			byPath[rel] = p
		}
		p.Statements += b.stmts
		if b.ran {
			p.Covered += b.stmts
		}
	}
	out := make([]Package, 0, len(byPath))
	for _, p := range byPath {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Package) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// writeTable writes the table, with a total line.
func writeTable(w io.Writer, pkgs []Package) {
	total := Package{Path: "total"}
	width := len("package")
	for _, p := range pkgs {
		width = max(width, len(p.Path))
		total.Statements += p.Statements
		total.Covered += p.Covered
	}
	fmt.Fprintf(w, "%-*s  %10s  %8s\n", width, "package", "statements", "coverage")
	for _, p := range append(pkgs, total) {
		fmt.Fprintf(w, "%-*s  %10d  %7.1f%%\n", width, p.Path, p.Statements, p.Percent())
	}
}
