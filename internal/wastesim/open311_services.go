package wastesim

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// The GeoReport v2 services the waste system takes, and their definitions.

// service is a GeoReport v2 service.
type service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	Code        string   `json:"service_code" xml:"service_code"`
	Name        string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
	notice      string
	attributes  []attribute
}

// attribute is a question a service asks.
type attribute struct {
	Variable            bool    `json:"variable" xml:"variable"`
	Code                string  `json:"code" xml:"code"`
	Datatype            string  `json:"datatype" xml:"datatype"`
	Required            bool    `json:"required" xml:"required"`
	DatatypeDescription string  `json:"datatype_description" xml:"datatype_description"`
	Order               int     `json:"order" xml:"order"`
	Description         string  `json:"description" xml:"description"`
	Values              []value `json:"values,omitempty" xml:"values>value,omitempty"`
}

type value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

func values(kv ...string) []value {
	var out []value
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, value{kv[i], kv[i+1]})
	}
	return out
}

// services are the GeoReport v2 services the waste system takes.
var services = []service{
	{
		Code: "missed-bin", Name: "Missed bin collection", Description: "A bin was not emptied on its collection day.",
		Metadata: true, Type: "realtime", Keywords: "bin, missed, collection", Group: "waste",
		notice: "A crew will return within 2 working days.",
		attributes: []attribute{{
			Variable: true, Code: "bin_type", Datatype: "singlevaluelist", Required: true, Order: 1,
			Description: "Which bin was not collected?",
			Values:      values("general", "General waste (black bin)", "recycling", "Recycling (blue bin)", "garden", "Garden waste (green bin)", "food", "Food waste (caddy)"),
		}},
	},
	{
		Code: "fly-tipping", Name: "Fly-tipping", Description: "Rubbish dumped on public land.",
		Metadata: true, Type: "realtime", Keywords: "fly-tipping, dumping, rubbish", Group: "street-cleaning",
		notice: "We aim to clear fly-tipping within 5 working days.",
		attributes: []attribute{
			{
				Variable: true, Code: "waste_type", Datatype: "singlevaluelist", Required: true, Order: 1,
				Description: "What kind of waste is it?",
				Values:      values("household", "Household rubbish", "garden", "Garden waste", "building", "Building rubble", "tyres", "Tyres", "other", "Something else"),
			},
			{
				Variable: true, Code: "size", Datatype: "singlevaluelist", Required: false, Order: 2,
				Description: "How much is there?",
				Values:      values("small", "A bag or two", "car-boot", "A car boot load", "van", "A van load or more"),
			},
		},
	},
	{
		Code: "graffiti", Name: "Graffiti", Description: "Graffiti on a public building, wall or street furniture.",
		Metadata: false, Type: "realtime", Keywords: "graffiti, vandalism", Group: "street-cleaning",
		notice: "We remove offensive graffiti within 1 working day and other graffiti within 10.",
	},
}

func findService(code string) (service, bool) {
	for _, sv := range services {
		if sv.Code == code {
			return sv, true
		}
	}
	return service{}, false
}

// open311Service serves services/{code}.{fmt}, the service definition.
func (s *Server) open311Service(w http.ResponseWriter, r *http.Request) {
	code, format := open311File(r)
	sv, ok := findService(code)
	switch {
	case format == "":
		open311Errors(w, r, http.StatusNotFound, "ask for .json or .xml")
	case !ok:
		open311Errors(w, r, http.StatusNotFound, fmt.Sprintf("there is no service %q", code))
	default:
		open311Reply(w, format, http.StatusOK, struct {
			XMLName     xml.Name    `json:"-" xml:"service_definition"`
			ServiceCode string      `json:"service_code" xml:"service_code"`
			Attributes  []attribute `json:"attributes" xml:"attributes>attribute"`
		}{ServiceCode: sv.Code, Attributes: append([]attribute{}, sv.attributes...)})
	}
}
