package wastesim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// text is a JSON string that may also arrive as a number, as a UPRN or a
// count taken from a form often does.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, not %s", b)
	}
	*t = text(n.String())
	return nil
}

// list is a JSON list of strings that may also arrive as one
// comma-separated string: ["sofa","fridge"] or "sofa,fridge".
type list []string

func (l *list) UnmarshalJSON(b []byte) error {
	var items []string
	if err := json.Unmarshal(b, &items); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("want a list of strings or a comma-separated string, not %s", b)
		}
		items = strings.Split(s, ",")
	}
	*l = nil
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			*l = append(*l, it)
		}
	}
	return nil
}

// number reads a count given as a number or a string of digits.
func (t text) number() (int, bool) {
	n, err := strconv.Atoi(string(t))
	return n, err == nil
}
