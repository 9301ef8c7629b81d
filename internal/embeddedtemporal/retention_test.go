package embeddedtemporal_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"

	"github.com/larder-council/larder/internal/embeddedtemporal"
)

// retention is how long srv's namespace keeps a closed case.
func retention(t *testing.T, c client.Client, namespace string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		t.Fatalf("namespace %q: %v", namespace, err)
	}
	return ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
}

// makeDataFolderOfOlderLarder makes a database file with the namespace as
// Larder made it before retention was a setting: Temporal's default of a day.
func makeDataFolderOfOlderLarder(t *testing.T, file, namespace string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		t.Fatal(err)
	}
	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{"mode": "rwc", "_journal_mode": "wal", "_synchronous": "2"},
		DatabaseName:      file,
	}
	if err := sqlite.SetupSchema(sqlCfg); err != nil {
		t.Fatal(err)
	}
	ns, err := sqlite.NewNamespaceConfig("active", namespace, false, attributes)
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Detail.GetConfig().GetRetention().AsDuration(); got != 24*time.Hour {
		t.Fatalf("Temporal's default retention is %s; this test expects a day", got)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		t.Fatal(err)
	}
}

// TestFinding15ClosedCasesAreKeptForTheConfiguredRetention checks the
// namespace keeps closed cases for months by default, for the configured
// time when one is given, and that a data folder made with Temporal's one
// day gets the setting when Larder next starts.
//
// Security finding 15: the built-in Temporal kept closed cases for 24
// hours, after which /track answered 404.
func TestFinding15ClosedCasesAreKeptForTheConfiguredRetention(t *testing.T) {
	if embeddedtemporal.DefaultRetention != 2160*time.Hour {
		t.Errorf("DefaultRetention is %s; README says 2160h (90 days)", embeddedtemporal.DefaultRetention)
	}
	t.Run("in memory, by default", func(t *testing.T) {
		srv := start(t, embeddedtemporal.Config{Address: "127.0.0.1:0", SearchAttributes: attributes})
		if got := retention(t, dial(t, srv), "default"); got != embeddedtemporal.DefaultRetention {
			t.Errorf("a new namespace keeps closed cases for %s; want %s", got, embeddedtemporal.DefaultRetention)
		}
	})
	t.Run("new data folder, configured", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data", "temporal.db")
		srv := start(t, embeddedtemporal.Config{DatabaseFile: file, Namespace: "larchester", SearchAttributes: attributes, Retention: 400 * 24 * time.Hour})
		if got := retention(t, dial(t, srv), "larchester"); got != 400*24*time.Hour {
			t.Errorf("a new namespace keeps closed cases for %s; want the configured 9600h", got)
		}
	})
	t.Run("data folder made with a day", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data", "temporal.db")
		makeDataFolderOfOlderLarder(t, file, "larchester")
		cfg := embeddedtemporal.Config{DatabaseFile: file, Namespace: "larchester", SearchAttributes: attributes}
		srv := start(t, cfg)
		c := dial(t, srv)
		if got := retention(t, c, "larchester"); got != embeddedtemporal.DefaultRetention {
			t.Errorf("an existing namespace made with a day keeps closed cases for %s; want the default %s", got, embeddedtemporal.DefaultRetention)
		}
		checkNamespace(t, c, "larchester") // the update keeps the search attributes
		if got := runCase(t, c, "after-retention", "Sam"); got != "hello, Sam" {
			t.Errorf("case after the retention changed: %q", got)
		}
		c.Close()
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}

		cfg.Retention = 30 * 24 * time.Hour
		if got := retention(t, dial(t, start(t, cfg)), "larchester"); got != cfg.Retention {
			t.Errorf("after a restart with retention 720h the namespace keeps closed cases for %s", got)
		}
	})
}
