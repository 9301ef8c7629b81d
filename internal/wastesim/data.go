// Package wastesim is the reference waste-management system: properties, bins,
// collection rounds and missed-collection reports over HTTP and JSON, with
// fault injection for demos and tests.
package wastesim

import (
	"fmt"
	"strings"
	"time"
)

// Property is one address the council collects from.
type Property struct {
	UPRN     string `json:"uprn"`
	Address  string `json:"address"`
	Postcode string `json:"postcode"`
	Bins     []Bin  `json:"bins"`
}

// Bin is one container and its round.
type Bin struct {
	// Type is general, recycling, garden or food.
	Type string `json:"type"`
	// Name is what residents call it.
	Name string `json:"name"`
	// CollectionDay is the weekday of the round.
	CollectionDay string `json:"collection_day"`
	// LastCollection is the date of the last scheduled collection.
	LastCollection string `json:"last_collection"`
	// Subscribed is false for a garden bin whose subscription lapsed: not due.
	Subscribed bool `json:"subscribed"`
}

// street is a seed row: a street, its postcode and its rounds, as days
// before today of the last scheduled collection per bin type.
type street struct {
	name, postcode string
	houses         int
	lastDaysAgo    map[string]int
}

var streets = []street{
	{"Orchard Way", "LR1 1AA", 12, map[string]int{"general": 1, "recycling": 1, "garden": 1, "food": 1}},
	{"Mill Lane", "LR1 2BB", 10, map[string]int{"general": 1, "recycling": 8, "garden": 8, "food": 1}},
	{"Station Road", "LR2 3CC", 8, map[string]int{"general": 6, "recycling": 13, "garden": 6, "food": 6}},
	{"Castle Street", "LR3 4DD", 40, map[string]int{"general": 2, "recycling": 2, "garden": 9, "food": 2}},
}

var binNames = []struct{ kind, name string }{
	{"general", "General waste (black bin)"},
	{"recycling", "Recycling (blue bin)"},
	{"garden", "Garden waste (green bin)"},
	{"food", "Food waste (caddy)"},
}

// seed builds the demo data set relative to today, so the same rounds are
// reportable whenever the simulator starts. Odd-numbered houses have no
// garden waste subscription.
func seed(today time.Time) []Property {
	var out []Property
	n := 0
	for si, s := range streets {
		for h := 1; h <= s.houses; h++ {
			n++
			p := Property{
				UPRN:     fmt.Sprintf("1000%02d%06d", si+1, h),
				Address:  fmt.Sprintf("%d %s, Larchester, %s", h, s.name, s.postcode),
				Postcode: s.postcode,
			}
			for _, b := range binNames {
				last := today.AddDate(0, 0, -s.lastDaysAgo[b.kind])
				p.Bins = append(p.Bins, Bin{
					Type:           b.kind,
					Name:           b.name,
					CollectionDay:  last.Weekday().String(),
					LastCollection: last.Format(time.DateOnly),
					Subscribed:     b.kind != "garden" || h%2 == 0,
				})
			}
			out = append(out, p)
		}
	}
	return out
}

// normalisePostcode makes "lr1 1aa" and "LR11AA" compare equal.
func normalisePostcode(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}
