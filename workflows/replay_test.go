package workflows_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// oldBranches names, for every change behind workflow.GetVersion, a
// recorded history that takes its old branch: a case that ran before the
// change and reached the code it changed.
var oldBranches = map[string]string{
	// a set step that cannot use the answer fails the case (the
	// step-incident scenario, recorded at eb7eb3c through larder serve)
	"step-incidents": "step-incident.v0.json",
	// the wait for the crew's message, by booking number, keeps the key
	"forget-correlation-keys": "bulky-waste.json",
	// activities numbered in order
	"step-activity-ids": "step-parallel.json",
	// a task opened and completed with no inbox index, memo or queues
	"inbox-index": "step-task.v2.json",
	// a booking's cancellation refused: noted, and the case closed
	"undo-incidents": "undo-fails.v3.json",
	// 25 messages nobody waited for, all kept, then the awaited one
	"bounded-messages": "wait-flood.v3.json",
	// the waste system's checks and report, and the email, as activities
	"local-calls": "missed-bin.v5.json",
}

// TestReplayRecordedHistories replays every case history recorded on a real
// Temporal server (testdata/histories): each step kind, a step incident
// and a wait on a business key, recorded by each interpreter version. A
// change to the interpreter that would break cases in flight fails here;
// put it behind workflow.GetVersion and record its histories.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			if err := replay(t, loadHistory(t, f)); err != nil {
				t.Fatalf("replay %s: %v\n"+
					"The interpreter no longer runs this case as it was recorded, so cases in flight would fail. "+
					"Put the change behind workflow.GetVersion (see workflows/versions.go), raise recordVersion "+
					"and record the new interpreter's histories with\n\t%s", f, err, recordCommand)
			}
		})
	}
	t.Run("a history per step kind", func(t *testing.T) {
		seen := map[string]bool{}
		for _, f := range files {
			if strings.HasSuffix(f, "."+recordVersion+".json") {
				in := caseInput(t, loadHistory(t, f))
				for _, s := range in.Recipe.AllSteps() {
					seen[s.Kind()] = true
				}
			}
		}
		for _, k := range recipe.StepKinds {
			if !seen[k] {
				t.Errorf("no history recorded by interpreter %s runs a %s step; record them with\n\t%s", recordVersion, k, recordCommand)
			}
		}
	})
	t.Run("a history per old branch", func(t *testing.T) {
		for _, change := range workflows.Changes {
			file, ok := oldBranches[change]
			if !ok {
				t.Errorf("change %q has no recorded history of its old branch in oldBranches", change)
				continue
			}
			h := loadHistory(t, filepath.Join(historiesDir, file))
			if slices.Contains(versionMarkers(h), change) {
				t.Errorf("%s records change %q, so it takes the new branch, not the old", file, change)
			}
		}
	})
}

// TestReplayNoticesSwappedSteps replays histories against their recipe with
// two call steps swapped. A case recorded since step-activity-ids fails
// replay, as a case in flight would on a worker given the swapped recipe
// for it; one recorded before replays, because old cases keep numbering
// their activities in order and cannot tell the steps apart.
func TestReplayNoticesSwappedSteps(t *testing.T) {
	// reserve then book, booked in the other order (book's input no
	// longer names the vehicle it has not reserved yet)
	bookFirst := func(r *recipe.Recipe) {
		reserve, book := r.Steps[0], r.Steps[1]
		book.Next, reserve.Next = reserve.ID, book.Next
		delete(book.Call.Input, "vehicle")
		r.Steps[0], r.Steps[1] = book, reserve
	}
	// the crew step's two calls, notify and vehicle, started the other way round
	vehicleFirst := func(r *recipe.Recipe) {
		branches := r.Steps[0].Parallel.Branches[1].Steps[1].Parallel.Branches
		branches[0], branches[1] = branches[1], branches[0]
	}
	for _, tc := range []struct {
		file    string
		swap    func(*recipe.Recipe)
		noticed bool
	}{
		{"step-fail.v2.json", bookFirst, true},
		{"step-parallel.v2.json", vehicleFirst, true},
		{"step-parallel.json", vehicleFirst, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			h := loadHistory(t, filepath.Join(historiesDir, tc.file))
			in := caseInput(t, h)
			tc.swap(&in.Recipe)
			setCaseInput(t, h, in)
			err := replay(t, h)
			switch {
			case tc.noticed && err == nil:
				t.Fatal("replay with the steps swapped succeeded, want it to fail")
			case tc.noticed && !strings.Contains(err.Error(), "[TMPRL1100]"):
				t.Fatalf("replay failed with %v, want a nondeterminism error", err)
			case !tc.noticed && err != nil:
				t.Fatalf("replay of a case from before step-activity-ids: %v, want the old branch to replay", err)
			}
		})
	}
}

// replay replays h on the case workflow.
func replay(t *testing.T, h *historypb.History) error {
	t.Helper()
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 1})))
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	return r.ReplayWorkflowHistory(logger, h)
}

func loadHistory(t *testing.T, path string) *historypb.History {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v; record the histories with\n\t%s", err, recordCommand)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h
}

// caseInput decodes the input the case in h started with.
func caseInput(t *testing.T, h *historypb.History) workflows.CaseInput {
	t.Helper()
	var in workflows.CaseInput
	if err := json.Unmarshal(startInput(t, h).GetData(), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// setCaseInput replaces the input the case in h started with.
func setCaseInput(t *testing.T, h *historypb.History, in workflows.CaseInput) {
	t.Helper()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	startInput(t, h).Data = data
}

func startInput(t *testing.T, h *historypb.History) *commonpb.Payload {
	t.Helper()
	attrs := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil || len(attrs.GetInput().GetPayloads()) != 1 {
		t.Fatal("the history does not start with a case input")
	}
	return attrs.GetInput().GetPayloads()[0]
}

// versionMarkers lists the changes whose version h records.
func versionMarkers(h *historypb.History) []string {
	var ids []string
	for _, e := range h.GetEvents() {
		if e.GetEventType() != enumspb.EVENT_TYPE_MARKER_RECORDED {
			continue
		}
		var id string
		if p := e.GetMarkerRecordedEventAttributes().GetDetails()["change-id"].GetPayloads(); len(p) == 1 && json.Unmarshal(p[0].GetData(), &id) == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
