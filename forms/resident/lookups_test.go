package resident

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows/recipe"
)

// Security finding 8: a case could act on a property the resident was
// never offered: an address saved unchecked with "Save and come back
// later", or chosen for a postcode changed since. Sending the form checks
// each address against the lookup for the postcode given, against the
// real waste simulator: an address not offered is asked again, and while
// the lookup cannot be made nothing is sent.
func TestFinding8WebSendsOnlyAnAddressThePostcodeLookupOffered(t *testing.T) {
	waste := wastesim.New(wastesim.Options{})
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	page := func(p string) string { return "/services/missed-bin/pages/" + p }
	const check = "/services/missed-bin/check"

	t.Run("an address saved unchecked", func(t *testing.T) {
		recipes, conns := shippedAt(t, ws.URL)
		cases := &fakeCases{}
		l := serve(t, &Handler{Recipes: recipes, Connectors: conns, Cases: cases}, 0, nil)
		r := newResident(t, l.URL)
		r.post(page("postcode"), url.Values{"postcode": {"LR1 1AA"}})
		// 1 Station Road is at LR2 3CC: the lookup for LR1 1AA never offers it.
		r.post(page("address"), url.Values{"uprn": {"100003000001"}, "save": {"Save and come back later"}})
		r.post(page("bin"), url.Values{"bin_type": {"general"}})
		r.post(page("contact"), url.Values{"name": {"Sam Resident"}, "email": {"sam@example.com"}})
		got := r.post(check, url.Values{})
		if got.Path != page("address") || len(cases.Started()) != 0 {
			t.Fatalf("sending an address not offered landed on %s with %d cases started; want the address page again and none",
				got.Path, len(cases.Started()))
		}
		mustSay(t, "the address page again", got, "3 Orchard Way, Larchester, LR1 1AA")
		mustNotSay(t, "the address page again", got, "Station Road")
	})

	t.Run("a postcode changed after the address was chosen", func(t *testing.T) {
		recipes, conns := shippedAt(t, ws.URL)
		cases := &fakeCases{}
		l := serve(t, &Handler{Recipes: recipes, Connectors: conns, Cases: cases}, 0, nil)
		r := newResident(t, l.URL)
		fillMissedBin(t, r) // 3 Orchard Way, LR1 1AA
		if got := r.post(page("postcode")+"?return=check", url.Values{"postcode": {"LR2 3CC"}}); got.Path != check {
			t.Fatalf("changing the postcode landed on %s", got.Path)
		}
		got := r.post(check, url.Values{})
		if got.Path != page("address") || len(cases.Started()) != 0 {
			t.Fatalf("sending an address at the old postcode landed on %s with %d cases started; want the address page again and none",
				got.Path, len(cases.Started()))
		}
		mustSay(t, "the address page for the new postcode", got, "2 Station Road, Larchester, LR2 3CC")

		// The lookup system down: nothing is sent, and the answers are kept.
		r.post(page("address"), url.Values{"uprn": {"100003000002"}})
		waste.SetFaults(wastesim.Faults{FailRate: 1})
		t.Cleanup(func() { waste.SetFaults(wastesim.Faults{}) })
		down := r.post(check, url.Values{})
		unavailable(t, "sending with the lookup system down", down, "connector waste", "/api/properties", "temporarily unavailable")
		if n := len(cases.Started()); n != 0 {
			t.Fatalf("%d cases started with the lookup system down", n)
		}

		waste.SetFaults(wastesim.Faults{})
		done := r.post(check, url.Values{})
		started := cases.Started()
		if done.Status != http.StatusOK || len(started) != 1 || started[0].Answers["uprn"] != "100003000002" || started[0].Answers["postcode"] != "LR2 3CC" {
			t.Fatalf("sending an offered address landed on %s; cases started %+v, want one for 100003000002 at LR2 3CC", done.Path, started)
		}
	})
}

// slotsRecipe asks for a collection date from the dates the waste system
// offers the property: a radios question whose choices come from a lookup.
const slotsRecipe = `id: bulky-slots
version: "1"
title: Book a bulky waste collection
reference_prefix: BS
next_steps: We will collect your items on {{ label(form.slot) }}.
form:
  pages:
    - id: property
      title: Property reference
      fields:
        - { id: uprn, type: text, label: Property reference, validate: "required,uprn", example: "100001000001" }
    - id: slot
      title: Choose a collection date
      fields:
        - id: slot
          type: radios
          label: Collection date
          validate: required
          messages:
            lookup_empty: There are no collection dates left. Try again next week.
          lookup:
            connector: waste
            operation: bulky_slots
            input:
              uprn: "{{ form.uprn }}"
            items: result.slots
            value: id
            label: label
          example: "2026-12-03"
steps:
  - id: booked
    end:
      outcome: Collection booked
`

// A radios question whose choices come from a lookup shows the dates the
// waste system offers, takes one of them, refuses another, and shows the
// chosen date's words on check answers.
func TestRadiosTakeTheirChoicesFromALookup(t *testing.T) {
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	t.Cleanup(ws.Close)
	_, conns := shippedAt(t, ws.URL)
	r, err := recipe.Parse("bulky-slots.yaml", []byte(slotsRecipe), conns)
	if err != nil {
		t.Fatal(err)
	}
	cases := &fakeCases{}
	l := serve(t, &Handler{Recipes: []*recipe.Recipe{r}, Connectors: conns, Cases: cases}, 0, nil)
	res := newResident(t, l.URL)
	res.post("/services/bulky-slots/pages/property", url.Values{"uprn": {"100001000001"}})
	slots := offeredSlots(t, ws.URL, "100001000001")
	if len(slots) < 2 {
		t.Fatalf("the waste system offers %d dates, want at least 2", len(slots))
	}
	got := res.get("/services/bulky-slots/pages/slot")
	mustSay(t, "the date page", got, `type="radio"`, `value="`+slots[0].ID+`"`, slots[0].Label, slots[1].Label)

	if got := res.post("/services/bulky-slots/pages/slot", url.Values{"slot": {"1999-01-01"}}); got.Status != http.StatusUnprocessableEntity {
		t.Errorf("a date not offered: %d, want 422", got.Status)
	} else {
		mustSay(t, "a date not offered", got, "Select collection date from the list")
	}
	if got := res.post("/services/bulky-slots/pages/slot", url.Values{"slot": {slots[1].ID}}); got.Path != "/services/bulky-slots/check" {
		t.Fatalf("an offered date landed on %s", got.Path)
	}
	mustSay(t, "check answers", res.get("/services/bulky-slots/check"), slots[1].Label)
	got = res.post("/services/bulky-slots/check", url.Values{})
	if len(cases.Started()) != 1 || cases.Started()[0].Answers["slot"] != slots[1].ID {
		t.Errorf("sending landed on %s with cases %+v; want one case with the date chosen", got.Path, cases.Started())
	}
	// What happens next names the date in the words the resident chose.
	mustSay(t, "the confirmation", got, "We will collect your items on "+slots[1].Label+".")
}

// offeredSlots asks the waste system for the dates it offers a property.
func offeredSlots(t *testing.T, base, uprn string) []wastesim.Slot {
	t.Helper()
	res, err := http.Get(base + "/api/bulky-waste/slots?uprn=" + uprn)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Slots []wastesim.Slot }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Slots
}
