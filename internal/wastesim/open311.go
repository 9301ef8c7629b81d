package wastesim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the GeoReport v2 (Open311) face of the waste system, under
// /open311/v2/: the services residents may report, each one's definition
// with its attributes, and service requests. The format is the
// extension: .json or .xml.

// ServiceRequest is one GeoReport v2 service request received.
type ServiceRequest struct {
	ID          string
	ServiceCode string
	Status      string
	Description string
	// Attributes are the service's attributes as sent, attribute[code]=value.
	Attributes    map[string][]string
	Lat, Long     *float64
	AddressString string
	// AddressID is the property's UPRN, when the request named one.
	AddressID string
	// Address is the address the request is at: the property's when it
	// named an address_id, else address_string.
	Address                           string
	Email, FirstName, LastName, Phone string
	RequestedAt                       time.Time
}

// ServiceRequests returns every GeoReport v2 service request received.
func (s *Server) ServiceRequests() []ServiceRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reports)
}

// open311File splits a path's last part into its name and format.
func open311File(r *http.Request) (name, format string) {
	file := r.PathValue("file")
	if i := strings.LastIndexByte(file, '.'); i >= 0 {
		name, format = file[:i], file[i+1:]
	}
	if format != "json" && format != "xml" {
		return file, ""
	}
	return name, format
}

// open311Format is the format a request's path asks for, JSON when it
// names none the spec knows, so its errors can be read.
func open311Format(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, ".xml") {
		return "xml"
	}
	return "json"
}

// open311Reply answers v in the format.
func open311Reply(w http.ResponseWriter, format string, status int, v any) {
	if format == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		_ = xml.NewEncoder(w).Encode(v)
		return
	}
	writeJSON(w, status, v)
}

type open311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// open311Errors answers a GeoReport v2 error list.
func open311Errors(w http.ResponseWriter, r *http.Request, status int, msg string) {
	errs := []open311Error{{Code: status, Description: msg}}
	if open311Format(r) == "xml" {
		open311Reply(w, "xml", status, struct {
			XMLName xml.Name       `xml:"errors"`
			Errors  []open311Error `xml:"error"`
		}{Errors: errs})
		return
	}
	open311Reply(w, "json", status, errs)
}

// open311List serves services.{fmt} and requests.{fmt}.
func (s *Server) open311List(w http.ResponseWriter, r *http.Request) {
	name, format := open311File(r)
	switch {
	case format == "":
		open311Errors(w, r, http.StatusNotFound, "ask for .json or .xml")
	case name == "services":
		var v any = services
		if format == "xml" {
			v = struct {
				XMLName  xml.Name  `xml:"services"`
				Services []service `xml:"service"`
			}{Services: services}
		}
		open311Reply(w, format, http.StatusOK, v)
	case name == "requests":
		s.open311Requests(w, r, format)
	default:
		open311Errors(w, r, http.StatusNotFound, fmt.Sprintf("there is no %s here: try services or requests", name))
	}
}

// requestDoc is a service request as GeoReport v2 shows it.
type requestDoc struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
}

type requestsDoc struct {
	XMLName  xml.Name     `xml:"service_requests"`
	Requests []requestDoc `xml:"request"`
}

// doc is the request as GeoReport v2 shows it. s.mu must be held.
func (s *Server) doc(sr ServiceRequest) requestDoc {
	sv, _ := findService(sr.ServiceCode)
	at := sr.RequestedAt.UTC()
	d := requestDoc{
		ID: sr.ID, Status: sr.Status, ServiceName: sv.Name, ServiceCode: sr.ServiceCode, Description: sr.Description,
		AgencyResponsible: "Larchester Council waste services", ServiceNotice: sv.notice,
		RequestedDatetime: at.Format(time.RFC3339), UpdatedDatetime: at.Format(time.RFC3339),
		ExpectedDatetime: at.Add(48 * time.Hour).Format(time.RFC3339),
		Address:          sr.Address, AddressID: sr.AddressID, Lat: sr.Lat, Long: sr.Long,
	}
	if h, ok := s.props[sr.AddressID]; ok {
		d.Zipcode = h.postcode
	}
	return d
}

// open311Requests lists requests, filtered by service_request_id (a comma
// list), service_code and status.
func (s *Server) open311Requests(w http.ResponseWriter, r *http.Request, format string) {
	q := r.URL.Query()
	var ids []string
	if v := q.Get("service_request_id"); v != "" {
		ids = strings.Split(v, ",")
	}
	s.mu.Lock()
	docs := []requestDoc{}
	for _, sr := range s.reports {
		if (ids == nil || slices.Contains(ids, sr.ID)) && (q.Get("service_code") == "" || q.Get("service_code") == sr.ServiceCode) &&
			(q.Get("status") == "" || q.Get("status") == sr.Status) {
			docs = append(docs, s.doc(sr))
		}
	}
	s.mu.Unlock()
	s.open311Docs(w, format, docs)
}

func (s *Server) open311Docs(w http.ResponseWriter, format string, docs []requestDoc) {
	if format == "xml" {
		open311Reply(w, format, http.StatusOK, requestsDoc{Requests: docs})
		return
	}
	open311Reply(w, format, http.StatusOK, docs)
}

// open311Request serves requests/{id}.{fmt}.
func (s *Server) open311Request(w http.ResponseWriter, r *http.Request) {
	id, format := open311File(r)
	if format == "" {
		open311Errors(w, r, http.StatusNotFound, "ask for .json or .xml")
		return
	}
	s.mu.Lock()
	i := slices.IndexFunc(s.reports, func(sr ServiceRequest) bool { return sr.ID == id })
	var docs []requestDoc
	if i >= 0 {
		docs = []requestDoc{s.doc(s.reports[i])}
	}
	s.mu.Unlock()
	if docs == nil {
		open311Errors(w, r, http.StatusNotFound, fmt.Sprintf("there is no service request %q", id))
		return
	}
	s.open311Docs(w, format, docs)
}

// open311Post creates a service request from a form-encoded POST to
// requests.{fmt}.
func (s *Server) open311Post(w http.ResponseWriter, r *http.Request) {
	name, format := open311File(r)
	if format == "" || name != "requests" {
		open311Errors(w, r, http.StatusNotFound, "post service requests to requests.json or requests.xml")
		return
	}
	if err := r.ParseForm(); err != nil {
		open311Errors(w, r, http.StatusBadRequest, "the body must be form-encoded")
		return
	}
	f := r.Form
	if !same(f.Get("api_key"), s.opts.Open311APIKey) {
		open311Errors(w, r, http.StatusForbidden, "a valid api_key is required to create a service request")
		return
	}
	code := f.Get("service_code")
	if code == "" {
		open311Errors(w, r, http.StatusBadRequest, "service_code is required")
		return
	}
	sv, ok := findService(code)
	if !ok {
		open311Errors(w, r, http.StatusNotFound, fmt.Sprintf("there is no service %q: see services.%s", code, format))
		return
	}
	sr := ServiceRequest{
		ServiceCode: code, Status: "open", Description: f.Get("description"), Attributes: map[string][]string{},
		AddressString: f.Get("address_string"), AddressID: f.Get("address_id"),
		Email: f.Get("email"), FirstName: f.Get("first_name"), LastName: f.Get("last_name"), Phone: f.Get("phone"),
		RequestedAt: s.now(),
	}
	if msg := open311Attributes(sv, f, sr.Attributes); msg != "" {
		open311Errors(w, r, http.StatusBadRequest, msg)
		return
	}
	lat, long := f.Get("lat"), f.Get("long")
	if lat != "" || long != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			open311Errors(w, r, http.StatusBadRequest, "lat and long must both be given, as decimal degrees")
			return
		}
		sr.Lat, sr.Long = &la, &lo
	}
	if sr.Lat == nil && sr.AddressString == "" && sr.AddressID == "" {
		open311Errors(w, r, http.StatusBadRequest, "a location is required: lat and long, address_string or address_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sr.Address = sr.AddressString
	if sr.AddressID != "" {
		h, ok := s.props[sr.AddressID]
		if !ok {
			open311Errors(w, r, http.StatusBadRequest, fmt.Sprintf("address_id %q is not a property the council collects from", sr.AddressID))
			return
		}
		sr.Address = h.address
	}
	sr.ID = fmt.Sprintf("SR-%06d", len(s.reports)+1)
	s.reports = append(s.reports, sr)
	out := struct {
		XMLName       xml.Name `json:"-" xml:"request"`
		ID            string   `json:"service_request_id" xml:"service_request_id"`
		ServiceNotice string   `json:"service_notice" xml:"service_notice"`
		AccountID     *string  `json:"account_id" xml:"account_id"`
	}{ID: sr.ID, ServiceNotice: sv.notice}
	if format == "xml" {
		open311Reply(w, format, http.StatusCreated, struct {
			XMLName  xml.Name `xml:"service_requests"`
			Requests any      `xml:"request"`
		}{Requests: out})
		return
	}
	open311Reply(w, format, http.StatusCreated, []any{out})
}

// open311Attributes reads attribute[code]=value (or attribute[code][]=
// for several) into got, and says what is missing or wrong, if anything.
func open311Attributes(sv service, form map[string][]string, got map[string][]string) string {
	for _, a := range sv.attributes {
		vals := append(slices.Clone(form["attribute["+a.Code+"]"]), form["attribute["+a.Code+"][]"]...)
		vals = slices.DeleteFunc(vals, func(v string) bool { return strings.TrimSpace(v) == "" })
		if len(vals) == 0 {
			if a.Required {
				return fmt.Sprintf("attribute[%s] is required: %s", a.Code, a.Description)
			}
			continue
		}
		if a.Datatype == "singlevaluelist" && len(vals) > 1 {
			return fmt.Sprintf("attribute[%s] takes one value", a.Code)
		}
		for _, v := range vals {
			if a.Values != nil && !slices.ContainsFunc(a.Values, func(x value) bool { return x.Key == v }) {
				return fmt.Sprintf("attribute[%s] %q is not one of the values the service definition lists", a.Code, v)
			}
		}
		got[a.Code] = vals
	}
	return ""
}
