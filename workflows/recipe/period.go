package recipe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is how long a task's staff have, or how long before it escalates:
// a length of time such as 72h, or a number of working days on the
// council's calendar such as 3 working days. At most one part is set; the
// zero Period is none.
type Period struct {
	// Duration is a length of time, e.g. 72h.
	Duration time.Duration
	// WorkingDays counts working days, skipping weekends, bank holidays and
	// the council's closure days; the time of day stays the same.
	WorkingDays int
}

// MaxWorkingDays bounds a period in working days, about four years.
const MaxWorkingDays = 1000

// workingDaysPattern is "N working days" or "1 working day".
var workingDaysPattern = regexp.MustCompile(`^([0-9]+) working days?$`)

// ParsePeriod reads a period as a designer writes it: a duration ("72h",
// "1h30m", "2d", "1w"; see ParseDuration) or "N working days" ("1 working
// day"). Days written 2d are calendar days, weekends included.
func ParsePeriod(s string) (Period, error) {
	if m := workingDaysPattern.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		switch {
		case err != nil || n > MaxWorkingDays:
			return Period{}, fmt.Errorf("%q is too long: give at most %d working days", s, MaxWorkingDays)
		case n < 1:
			return Period{}, fmt.Errorf("%q is too short: give at least 1 working day", s)
		}
		return Period{WorkingDays: n}, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return Period{}, fmt.Errorf("%q is not a duration or \"N working days\": write it like 48h, 2d or 3 working days", s)
	}
	return Period{Duration: d}, nil
}

// IsZero reports whether no period is set.
func (p Period) IsZero() bool { return p == Period{} }

// String is the period as it reads on a timeline: "48h0m0s", as a Go
// duration prints, or "3 working days", "1 working day".
func (p Period) String() string {
	switch {
	case p.WorkingDays == 1:
		return "1 working day"
	case p.WorkingDays != 0:
		return fmt.Sprintf("%d working days", p.WorkingDays)
	}
	return p.Duration.String()
}

// MarshalJSON writes a duration as the integer nanoseconds time.Duration
// marshals to, so recipe snapshots and recorded histories read as before,
// and working days as the text "N working days".
func (p Period) MarshalJSON() ([]byte, error) {
	if p.WorkingDays != 0 {
		return json.Marshal(p.String())
	}
	return json.Marshal(int64(p.Duration))
}

// UnmarshalJSON reads what MarshalJSON writes, and also a duration or
// working days given as text.
func (p *Period) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		*p = Period{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		v, err := ParsePeriod(s)
		if err != nil {
			return err
		}
		*p = v
		return nil
	}
	var ns int64
	if err := json.Unmarshal(data, &ns); err != nil {
		return errors.New("a period is integer nanoseconds or text such as \"72h\" or \"3 working days\"")
	}
	*p = Period{Duration: time.Duration(ns)}
	return nil
}

// UnmarshalYAML reads a period as a designer writes it; see ParsePeriod.
func (p *Period) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err != nil {
		return err
	}
	v, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalYAML writes a period as a designer would: "72h0m0s" or "3 working days".
func (p Period) MarshalYAML() (any, error) { return p.String(), nil }
