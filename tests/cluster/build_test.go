package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// programs are the binaries the test runs, each its own process.
type programs struct {
	// root is the module's folder, where recipes/ is.
	root string
	// server is Temporal's server (go.temporal.io/server/cmd/server).
	server string
	// sqlTool is Temporal's SQL schema tool (go.temporal.io/server/cmd/tools/sql).
	sqlTool string
	// larder is ./cmd/larder.
	larder string
	// schemas is the server module's schema folder in the module cache.
	schemas string
}

// buildPrograms builds the programs into the module's bin/cluster folder
// (ignored by git), where later runs find them. Temporal's server and
// schema tool, which take a minute or more to build the first time, are
// named for the server module's version and built once per version;
// larder is built each run (go build compiles only what changed).
func buildPrograms(t *testing.T) programs {
	t.Helper()
	gomod := strings.TrimSpace(goOutput(t, "", "env", "GOMOD"))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("the cluster test runs inside the Larder module, but go env GOMOD names none")
	}
	root := filepath.Dir(gomod)
	bin := filepath.Join(root, "bin", "cluster")
	server := strings.Fields(goOutput(t, root, "list", "-m", "-f", "{{.Version}} {{.Dir}}", "go.temporal.io/server"))
	if len(server) != 2 {
		t.Fatalf("go list -m go.temporal.io/server: %q, want its version and folder", server)
	}
	p := programs{
		root:    root,
		server:  filepath.Join(bin, "temporal-server-"+server[0]),
		sqlTool: filepath.Join(bin, "temporal-sql-tool-"+server[0]),
		larder:  filepath.Join(bin, "larder"),
		schemas: filepath.Join(server[1], "schema", "postgresql", "v12"),
	}
	for _, b := range []struct {
		out, pkg string
		once     bool
	}{
		{p.server, "go.temporal.io/server/cmd/server", true},
		{p.sqlTool, "go.temporal.io/server/cmd/tools/sql", true},
		{p.larder, "./cmd/larder", false},
	} {
		if _, err := os.Stat(b.out); err == nil && b.once {
			continue
		}
		// Built beside and renamed, so a run stopped halfway leaves no
		// half-written binary to be taken for a built one.
		tmp := b.out + ".building"
		goOutput(t, root, "build", "-o", tmp, b.pkg)
		if err := os.Rename(tmp, b.out); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// goOutput runs the go command in dir and returns its standard output,
// failing the test with its standard error when it fails.
func goOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
