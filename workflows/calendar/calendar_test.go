package calendar_test

import (
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows/calendar"
)

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a UK clock time, e.g. at("2026-05-01 15:00").
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, london)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustNew(t *testing.T, region string, closures ...string) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(region, closures)
	if err != nil {
		t.Fatalf("New(%q, %v): %v", region, closures, err)
	}
	return c
}

// TestTwoWorkingDaysOverABankHolidayWeekend is the example: 2
// working days from a Friday before a bank-holiday Monday ends on the
// Wednesday, at the same time of day, in each region on its own holiday.
func TestTwoWorkingDaysOverABankHolidayWeekend(t *testing.T) {
	for _, tc := range []struct {
		region, from, want, why string
	}{
		{"england-and-wales", "2026-05-01 15:00", "2026-05-06 15:00", "Early May bank holiday on Monday 4 May"},
		{"scotland", "2026-07-31 09:30", "2026-08-05 09:30", "Scotland's summer bank holiday on Monday 3 August"},
		{"england-and-wales", "2026-07-31 09:30", "2026-08-04 09:30", "England has no bank holiday on 3 August"},
		{"england-and-wales", "2026-08-28 11:00", "2026-09-02 11:00", "England's summer bank holiday on Monday 31 August"},
		{"northern-ireland", "2026-07-10 16:45", "2026-07-15 16:45", "Battle of the Boyne, moved from Sunday 12 July to Monday 13"},
		{"scotland", "2025-11-28 10:00", "2025-12-03 10:00", "St Andrew's Day, moved from Sunday 30 November to Monday 1 December"},
		{"england-and-wales", "2026-04-02 12:00", "2026-04-08 12:00", "Good Friday and Easter Monday"},
		{"scotland", "2026-04-02 12:00", "2026-04-07 12:00", "Good Friday, but Easter Monday is a working day in Scotland"},
	} {
		t.Run(tc.region+" "+tc.from, func(t *testing.T) {
			got := mustNew(t, tc.region).AddWorkingDays(at(t, tc.from), 2)
			if want := at(t, tc.want); !got.Equal(want) {
				t.Errorf("2 working days from %s = %s, want %s (%s)", tc.from, got.In(london).Format("Mon 2006-01-02 15:04"), want.Format("Mon 2006-01-02 15:04"), tc.why)
			}
		})
	}
}

func TestAddWorkingDays(t *testing.T) {
	ew := mustNew(t, "")
	for _, tc := range []struct {
		name, from string
		n          int
		want       string
	}{
		{"weekends are skipped", "2026-06-11 10:00", 3, "2026-06-16 10:00"},
		{"from a Saturday the count starts on Monday", "2026-06-13 10:00", 1, "2026-06-15 10:00"},
		{"Christmas, the weekend and Boxing Day's substitute Monday", "2026-12-24 10:00", 1, "2026-12-29 10:00"},
		{"both Christmas substitutes and New Year's", "2027-12-24 10:00", 4, "2028-01-04 10:00"},
		{"ten working days is two weeks", "2026-06-08 10:00", 10, "2026-06-22 10:00"},
		{"zero is the same time", "2026-06-13 10:00", 0, "2026-06-13 10:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := ew.AddWorkingDays(at(t, tc.from), tc.n), at(t, tc.want); !got.Equal(want) {
				t.Errorf("%d working days from %s = %s, want %s", tc.n, tc.from, got.In(london).Format("Mon 2006-01-02 15:04"), tc.want)
			}
		})
	}
}

// TestAddWorkingDaysKeepsTheUKClock: across the clocks going forward the
// due time stays 9am, and a time given in UTC counts from its UK date.
func TestAddWorkingDaysKeepsTheUKClock(t *testing.T) {
	ew := mustNew(t, "")
	got := ew.AddWorkingDays(at(t, "2026-03-27 09:00"), 2) // clocks go forward on Sunday 29 March
	if want := time.Date(2026, 3, 31, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("2 working days from Friday 27 March 9am GMT = %s, want 9am BST on Tuesday 31 March", got.In(london))
	}
	// 23:30 UTC on Sunday 31 May is 00:30 on Monday 1 June in London.
	got = ew.AddWorkingDays(time.Date(2026, 5, 31, 23, 30, 0, 0, time.UTC), 1)
	if want := at(t, "2026-06-02 00:30"); !got.Equal(want) {
		t.Errorf("1 working day from Monday 00:30 BST = %s, want %s", got.In(london), want)
	}
}

func TestClosuresAreSkipped(t *testing.T) {
	c := mustNew(t, "england-and-wales", "2026-06-12", " 2026-12-24 ")
	if c.IsWorkingDay(at(t, "2026-06-12 10:00")) {
		t.Error("Friday 12 June 2026 is a closure day but counts as a working day")
	}
	if got, want := c.AddWorkingDays(at(t, "2026-06-11 10:00"), 1), at(t, "2026-06-15 10:00"); !got.Equal(want) {
		t.Errorf("1 working day from the Thursday before a Friday closure = %s, want Monday %s", got.In(london), want)
	}
	if got, want := c.AddWorkingDays(at(t, "2026-12-23 10:00"), 1), at(t, "2026-12-29 10:00"); !got.Equal(want) {
		t.Errorf("1 working day from 23 December with Christmas Eve closed = %s, want %s", got.In(london), want)
	}
	if without := mustNew(t, "england-and-wales"); !without.IsWorkingDay(at(t, "2026-06-12 10:00")) {
		t.Error("another council's closure day leaks into a calendar without it")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		region   string
		closures []string
		says     string
	}{
		{"wales", nil, `unknown calendar region "wales": use one of england-and-wales, scotland, northern-ireland`},
		{"scotland", []string{"2026-12-24", "24/12/2026"}, `closure day "24/12/2026" is not a date: write it like 2026-12-24`},
		{"", []string{"2026-02-30"}, `closure day "2026-02-30" is not a date`},
	} {
		_, err := calendar.New(tc.region, tc.closures)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("New(%q, %q) = %v, want an error saying %s", tc.region, tc.closures, err, tc.says)
		}
	}
}

func TestDefaultIsEnglandAndWales(t *testing.T) {
	for _, c := range []*calendar.Calendar{mustNew(t, ""), calendar.Default()} {
		if c.Region() != "england-and-wales" {
			t.Errorf("region = %q, want england-and-wales", c.Region())
		}
		if c.IsWorkingDay(at(t, "2026-08-31 10:00")) || !c.IsWorkingDay(at(t, "2026-08-03 10:00")) {
			t.Error("the default calendar does not keep England's summer bank holiday (31 August 2026, not 3 August)")
		}
	}
}

// TestShippedFileCoversThisYearAndNext fails when bank-holidays.json needs
// its yearly refresh from GOV.UK.
func TestShippedFileCoversThisYearAndNext(t *testing.T) {
	year := time.Now().Year()
	for _, region := range calendar.Regions {
		c := mustNew(t, region)
		for _, y := range []int{year, year + 1} {
			if !c.Covers(y) {
				first, last := c.Years()
				t.Errorf("%s has bank holidays for %s from %d to %d, not %d: refresh it from https://www.gov.uk/bank-holidays.json", calendar.File, region, first, last, y)
			}
		}
		if err := c.CheckCoverage(time.Now()); err != nil {
			t.Error(err)
		}
	}
}

func TestCheckCoverageAsksForARefresh(t *testing.T) {
	c := mustNew(t, "scotland")
	_, last := c.Years()
	err := c.CheckCoverage(time.Date(last, 6, 1, 0, 0, 0, 0, london))
	if err == nil || !strings.Contains(err.Error(), "refresh the file from https://www.gov.uk/bank-holidays.json") {
		t.Errorf("coverage in the file's last year = %v, want a request to refresh it", err)
	}
	if c.Covers(last+1) || !c.Covers(last) {
		t.Errorf("Covers disagrees with Years: last = %d", last)
	}
}
