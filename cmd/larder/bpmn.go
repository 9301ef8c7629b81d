package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/workflows/bpmn"
	"github.com/larder-council/larder/workflows/recipe"
)

// bpmnCommand writes a recipe's steps as BPMN 2.0 XML, to stdout or to the
// file -o names. The recipe is loaded as larder validate loads it, with
// the connectors.yaml and emails.yaml beside it (without a connectors.yaml
// there, connector names are not checked); a recipe with problems prints
// them, one file:line:col line each, and exits 1.
func bpmnCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("larder bpmn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the XML to this file instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: larder bpmn [-o file.bpmn] RECIPE.yaml")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	file := fs.Arg(0)
	r, code := loadForBPMN(file, stderr)
	if r == nil {
		return code
	}
	var buf bytes.Buffer
	if err := bpmn.Write(&buf, r); err != nil {
		fmt.Fprintf(stderr, "larder bpmn: %s: %v\n", file, err)
		return 1
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		if err != nil {
			return 1
		}
		return 0
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintf(stderr, "larder bpmn: %v\n", err)
		return 1
	}
	return 0
}

// loadForBPMN loads the recipe with the connectors beside it, printing its
// problems (and those of the connectors.yaml) when it has any.
func loadForBPMN(file string, stderr io.Writer) (*recipe.Recipe, int) {
	var conns recipe.Connectors
	connFile := filepath.Join(filepath.Dir(file), "connectors.yaml")
	if _, err := os.Stat(connFile); err == nil {
		reg, err := registry.LoadFile(connFile)
		var ps registry.Problems
		switch {
		case errors.As(err, &ps):
			for _, p := range ps {
				fmt.Fprintln(stderr, p.Error())
			}
			return nil, 1
		case err != nil:
			fmt.Fprintf(stderr, "larder bpmn: %v\n", err)
			return nil, 1
		}
		conns = reg
	}
	r, err := recipe.LoadFile(file, conns)
	var ps recipe.Problems
	switch {
	case errors.As(err, &ps):
		for _, p := range ps {
			fmt.Fprintln(stderr, p.Error())
		}
		return nil, 1
	case err != nil:
		fmt.Fprintf(stderr, "larder bpmn: %s: %v\n", file, err)
		return nil, 1
	}
	return r, 0
}
