package calendar_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows/calendar"
)

// TestBankHolidaysPerRegion spot-checks the shipped dates: the fixed
// days, Easter, the Mondays in May and August, and substitute days when a
// holiday falls at a weekend.
func TestBankHolidaysPerRegion(t *testing.T) {
	holidays := map[string][]string{
		"england-and-wales": {
			"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26",
			"2026-04-03", "2026-04-06", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28",
			"2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28",
			"2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26",
		},
		"scotland": {
			"2025-01-02", "2025-04-18", "2025-08-04", "2025-12-01",
			"2026-01-02", "2026-08-03", "2026-11-30", "2026-12-28",
			"2027-01-04", "2027-03-26", "2027-08-02", "2027-11-30", "2027-12-27", "2027-12-28",
			"2028-01-03", "2028-01-04", "2028-04-14", "2028-08-07", "2028-11-30",
		},
		"northern-ireland": {
			"2025-03-17", "2025-07-14", "2025-08-25",
			"2026-03-17", "2026-04-06", "2026-07-13", "2026-08-31",
			"2027-03-17", "2027-03-29", "2027-07-12",
			"2028-01-03", "2028-03-17", "2028-07-12", "2028-08-28",
		},
	}
	// Weekdays that are holidays somewhere else but working days here.
	working := map[string][]string{
		"england-and-wales": {"2025-01-02", "2025-03-17", "2025-07-14", "2025-08-04", "2025-12-01", "2026-08-03", "2027-01-04", "2028-01-04", "2028-11-30"},
		"scotland":          {"2025-04-21", "2025-08-25", "2026-04-06", "2026-08-31", "2027-03-29", "2027-08-30", "2028-04-17", "2028-08-28", "2026-03-17"},
		"northern-ireland":  {"2026-01-02", "2026-08-03", "2025-12-01", "2028-01-04", "2028-08-07"},
	}
	for _, region := range calendar.Regions {
		c := mustNew(t, region)
		for _, d := range holidays[region] {
			if c.IsWorkingDay(at(t, d+" 12:00")) {
				t.Errorf("%s: %s is a working day, want a bank holiday", region, d)
			}
		}
		for _, d := range working[region] {
			if !c.IsWorkingDay(at(t, d+" 12:00")) {
				t.Errorf("%s: %s is not a working day, want one", region, d)
			}
		}
	}
}

// TestShippedFileIsGOVUKShaped reads bank-holidays.json as GOV.UK serves
// it, so a refresh is a download: every region, its own division name,
// dates in order, each on a weekday, and each year's usual holidays.
func TestShippedFileIsGOVUKShaped(t *testing.T) {
	data, err := os.ReadFile("bank-holidays.json")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]struct {
		Division string `json:"division"`
		Events   []struct {
			Title   string `json:"title"`
			Date    string `json:"date"`
			Notes   string `json:"notes"`
			Bunting *bool  `json:"bunting"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	usual := map[string]int{"england-and-wales": 8, "scotland": 9, "northern-ireland": 10}
	for _, region := range calendar.Regions {
		div, ok := file[region]
		if !ok {
			t.Errorf("no %s in the file", region)
			continue
		}
		if div.Division != region {
			t.Errorf("%s has division %q", region, div.Division)
		}
		perYear := map[int]int{}
		var prev time.Time
		for _, e := range div.Events {
			d, err := time.Parse(time.DateOnly, e.Date)
			if err != nil || e.Title == "" || e.Bunting == nil {
				t.Errorf("%s: event %+v is not a GOV.UK event (title, date, notes, bunting)", region, e)
				continue
			}
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Errorf("%s: %s %s falls on a %s: a bank holiday at a weekend moves to a substitute weekday", region, e.Title, e.Date, wd)
			}
			if !d.After(prev) {
				t.Errorf("%s: %s comes after %s in the file", region, e.Date, prev.Format(time.DateOnly))
			}
			prev = d
			perYear[d.Year()]++
		}
		for y, n := range perYear {
			if n < usual[region] {
				t.Errorf("%s has %d bank holidays in %d, want at least %d", region, n, y, usual[region])
			}
		}
	}
}

func TestHolidaysForDisplay(t *testing.T) {
	c := mustNew(t, "england-and-wales", "2026-12-24", "2026-12-25")
	got := c.Holidays(2026)
	var lines []string
	for _, h := range got {
		line := h.Date.Format("Mon 2 Jan") + " " + h.Title
		if h.Notes != "" {
			line += " (" + h.Notes + ")"
		}
		if h.Closure {
			line += " [closure]"
		}
		lines = append(lines, line)
	}
	want := []string{
		"Thu 1 Jan New Year’s Day",
		"Fri 3 Apr Good Friday",
		"Mon 6 Apr Easter Monday",
		"Mon 4 May Early May bank holiday",
		"Mon 25 May Spring bank holiday",
		"Mon 31 Aug Summer bank holiday",
		"Thu 24 Dec Council closed [closure]",
		"Fri 25 Dec Christmas Day [closure]",
		"Mon 28 Dec Boxing Day (Substitute day)",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Holidays(2026) =\n%q\nwant\n%q", lines, want)
	}
	if h := got[0].Date; h.Location().String() != "Europe/London" || h.Hour() != 0 {
		t.Errorf("holiday date = %s, want midnight UK time", h)
	}
	if len(c.Holidays(1990)) != 0 {
		t.Error("Holidays(1990) lists days the file does not have")
	}
}
