package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// historiesDir is where recorded case histories live; the workflows
// package replays them in make test to catch non-deterministic changes.
const historiesDir = "../../workflows/testdata/histories"

// recording reports whether this run should rewrite the recorded histories:
// LARDER_RECORD_HISTORIES=1 go test ./cmd/larder -run 'TestEveryStepKind|TestStepThatCannotRun|TestHookFindsCase'
func recording() bool { return os.Getenv("LARDER_RECORD_HISTORIES") != "" }

// recordHistory writes a closed case's history as JSON, the format
// `temporal workflow show --output json` prints and the replayer reads.
func recordHistory(t *testing.T, tc client.Client, ref, name string) {
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
	if err := os.MkdirAll(historiesDir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(historiesDir, name+".json"), append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
