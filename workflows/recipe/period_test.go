package recipe_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want recipe.Period
		says string // part of the error, when refused
	}{
		{in: "72h", want: recipe.Period{Duration: 72 * time.Hour}},
		{in: "1h30m", want: recipe.Period{Duration: 90 * time.Minute}},
		{in: "0", want: recipe.Period{}},
		{in: "3 working days", want: recipe.Period{WorkingDays: 3}},
		{in: "1 working day", want: recipe.Period{WorkingDays: 1}},
		{in: "1000 working days", want: recipe.Period{WorkingDays: 1000}},
		{in: "5 work days", says: `"5 work days" is not a duration or "N working days": write it like 48h, 2d or 3 working days`},
		{in: "2d", want: recipe.Period{Duration: 48 * time.Hour}},
		{in: "1w", want: recipe.Period{Duration: 7 * 24 * time.Hour}},
		{in: "3 days", says: "is not a duration"},
		{in: "three working days", says: "is not a duration"},
		{in: "-2 working days", says: "is not a duration"},
		{in: "0 working days", says: "give at least 1 working day"},
		{in: "1001 working days", says: "give at most 1000 working days"},
		{in: "99999999999999999999 working days", says: "give at most 1000 working days"},
	} {
		got, err := recipe.ParsePeriod(tc.in)
		switch {
		case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
			t.Errorf("ParsePeriod(%q) = %v, %v; want an error saying %s", tc.in, got, err, tc.says)
		case tc.says == "" && (err != nil || got != tc.want):
			t.Errorf("ParsePeriod(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// TestPeriodReadsWellOnATimeline: "Escalated: not done within ..." reads
// the duration as Go prints it, as before, or the working days.
func TestPeriodReadsWellOnATimeline(t *testing.T) {
	for p, want := range map[recipe.Period]string{
		{Duration: 24 * time.Hour}: "24h0m0s",
		{WorkingDays: 1}:           "1 working day",
		{WorkingDays: 2}:           "2 working days",
	} {
		if got := "Escalated: not done within " + p.String(); got != "Escalated: not done within "+want {
			t.Errorf("%+v reads %q, want %q", p, got, want)
		}
	}
	if !(recipe.Period{}).IsZero() || (recipe.Period{WorkingDays: 1}).IsZero() || (recipe.Period{Duration: time.Second}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

// TestPeriodJSON: a plain duration marshals as time.Duration did (integer
// nanoseconds, left out when zero), so snapshots read as before; working
// days as text; both read back.
func TestPeriodJSON(t *testing.T) {
	type before struct {
		Due   time.Duration `json:"due,omitempty"`
		After time.Duration `json:"after"`
	}
	type now struct {
		Due   recipe.Period `json:"due,omitzero"`
		After recipe.Period `json:"after"`
	}
	for _, tc := range []struct {
		old  before
		new  now
		want string
	}{
		{before{48 * time.Hour, 24 * time.Hour}, now{recipe.Period{Duration: 48 * time.Hour}, recipe.Period{Duration: 24 * time.Hour}}, `{"due":172800000000000,"after":86400000000000}`},
		{before{}, now{}, `{"after":0}`},
		{before{}, now{recipe.Period{WorkingDays: 3}, recipe.Period{WorkingDays: 1}}, `{"due":"3 working days","after":"1 working day"}`},
	} {
		got, err := json.Marshal(tc.new)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("marshal %+v = %s, want %s", tc.new, got, tc.want)
		}
		if tc.new.Due.WorkingDays == 0 {
			if old, _ := json.Marshal(tc.old); !bytes.Equal(old, got) {
				t.Errorf("marshal %+v = %s, but time.Duration gave %s", tc.new, got, old)
			}
		}
		var back now
		if err := json.Unmarshal(got, &back); err != nil || back != tc.new {
			t.Errorf("unmarshal %s = %+v, %v; want %+v", got, back, err, tc.new)
		}
	}
	var p recipe.Period
	if err := json.Unmarshal([]byte(`"72h"`), &p); err != nil || p.Duration != 72*time.Hour {
		t.Errorf(`unmarshal "72h" = %+v, %v`, p, err)
	}
	for _, bad := range []string{`"5 work days"`, `true`, `{"duration":1}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("unmarshal %s is accepted", bad)
		}
	}
}

// TestRecordedRecipesReadBackUnchanged decodes the recipe snapshot at the
// start of every recorded history and marshals it again: the bytes must be
// the same, so cases started before periods replay and hash as they did.
func TestRecordedRecipesReadBackUnchanged(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "histories", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no recorded histories in ../testdata/histories (%v)", err)
	}
	withDue := 0
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var history struct {
			Events []struct {
				Started *struct {
					Input struct {
						Payloads []struct {
							Data []byte `json:"data"`
						} `json:"payloads"`
					} `json:"input"`
				} `json:"workflowExecutionStartedEventAttributes"`
			} `json:"events"`
		}
		if err := json.Unmarshal(data, &history); err != nil || len(history.Events) == 0 || history.Events[0].Started == nil {
			t.Fatalf("%s: not a history starting a case (%v)", path, err)
		}
		var input struct {
			Recipe json.RawMessage `json:"recipe"`
		}
		if err := json.Unmarshal(history.Events[0].Started.Input.Payloads[0].Data, &input); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var r recipe.Recipe
		if err := json.Unmarshal(input.Recipe, &r); err != nil {
			t.Errorf("%s: the recorded recipe does not read: %v", path, err)
			continue
		}
		again, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, input.Recipe) {
			t.Errorf("%s: the recorded recipe marshals differently:\n got %s\nwant %s", path, again, input.Recipe)
		}
		if bytes.Contains(input.Recipe, []byte(`"due":`)) {
			withDue++
		}
	}
	if withDue == 0 {
		t.Error("no recorded recipe has a due task: the test shows nothing about periods")
	}
}

// TestLoadWorkingDays reads due and escalate.after as a designer writes them.
func TestLoadWorkingDays(t *testing.T) {
	r, err := recipe.LoadFile("testdata/recipes/working_days.yaml", testConnectors)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][2]string{
		"check":   {"3 working days", "1 working day"},
		"chase":   {"72h0m0s", "2 working days"},
		"confirm": {"1 working day", ""},
	} {
		s, _ := r.StepByID(id)
		after := ""
		if e := s.Task.Escalate; e != nil {
			after = e.After.String()
		}
		if got := [2]string{s.Task.Due.String(), after}; got != want {
			t.Errorf("step %s: due, escalate.after = %q, want %q", id, got, want)
		}
	}
}
