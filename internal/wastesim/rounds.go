package wastesim

import (
	"fmt"
	"net/http"
	"time"
)

// Round is a collection round: the streets a crew empties together, and
// per bin type the weekday it comes and how often.
type Round struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Postcodes []string `json:"postcodes"`
	// Properties is how many properties are on the round.
	Properties int        `json:"properties"`
	Bins       []RoundBin `json:"bins"`
}

// RoundBin is one bin type's schedule on a round.
type RoundBin struct {
	Type           string `json:"type"`
	Name           string `json:"name"`
	CollectionDay  string `json:"collection_day"`
	EveryDays      int    `json:"every_days"`
	LastCollection string `json:"last_collection"`
	NextCollection string `json:"next_collection"`
}

// roundID names the round of the seed's street at index i.
func roundID(i int) string { return fmt.Sprintf("R%d", i+1) }

// Rounds returns the collection rounds as they stand on the simulator's clock.
func (s *Server) Rounds() []Round {
	today := date(s.now())
	var out []Round
	for si, st := range streets {
		r := Round{ID: roundID(si), Name: st.name + " round", Postcodes: []string{st.postcode}, Properties: st.houses}
		for _, b := range binTypes {
			rd := round{from: s.first.AddDate(0, 0, -st.lastDaysAgo[b.kind]), every: b.every}
			last := rd.last(today)
			r.Bins = append(r.Bins, RoundBin{
				Type: b.kind, Name: b.name, CollectionDay: last.Weekday().String(), EveryDays: b.every,
				LastCollection: last.Format(time.DateOnly), NextCollection: last.AddDate(0, 0, b.every).Format(time.DateOnly),
			})
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) listRounds(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"rounds": s.Rounds()})
}
