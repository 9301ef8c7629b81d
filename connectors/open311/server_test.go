package open311_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// apiKey is the key the test GeoReport server accepts.
const apiKey = "k3y-5ecret-0pen311"

// georeport is a small GeoReport v2 server, as a council's case system
// would run one: two services, one with a required attribute, requests
// kept in memory, answers in JSON or XML by the path's extension.
type georeport struct {
	*httptest.Server
	// jurisdiction, when set, is required on every request.
	jurisdiction string
	// echoKey makes error and receipt texts repeat the api_key received,
	// as careless systems do.
	echoKey bool

	mu       sync.Mutex
	requests []*http.Request
	forms    []url.Values
	stored   map[string]storedRequest
	byKey    map[string]string
}

type storedRequest struct {
	ID, Code, Description, Address string
	Lat, Long                      string
}

func newGeoreport(t *testing.T) *georeport {
	t.Helper()
	g := &georeport{stored: map[string]storedRequest{}, byKey: map[string]string{}}
	g.Server = httptest.NewServer(http.StripPrefix("/open311/v2", http.HandlerFunc(g.serve)))
	t.Cleanup(g.Close)
	return g
}

// base is the endpoint a connector is given.
func (g *georeport) base() string { return g.URL + "/open311/v2" }

func (g *georeport) received() ([]*http.Request, []url.Values) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*http.Request(nil), g.requests...), append([]url.Values(nil), g.forms...)
}

type xmlService struct {
	XMLName     xml.Name `xml:"service" json:"-"`
	ServiceCode string   `xml:"service_code" json:"service_code"`
	ServiceName string   `xml:"service_name" json:"service_name"`
	Description string   `xml:"description" json:"description"`
	Metadata    bool     `xml:"metadata" json:"metadata"`
	Type        string   `xml:"type" json:"type"`
	Keywords    string   `xml:"keywords" json:"keywords"`
	Group       string   `xml:"group" json:"group"`
}

var services = []xmlService{
	{ServiceCode: "missed-bin", ServiceName: "Missed bin collection", Description: "A bin was not emptied", Metadata: true, Type: "realtime", Keywords: "bin, waste", Group: "waste"},
	{ServiceCode: "graffiti", ServiceName: "Graffiti", Description: "Paint on a wall", Type: "batch", Group: "street"},
}

type xmlValue struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

type xmlAttribute struct {
	Variable    bool       `xml:"variable" json:"variable"`
	Code        string     `xml:"code" json:"code"`
	Datatype    string     `xml:"datatype" json:"datatype"`
	Required    bool       `xml:"required" json:"required"`
	DatatypeDes string     `xml:"datatype_description" json:"datatype_description"`
	Order       int        `xml:"order" json:"order"`
	Description string     `xml:"description" json:"description"`
	Values      []xmlValue `xml:"values>value" json:"values"`
}

type xmlDefinition struct {
	XMLName     xml.Name       `xml:"service_definition" json:"-"`
	ServiceCode string         `xml:"service_code" json:"service_code"`
	Attributes  []xmlAttribute `xml:"attributes>attribute" json:"attributes"`
}

var definitions = map[string]xmlDefinition{
	"missed-bin": {ServiceCode: "missed-bin", Attributes: []xmlAttribute{
		{Variable: true, Code: "bin_type", Datatype: "singlevaluelist", Required: true, Order: 1, Description: "Which bin was missed?",
			Values: []xmlValue{{"general", "General waste"}, {"recycling", "Recycling"}}},
		{Variable: true, Code: "notes", Datatype: "text", Order: 2, Description: "Anything else?"},
	}},
	"graffiti": {ServiceCode: "graffiti"},
}

type xmlRequest struct {
	XMLName          xml.Name `xml:"request" json:"-"`
	ServiceRequestID string   `xml:"service_request_id,omitempty" json:"service_request_id,omitempty"`
	Status           string   `xml:"status,omitempty" json:"status,omitempty"`
	ServiceCode      string   `xml:"service_code,omitempty" json:"service_code,omitempty"`
	Description      string   `xml:"description,omitempty" json:"description,omitempty"`
	ServiceNotice    string   `xml:"service_notice" json:"service_notice"`
	AccountID        string   `xml:"account_id,omitempty" json:"account_id,omitempty"`
	Address          string   `xml:"address,omitempty" json:"address,omitempty"`
	Lat              string   `xml:"lat,omitempty" json:"lat,omitempty"`
	Long             string   `xml:"long,omitempty" json:"long,omitempty"`
	Requested        string   `xml:"requested_datetime,omitempty" json:"requested_datetime,omitempty"`
}

type xmlError struct {
	XMLName     xml.Name `xml:"error" json:"-"`
	Code        int      `xml:"code" json:"code"`
	Description string   `xml:"description" json:"description"`
}

func (g *georeport) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	g.mu.Lock()
	g.requests = append(g.requests, r)
	g.forms = append(g.forms, r.PostForm)
	g.mu.Unlock()

	path, format, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), ".")
	if !ok || (format != "json" && format != "xml") {
		g.fail(w, "json", 404, "no such endpoint")
		return
	}
	if g.jurisdiction != "" && r.Form.Get("jurisdiction_id") != g.jurisdiction {
		g.fail(w, format, 404, "unknown jurisdiction")
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "services":
		g.write(w, format, 200, "services", services)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "services/"):
		d, ok := definitions[strings.TrimPrefix(path, "services/")]
		if !ok {
			g.fail(w, format, 404, "no such service")
			return
		}
		g.write(w, format, 200, "", d)
	case r.Method == http.MethodPost && path == "requests":
		g.submit(w, r, format)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "requests/"):
		g.mu.Lock()
		s, ok := g.stored[strings.TrimPrefix(path, "requests/")]
		g.mu.Unlock()
		if !ok {
			g.fail(w, format, 404, "no such request")
			return
		}
		g.write(w, format, 200, "service_requests", []xmlRequest{{
			ServiceRequestID: s.ID, Status: "open", ServiceCode: s.Code, Description: s.Description,
			Address: s.Address, Lat: s.Lat, Long: s.Long, Requested: "2026-11-27T10:00:00Z",
		}})
	default:
		g.fail(w, format, 404, "no such endpoint")
	}
}

func (g *georeport) submit(w http.ResponseWriter, r *http.Request, format string) {
	if got := r.PostForm.Get("api_key"); got != apiKey {
		msg := "invalid api_key"
		if g.echoKey {
			msg += " " + got
		}
		g.fail(w, format, 403, msg)
		return
	}
	code := r.PostForm.Get("service_code")
	d, ok := definitions[code]
	if !ok {
		g.fail(w, format, 400, "unknown service_code")
		return
	}
	for _, a := range d.Attributes {
		if a.Required && r.PostForm.Get("attribute["+a.Code+"]") == "" {
			g.fail(w, format, 400, "attribute "+a.Code+" is required")
			return
		}
	}
	g.mu.Lock()
	id, seen := g.byKey[r.Header.Get("Idempotency-Key")]
	if !seen {
		id = fmt.Sprintf("OR-%d", 1000+len(g.stored))
		g.stored[id] = storedRequest{ID: id, Code: code, Description: r.PostForm.Get("description"),
			Address: r.PostForm.Get("address_string"), Lat: r.PostForm.Get("lat"), Long: r.PostForm.Get("long")}
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			g.byKey[k] = id
		}
	}
	g.mu.Unlock()
	notice := "We will look at it within 2 working days"
	if g.echoKey {
		notice += " (key " + apiKey + ")"
	}
	g.write(w, format, 201, "service_requests", []xmlRequest{{ServiceRequestID: id, ServiceNotice: notice, AccountID: "A-7"}})
}

func (g *georeport) fail(w http.ResponseWriter, format string, status int, msg string) {
	g.write(w, format, status, "errors", []xmlError{{Code: status, Description: msg}})
}

// write answers v in format; an XML list goes inside a root named root.
func (g *georeport) write(w http.ResponseWriter, format string, status int, root string, v any) {
	if format == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		if root != "" {
			_, _ = fmt.Fprintf(w, "<%s>", root)
		}
		_ = xml.NewEncoder(w).Encode(v)
		if root != "" {
			_, _ = fmt.Fprintf(w, "</%s>", root)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
