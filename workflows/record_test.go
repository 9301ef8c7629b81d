package workflows_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// historiesDir holds the recorded case histories TestReplayRecordedHistories
// replays.
const historiesDir = "testdata/histories"

// recordVersion is the interpreter version new recordings are named for
// (step-call.v2.json); see the list in versions.go. Raise it with every
// change behind workflow.GetVersion, then record.
const recordVersion = "v6"

// recordCommand records the current interpreter's histories; TestCaseHistories
// runs every scenario either way, and records only when asked to.
const recordCommand = "LARDER_RECORD_HISTORIES=1 go test ./workflows -run TestCaseHistories"

// recording reports whether this run should record histories.
func recording() bool { return os.Getenv("LARDER_RECORD_HISTORIES") != "" }

// historyFile is where a scenario's history recorded by this interpreter goes.
func historyFile(scenario string) string {
	return filepath.Join(historiesDir, scenario+"."+recordVersion+".json")
}

// recordHistory writes a closed case's history as JSON, the format
// `temporal workflow show --output json` prints and the replayer reads,
// to a new file named for the scenario and recordVersion. It never
// overwrites a file: a recorded history is evidence of what cases in
// flight did on an interpreter version.
func recordHistory(t *testing.T, tc client.Client, ref, scenario string) {
	t.Helper()
	it := tc.GetWorkflowHistory(context.Background(), ref, "", false, 0)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", ref, err)
		}
		h.Events = append(h.Events, e)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeNew(historyFile(scenario), append(data, '\n')); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", historyFile(scenario))
}

// writeNew creates path with data, refusing to replace a file that exists.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return errors.New(path + " is already recorded, and recorded histories are never overwritten: " +
			"raise recordVersion in workflows/record_test.go to record a new interpreter version " +
			"(delete the file first only if it was never committed)")
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func TestRecorderNeverOverwritesAHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "step-call.v2.json")
	if err := writeNew(path, []byte("first\n")); err != nil {
		t.Fatal(err)
	}
	err := writeNew(path, []byte("second\n"))
	if err == nil {
		t.Fatal("a second recording replaced the first")
	}
	if got, _ := os.ReadFile(path); string(got) != "first\n" {
		t.Errorf("file now holds %q, want the first recording", got)
	}
	if want := "raise recordVersion"; !strings.Contains(err.Error(), want) {
		t.Errorf("refusal %q does not say to %s", err, want)
	}
}
