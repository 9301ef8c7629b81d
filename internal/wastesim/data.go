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
	// Round is the collection round the property is on (see GET /api/rounds).
	Round string `json:"round"`
	Bins  []Bin  `json:"bins"`
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
	// NextCollection is the date of the next scheduled collection after today.
	NextCollection string `json:"next_collection"`
	// Round is the collection round the bin is emptied on.
	Round string `json:"round"`
	// Subscribed is false for a garden bin without an active garden-waste
	// subscription: it is not due a collection.
	Subscribed bool `json:"subscribed"`
	// SubscribedSince is the start of the garden-waste subscription taken
	// out through the API, if one is active; collections before it were
	// not due.
	SubscribedSince string `json:"subscribed_since,omitempty"`
}

// street is a seed row: a street, its postcode and, per bin type, how many
// days before the simulator's first day its round last came.
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

// binTypes are the bins every house has, with how often each round comes:
// general waste and food weekly, recycling and garden waste fortnightly.
var binTypes = []struct {
	kind, name string
	every      int
}{
	{"general", "General waste (black bin)", 7},
	{"recycling", "Recycling (blue bin)", 14},
	{"garden", "Garden waste (green bin)", 14},
	{"food", "Food waste (caddy)", 7},
}

// house is a property with its bins' rounds; on gives what the system
// reports about it on a given day.
type house struct {
	uprn, address, postcode string
	round                   string
	bins                    []bin
}

// bin is one container of a house and its round.
type bin struct {
	kind, name string
	// subscribed is false for a garden bin whose subscription lapsed.
	subscribed bool
	round      round
}

// round is a collection schedule: every so many days from a day it came.
type round struct {
	from  time.Time // a collection day, as a date (midnight UTC)
	every int       // days between collections
}

// last is the latest collection on or before today.
func (r round) last(today time.Time) time.Time {
	days := daysBetween(r.from, today)
	return r.from.AddDate(0, 0, days-((days%r.every)+r.every)%r.every)
}

// date is the calendar day of t, where t's clock is, as midnight UTC: day
// arithmetic on it never meets a clock change.
func date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween counts the days from one date to a later one.
func daysBetween(from, to time.Time) int {
	return int(to.Sub(from) / (24 * time.Hour))
}

// on is the property as the system reports it on the given date.
func (h house) on(today time.Time) Property {
	p := Property{UPRN: h.uprn, Address: h.address, Postcode: h.postcode, Round: h.round}
	for _, b := range h.bins {
		last := b.round.last(today)
		p.Bins = append(p.Bins, Bin{
			Type:           b.kind,
			Name:           b.name,
			CollectionDay:  last.Weekday().String(),
			LastCollection: last.Format(time.DateOnly),
			NextCollection: last.AddDate(0, 0, b.round.every).Format(time.DateOnly),
			Round:          h.round,
			Subscribed:     b.subscribed,
		})
	}
	return p
}

// demoHouses builds the demo data set from the simulator's first day, so the same
// rounds are reportable whenever it starts; the rounds then come as the
// clock moves on. Odd-numbered houses have no garden waste subscription.
func demoHouses(first time.Time) []house {
	var out []house
	for si, s := range streets {
		for h := 1; h <= s.houses; h++ {
			hs := house{
				uprn:     fmt.Sprintf("1000%02d%06d", si+1, h),
				address:  fmt.Sprintf("%d %s, Larchester, %s", h, s.name, s.postcode),
				postcode: s.postcode,
				round:    roundID(si),
			}
			for _, b := range binTypes {
				hs.bins = append(hs.bins, bin{
					kind:       b.kind,
					name:       b.name,
					subscribed: b.kind != "garden" || h%2 == 0,
					round:      round{from: first.AddDate(0, 0, -s.lastDaysAgo[b.kind]), every: b.every},
				})
			}
			out = append(out, hs)
		}
	}
	return out
}

// normalisePostcode makes "lr1 1aa" and "LR11AA" compare equal.
func normalisePostcode(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, " ", ""))
}
