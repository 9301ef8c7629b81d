// Package calendar is the council's calendar: which days are working days,
// so a task due in "3 working days" skips weekends, bank holidays and the
// days the council is closed. Bank holidays come from bank-holidays.json,
// a copy of GOV.UK's https://www.gov.uk/bank-holidays.json shipped in the
// repo and refreshed each year; closure days come from config. Days are
// judged in UK time wherever the server runs.
package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/London on machines without zone data
)

// Regions are the parts of the UK with bank holidays of their own, named as
// GOV.UK names them.
var Regions = []string{"england-and-wales", "scotland", "northern-ireland"}

// DefaultRegion is the region of a calendar configured without one.
const DefaultRegion = "england-and-wales"

// File is where the shipped bank holidays live in the repo, for messages
// that ask for it to be refreshed.
const File = "workflows/calendar/bank-holidays.json"

//go:embed bank-holidays.json
var shipped []byte

// london is the zone working days are judged in.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("time/tzdata lacks Europe/London: " + err.Error())
	}
	return loc
}()

// Holiday is a day that is not a working day although it is a weekday.
type Holiday struct {
	// Date is the day, at midnight UK time.
	Date time.Time
	// Title names the day, e.g. "Early May bank holiday" or "Council closed".
	Title string
	// Notes says more, e.g. "Substitute day" when a holiday falling at a
	// weekend moves to the Monday.
	Notes string
	// Closure is true for a day the council closes (from config), false for
	// a bank holiday.
	Closure bool
}

// Calendar tells working days apart for one region of the UK and one
// council's closure days. It is safe for concurrent use.
type Calendar struct {
	region string
	days   map[day]Holiday
	years  []int // years the shipped file has for the region, sorted
}

// day is a date on the UK calendar.
type day struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) day {
	y, m, d := t.In(london).Date()
	return day{y, m, d}
}

// division is one region in GOV.UK's bank-holidays.json.
type division struct {
	Division string `json:"division"`
	Events   []struct {
		Title string `json:"title"`
		Date  string `json:"date"`
		Notes string `json:"notes"`
	} `json:"events"`
}

// divisions reads the shipped file once.
var divisions = sync.OnceValues(func() (map[string]division, error) {
	var out map[string]division
	if err := json.Unmarshal(shipped, &out); err != nil {
		return nil, fmt.Errorf("read %s: %w", File, err)
	}
	return out, nil
})

// New is the calendar of a region (one of Regions; "" is DefaultRegion)
// with the council's closure days, given as dates like 2026-12-24.
func New(region string, closures []string) (*Calendar, error) {
	if region == "" {
		region = DefaultRegion
	}
	if !slices.Contains(Regions, region) {
		return nil, fmt.Errorf("unknown calendar region %q: use one of %s", region, strings.Join(Regions, ", "))
	}
	all, err := divisions()
	if err != nil {
		return nil, err
	}
	div, ok := all[region]
	if !ok || len(div.Events) == 0 {
		return nil, fmt.Errorf("%s has no bank holidays for %s: refresh it from https://www.gov.uk/bank-holidays.json", File, region)
	}
	c := &Calendar{region: region, days: map[day]Holiday{}}
	for _, e := range div.Events {
		t, err := time.ParseInLocation(time.DateOnly, e.Date, london)
		if err != nil {
			return nil, fmt.Errorf("%s: %s has date %q: %w", File, e.Title, e.Date, err)
		}
		c.days[dayOf(t)] = Holiday{Date: t, Title: e.Title, Notes: e.Notes}
		if !slices.Contains(c.years, t.Year()) {
			c.years = append(c.years, t.Year())
		}
	}
	slices.Sort(c.years)
	for _, s := range closures {
		t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), london)
		if err != nil {
			return nil, fmt.Errorf("closure day %q is not a date: write it like 2026-12-24", s)
		}
		h := Holiday{Date: t, Title: "Council closed", Closure: true}
		if bank, ok := c.days[dayOf(t)]; ok {
			h.Title, h.Notes = bank.Title, bank.Notes // the bank holiday names it better
		}
		c.days[dayOf(t)] = h
	}
	return c, nil
}

// defaultCalendar is England and Wales without closures.
var defaultCalendar = sync.OnceValue(func() *Calendar {
	c, err := New(DefaultRegion, nil)
	if err != nil {
		panic(err) // the shipped file is tested
	}
	return c
})

// Default is the calendar of England and Wales with no closure days, for
// a Larder configured without one.
func Default() *Calendar { return defaultCalendar() }

// Region names the calendar's region, e.g. "scotland".
func (c *Calendar) Region() string { return c.region }

// IsWorkingDay reports whether t falls, in UK time, on a weekday that is
// neither a bank holiday nor a closure day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	if wd := t.In(london).Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, closed := c.days[dayOf(t)]
	return !closed
}

// AddWorkingDays is the same UK clock time on the n-th working day after
// from's date: 2 working days from 3pm on the Friday before a bank-holiday
// Monday is 3pm on the Wednesday. The day from falls on need not be a
// working day itself. For n < 1 it is from.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	if n < 1 {
		return from
	}
	local := from.In(london)
	d := dayOf(local)
	for i := 1; ; i++ {
		// Noon is on the same date whatever the clocks do overnight.
		next := time.Date(d.y, d.m, d.d+i, 12, 0, 0, 0, london)
		if !c.IsWorkingDay(next) {
			continue
		}
		if n--; n == 0 {
			h, m, s := local.Clock()
			return time.Date(next.Year(), next.Month(), next.Day(), h, m, s, local.Nanosecond(), london)
		}
	}
}

// Covers reports whether the shipped bank holidays include the year for
// the calendar's region. Past the years covered, only weekends and
// closure days are skipped.
func (c *Calendar) Covers(year int) bool { return slices.Contains(c.years, year) }

// Years are the first and last years the shipped bank holidays cover for
// the calendar's region.
func (c *Calendar) Years() (first, last int) { return c.years[0], c.years[len(c.years)-1] }

// CheckCoverage is an error, for an operator to read at start, when the
// shipped bank holidays do not cover now's year and the next.
func (c *Calendar) CheckCoverage(now time.Time) error {
	year := now.In(london).Year()
	for _, y := range []int{year, year + 1} {
		if !c.Covers(y) {
			first, last := c.Years()
			return fmt.Errorf("the bank holidays in %s cover %d to %d for %s, not %d: refresh the file from https://www.gov.uk/bank-holidays.json, or working days in %d will count bank holidays as working days",
				File, first, last, c.region, y, y)
		}
	}
	return nil
}

// Holidays lists the year's bank holidays and closure days in date order,
// for display.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for d, h := range c.days {
		if d.y == year {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}
