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
// (ignored by git), where later runs find them: go build relinks a binary
// only when something it is built from has changed, so the server, which
// takes a minute or more to link the first time, is built once.
func buildPrograms(t *testing.T) programs {
	t.Helper()
	gomod := strings.TrimSpace(goOutput(t, "", "env", "GOMOD"))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("the cluster test runs inside the Larder module, but go env GOMOD names none")
	}
	root := filepath.Dir(gomod)
	bin := filepath.Join(root, "bin", "cluster")
	p := programs{
		root:    root,
		server:  filepath.Join(bin, "temporal-server"),
		sqlTool: filepath.Join(bin, "temporal-sql-tool"),
		larder:  filepath.Join(bin, "larder"),
		schemas: filepath.Join(strings.TrimSpace(goOutput(t, root, "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/server")), "schema", "postgresql", "v12"),
	}
	for _, b := range []struct{ out, pkg string }{
		{p.server, "go.temporal.io/server/cmd/server"},
		{p.sqlTool, "go.temporal.io/server/cmd/tools/sql"},
		{p.larder, "./cmd/larder"},
	} {
		goOutput(t, root, "build", "-o", b.out, b.pkg)
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
