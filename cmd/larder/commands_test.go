package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/larder-council/larder/workflows/recipe"
)

// run runs the larder command line with args and returns its exit code,
// standard output and standard error.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = larder(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageOnNoCommandOrAnUnknownOne(t *testing.T) {
	commands := []string{"serve", "web", "worker", "validate", "bench"}
	code, stdout, stderr := run(t)
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "usage: larder <command> [flags]") {
		t.Errorf("larder with no command: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	for _, c := range commands {
		if !strings.Contains(stderr, "\n  "+c+" ") {
			t.Errorf("usage does not list %s:\n%s", c, stderr)
		}
	}
	code, stdout, stderr = run(t, "serv", "--data-dir", t.TempDir())
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, `larder: unknown command "serv"`) || !strings.Contains(stderr, "usage: larder <command>") {
		t.Errorf("larder serv: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	for _, help := range []string{"help", "-h", "--help"} {
		code, stdout, stderr = run(t, help)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "usage: larder <command> [flags]") {
			t.Errorf("larder %s: exit %d, stderr %q, stdout:\n%s", help, code, stderr, stdout)
		}
	}
}

func TestServeRefusesBadArgumentsBeforeStarting(t *testing.T) {
	clearEnv(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	badFile := writeConfig(t, "council_name: Larchester\nforms: 3\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a flag serve does not have", []string{"serve", "--data-dir", dataDir, "--temporal-adress", "temporal:7233"},
			"flag provided but not defined: -temporal-adress"},
		{"a word that is not a flag", []string{"serve", "--data-dir", dataDir, "now"},
			`larder serve: takes flags only, not "now"`},
		{"a config file with a wrong shape", []string{"serve", "--data-dir", dataDir, "--config", badFile},
			"larder serve: " + badFile + " line 2: forms should hold keys"},
		{"web without a shared Temporal", []string{"web", "--data-dir", dataDir, "--redis-url", "redis://127.0.0.1:1"},
			"larder web: runs beside other processes, so it needs a shared Temporal and Redis: set temporal.address and redis.url"},
		{"worker without a shared Redis", []string{"worker", "--data-dir", dataDir, "--temporal-address", "127.0.0.1:1"},
			"larder worker: runs beside other processes, so it needs a shared Temporal and Redis"},
		{"web without a shared secret key", []string{"web", "--data-dir", dataDir, "--temporal-address", "127.0.0.1:1", "--redis-url", "redis://127.0.0.1:1"},
			"larder web: runs beside other web processes, which must sign sessions and search keys alike: set secret_key (LARDER_SECRET_KEY)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("larder %s: exit %d, want 2 and %q in:\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				t.Errorf("larder started (made %s) before refusing its arguments", dataDir)
			}
		})
	}
}

// positioned is a problem line as editors read it: file:line:col: message.
var positioned = regexp.MustCompile(`^(.+):(\d+):(\d+): \S`)

// recipesFolder copies the shipped recipes folder, with replace applied
// to the named files, and returns its path.
func recipesFolder(t *testing.T, replace map[string]*strings.Replacer) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(recipesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(recipesDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := replace[e.Name()]; ok {
			changed := r.Replace(string(data))
			if changed == string(data) {
				t.Fatalf("%s: the change does not apply to the shipped file", e.Name())
			}
			data = []byte(changed)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateCommandOnGoodAndBadFolders(t *testing.T) {
	shipped, err := recipe.RecipeFiles(recipesDir)
	if err != nil {
		t.Fatal(err)
	}
	allValid := fmt.Sprintf("%d recipes valid\n", len(shipped))

	t.Run("the recipes folder by default", func(t *testing.T) {
		t.Chdir("../..") // where make lint runs larder validate
		code, stdout, _ := run(t, "validate")
		if code != 0 || stdout != allValid {
			t.Errorf("larder validate in the repository: exit %d, %q; want 0 and %q", code, stdout, allValid)
		}
	})

	t.Run("a good folder", func(t *testing.T) {
		code, stdout, _ := run(t, "validate", recipesFolder(t, nil))
		if code != 0 || stdout != allValid {
			t.Errorf("exit %d, %q; want 0 and %q", code, stdout, allValid)
		}
	})

	t.Run("a bad folder: one positioned line per problem", func(t *testing.T) {
		dir := recipesFolder(t, map[string]*strings.Replacer{
			"missed-bin.yaml":  strings.NewReplacer("next: confirm", "next: confrim"),
			"fly-tipping.yaml": strings.NewReplacer("example: sam@example.com", "example: sam at example.com"),
		})
		code, stdout, _ := run(t, "validate", dir)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) != 2 {
			t.Fatalf("want 2 lines, one per problem, got:\n%s", stdout)
		}
		want := map[string]string{
			"fly-tipping.yaml": `form.pages.contact.fields.email.example: example "sam at example.com" fails its rules: Enter an email address in the correct format, like name@example.com`,
			"missed-bin.yaml":  `steps.raise.next: unknown step "confrim" (did you mean "confirm"?)`,
		}
		for _, l := range lines {
			m := positioned.FindStringSubmatch(l)
			if m == nil || filepath.Dir(m[1]) != dir {
				t.Errorf("not file:line:col in the folder: %s", l)
				continue
			}
			name := filepath.Base(m[1])
			if !strings.HasSuffix(l, want[name]) {
				t.Errorf("%s: want %q, got %s", name, want[name], l)
			}
			delete(want, name)
		}
		if len(want) > 0 {
			t.Errorf("no problem reported for %v:\n%s", want, stdout)
		}
	})

	t.Run("an example's line is where it is written", func(t *testing.T) {
		dir := recipesFolder(t, map[string]*strings.Replacer{
			"missed-bin.yaml": strings.NewReplacer("example: LR1 1AA", "example: LR1"),
		})
		code, stdout, _ := run(t, "validate", filepath.Join(dir, "missed-bin.yaml"))
		data, _ := os.ReadFile(filepath.Join(dir, "missed-bin.yaml"))
		var at string
		for i, l := range strings.Split(string(data), "\n") {
			if c := strings.Index(l, "example: LR1"); c >= 0 {
				at = filepath.Join(dir, "missed-bin.yaml") + fmt.Sprintf(":%d:%d: ", i+1, c+len("example: ")+1)
			}
		}
		if code != 1 || !strings.HasPrefix(stdout, at) {
			t.Errorf("exit %d, want 1 and a line starting %q:\n%s", code, at, stdout)
		}
	})

	t.Run("a broken connectors.yaml", func(t *testing.T) {
		dir := recipesFolder(t, map[string]*strings.Replacer{
			"connectors.yaml": strings.NewReplacer("kind: http", "kind: carrier-pigeon"),
		})
		code, stdout, _ := run(t, "validate", dir)
		if code != 1 || !strings.Contains(stdout, "carrier-pigeon") {
			t.Errorf("exit %d, want 1 naming the unknown kind:\n%s", code, stdout)
		}
	})

	t.Run("a file that is not there", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "bulky-waste.yaml")
		code, stdout, _ := run(t, "validate", missing)
		if code != 1 || !strings.HasPrefix(stdout, missing+": ") {
			t.Errorf("exit %d, want 1 and a line naming %s:\n%s", code, missing, stdout)
		}
	})
}
