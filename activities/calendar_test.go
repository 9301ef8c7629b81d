package activities_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/workflows/calendar"
	"github.com/larder-council/larder/workflows/recipe"
)

// dueAt runs DueAt as the local activity a case runs, so the request and
// the answer pass through the data converter as they do in a case.
func dueAt(t *testing.T, cal *calendar.Calendar, r activities.DueRequest) time.Time {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestActivityEnvironment()
	a := &activities.Activities{Calendar: cal}
	env.RegisterActivity(a)
	val, err := env.ExecuteLocalActivity(a.DueAt, r)
	if err != nil {
		t.Fatalf("DueAt(%+v): %v", r, err)
	}
	var out time.Time
	if err := val.Get(&out); err != nil {
		t.Fatalf("decode the activity's result: %v", err)
	}
	return out
}

func ukTime(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDueAt(t *testing.T) {
	scotland, err := calendar.New("scotland", nil)
	if err != nil {
		t.Fatal(err)
	}
	closedFriday, err := calendar.New("england-and-wales", []string{"2026-06-12"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		cal      *calendar.Calendar
		from     string
		period   recipe.Period
		want     string
		whyWrong string
	}{
		{"no calendar is England and Wales", nil, "2026-05-01 15:00", recipe.Period{WorkingDays: 2}, "2026-05-06 15:00",
			"2 working days from the Friday before the Early May bank holiday end on the Wednesday"},
		{"no calendar keeps England's August", nil, "2026-07-31 09:30", recipe.Period{WorkingDays: 2}, "2026-08-04 09:30",
			"3 August is a bank holiday in Scotland only"},
		{"Scotland's calendar", scotland, "2026-07-31 09:30", recipe.Period{WorkingDays: 2}, "2026-08-05 09:30",
			"Scotland's summer bank holiday is Monday 3 August"},
		{"closure days", closedFriday, "2026-06-11 10:00", recipe.Period{WorkingDays: 1}, "2026-06-15 10:00",
			"the council is closed on Friday 12 June"},
		{"a duration ignores the calendar", scotland, "2026-07-31 09:30", recipe.Period{Duration: 72 * time.Hour}, "2026-08-03 09:30",
			"72h is three days on the clock, weekend and bank holiday included"},
		{"no period is now", nil, "2026-07-31 09:30", recipe.Period{}, "2026-07-31 09:30", "nothing to add"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := dueAt(t, tc.cal, activities.DueRequest{From: ukTime(t, tc.from), Period: tc.period})
			if want := ukTime(t, tc.want); !got.Equal(want) {
				t.Errorf("%s after %s is due %s, want %s: %s", tc.period, tc.from, got, want, tc.whyWrong)
			}
		})
	}
}

// TestDueRequestRecordsItsPeriod: the request a case records in history
// names the working days, and reads back the same.
func TestDueRequestRecordsItsPeriod(t *testing.T) {
	r := activities.DueRequest{From: ukTime(t, "2026-05-01 15:00"), Period: recipe.Period{WorkingDays: 3}}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"from":"2026-05-01T15:00:00+01:00","period":"3 working days"}`; string(data) != want {
		t.Errorf("request recorded as %s, want %s", data, want)
	}
	var back activities.DueRequest
	if err := json.Unmarshal(data, &back); err != nil || back.Period != r.Period || !back.From.Equal(r.From) {
		t.Errorf("request reads back as %+v, %v; want %+v", back, err, r)
	}
}
