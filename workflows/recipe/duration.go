package recipe

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Day and Week are the units a designer may write besides Go's: 2d, 1w.
// They are calendar time, 24 hours and 7 days; working days are a Period.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// durationPart is one number and its unit in a duration, e.g. 1.5 and h.
var durationPart = regexp.MustCompile(`^([0-9]*\.?[0-9]+)([^0-9.]*)`)

// ParseDuration reads a length of time as a designer writes it: a number
// and a unit, or several run together, with Go's units (h, m, s, ms, us,
// ns) and also d (24 hours) and w (7 days), e.g. 90s, 36h, 2d, 1w2d or
// 1d12h. A bare 0 is no time at all.
func ParseDuration(s string) (time.Duration, error) {
	rest, sign := s, 1.0
	if r, ok := strings.CutPrefix(rest, "-"); ok {
		rest, sign = r, -1
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	total := 0.0
	var goUnits strings.Builder
	for rest != "" {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		rest = rest[len(m[0]):]
		unit := map[string]time.Duration{"d": Day, "w": Week}[m[2]]
		if unit == 0 {
			goUnits.WriteString(m[0])
			continue
		}
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		total += n * float64(unit)
	}
	if goUnits.Len() > 0 {
		d, err := time.ParseDuration(goUnits.String())
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		total += float64(d)
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return time.Duration(sign * total), nil
}

// durationYAML decodes every time.Duration of a recipe with ParseDuration,
// so 2d and 1w read as they do in a Period.
var durationYAML = yaml.CustomUnmarshaler(func(d *time.Duration, b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
})
