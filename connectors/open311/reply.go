package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/larder-council/larder/connectors"
)

// GeoReport v2 replies, read from JSON or XML into one shape each. Systems
// differ in what they quote, so every scalar is read leniently: a number
// where text is expected is text, "true" where a bool is expected is a bool.

// service is one entry of GET services.
type service struct {
	ServiceCode text    `json:"service_code" xml:"service_code"`
	ServiceName text    `json:"service_name" xml:"service_name"`
	Description text    `json:"description" xml:"description"`
	Metadata    boolean `json:"metadata" xml:"metadata"`
	Type        text    `json:"type" xml:"type"`
	Keywords    text    `json:"keywords" xml:"keywords"`
	Group       text    `json:"group" xml:"group"`
}

func (s service) result() map[string]any {
	return map[string]any{
		"service_code": string(s.ServiceCode),
		"service_name": string(s.ServiceName),
		"description":  string(s.Description),
		"metadata":     bool(s.Metadata),
		"type":         string(s.Type),
		"keywords":     string(s.Keywords),
		"group":        string(s.Group),
	}
}

// definition is GET services/{code}: the attributes a request must carry.
type definition struct {
	ServiceCode text        `json:"service_code" xml:"service_code"`
	Attributes  []attribute `json:"attributes" xml:"attributes>attribute"`
}

type attribute struct {
	Variable            boolean `json:"variable" xml:"variable"`
	Code                text    `json:"code" xml:"code"`
	Datatype            text    `json:"datatype" xml:"datatype"`
	Required            boolean `json:"required" xml:"required"`
	DatatypeDescription text    `json:"datatype_description" xml:"datatype_description"`
	Order               number  `json:"order" xml:"order"`
	Description         text    `json:"description" xml:"description"`
	Values              []value `json:"values" xml:"values>value"`
}

type value struct {
	Key  text `json:"key" xml:"key"`
	Name text `json:"name" xml:"name"`
}

func (d definition) result() map[string]any {
	attrs := make([]any, 0, len(d.Attributes))
	for _, a := range d.Attributes {
		values := make([]any, 0, len(a.Values))
		for _, v := range a.Values {
			values = append(values, map[string]any{"key": string(v.Key), "name": string(v.Name)})
		}
		attrs = append(attrs, map[string]any{
			"variable":             bool(a.Variable),
			"code":                 string(a.Code),
			"datatype":             string(a.Datatype),
			"required":             bool(a.Required),
			"datatype_description": string(a.DatatypeDescription),
			"order":                a.Order.value(),
			"description":          string(a.Description),
			"values":               values,
		})
	}
	return map[string]any{"service_code": string(d.ServiceCode), "attributes": attrs}
}

// request is one entry of the reply to POST requests (its receipt) or of
// GET requests/{id} (its status).
type request struct {
	ServiceRequestID  text   `json:"service_request_id" xml:"service_request_id"`
	Token             text   `json:"token" xml:"token"`
	ServiceNotice     text   `json:"service_notice" xml:"service_notice"`
	AccountID         text   `json:"account_id" xml:"account_id"`
	Status            text   `json:"status" xml:"status"`
	StatusNotes       text   `json:"status_notes" xml:"status_notes"`
	ServiceName       text   `json:"service_name" xml:"service_name"`
	ServiceCode       text   `json:"service_code" xml:"service_code"`
	Description       text   `json:"description" xml:"description"`
	AgencyResponsible text   `json:"agency_responsible" xml:"agency_responsible"`
	RequestedDatetime text   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   text   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  text   `json:"expected_datetime" xml:"expected_datetime"`
	Address           text   `json:"address" xml:"address"`
	AddressID         text   `json:"address_id" xml:"address_id"`
	Zipcode           text   `json:"zipcode" xml:"zipcode"`
	Lat               number `json:"lat" xml:"lat"`
	Long              number `json:"long" xml:"long"`
	MediaURL          text   `json:"media_url" xml:"media_url"`
	// An error entry, when a system answers an error list with a 2xx.
	Code text `json:"code" xml:"code"`
}

// receipt is what submit_request gives a recipe.
func (r request) receipt() map[string]any {
	return map[string]any{
		"service_request_id": string(r.ServiceRequestID),
		"token":              string(r.Token),
		"service_notice":     string(r.ServiceNotice),
		"account_id":         string(r.AccountID),
	}
}

// status is what request_status gives a recipe.
func (r request) status() map[string]any {
	return map[string]any{
		"service_request_id": string(r.ServiceRequestID),
		"status":             string(r.Status),
		"status_notes":       string(r.StatusNotes),
		"service_name":       string(r.ServiceName),
		"service_code":       string(r.ServiceCode),
		"description":        string(r.Description),
		"agency_responsible": string(r.AgencyResponsible),
		"service_notice":     string(r.ServiceNotice),
		"requested_datetime": string(r.RequestedDatetime),
		"updated_datetime":   string(r.UpdatedDatetime),
		"expected_datetime":  string(r.ExpectedDatetime),
		"address":            string(r.Address),
		"address_id":         string(r.AddressID),
		"zipcode":            string(r.Zipcode),
		"lat":                r.Lat.value(),
		"long":               r.Long.value(),
		"media_url":          string(r.MediaURL),
	}
}

// isXML says whether a reply is XML, whatever was asked for: some systems
// answer errors in their default format.
func isXML(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("<"))
}

// decodeOne reads a reply that is one object (a service definition).
func decodeOne[T any](data []byte) (T, error) {
	var v T
	if isXML(data) {
		if err := xml.Unmarshal(data, &v); err != nil {
			return v, fmt.Errorf("reply is not GeoReport XML: %w", err)
		}
		return v, nil
	}
	// Some systems wrap a definition in a one-element list.
	var list []T
	if json.Unmarshal(data, &list) == nil {
		if len(list) == 0 {
			return v, errors.New("reply is an empty list")
		}
		return list[0], nil
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("reply is not GeoReport JSON: %w", err)
	}
	return v, nil
}

// xmlList is any list reply in XML: <services><service>...</service></services>
// or <service_requests><request>...</request></service_requests>.
type xmlList[T any] struct {
	Items []T `xml:",any"`
}

// decodeList reads a reply that is a list (services, requests). A single
// JSON object is read as a list of one.
func decodeList[T any](data []byte) ([]T, error) {
	if isXML(data) {
		var l xmlList[T]
		if err := xml.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("reply is not GeoReport XML: %w", err)
		}
		return l.Items, nil
	}
	var list []T
	if err := json.Unmarshal(data, &list); err == nil {
		return list, nil
	}
	var one T
	if err := json.Unmarshal(data, &one); err != nil {
		return nil, fmt.Errorf("reply is not GeoReport JSON: %w", err)
	}
	return []T{one}, nil
}

// problem is one entry of a GeoReport error list, or the single error
// object some systems (and gateways in front of them) answer instead.
type problem struct {
	Code        text `json:"code" xml:"code"`
	Description text `json:"description" xml:"description"`
	Message     text `json:"message" xml:"message"`
}

// replyError reads [{"code": 400, "description": "..."}] or
// <errors><error><code>400</code><description>...</description></error></errors>
// from an error reply. The HTTP status is the error's status; the GeoReport
// code is kept only when it says more than the status does.
func replyError(status int, data []byte) *connectors.Error {
	e := &connectors.Error{Status: status, Message: http.StatusText(status)}
	if e.Message == "" {
		e.Message = "status " + strconv.Itoa(status)
	}
	problems, err := decodeList[problem](data)
	if err != nil {
		return e
	}
	var msgs, codes []string
	for _, p := range problems {
		msg := strings.TrimSpace(string(p.Description))
		if msg == "" {
			msg = strings.TrimSpace(string(p.Message))
		}
		if msg != "" {
			msgs = append(msgs, msg)
		}
		if c := strings.TrimSpace(string(p.Code)); c != "" && c != strconv.Itoa(status) {
			codes = append(codes, c)
		}
	}
	if len(msgs) > 0 {
		e.Message = clip(strings.Join(msgs, "; "))
	}
	if len(codes) > 0 {
		e.Code = clip(codes[0])
	}
	return e
}

// text is a string that may arrive as a JSON number or bool.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text(s)
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*t = ""
	case float64, bool:
		*t = text(strings.TrimSpace(string(b)))
	default:
		return fmt.Errorf("want text, got %s", describe(v))
	}
	return nil
}

// boolean is a bool that may arrive as "true", 1 or an empty element.
type boolean bool

func (v *boolean) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	return v.UnmarshalText([]byte(t))
}

func (v *boolean) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		*v = false
		return nil
	}
	p, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	*v = boolean(p)
	return nil
}

// number is a number that may arrive quoted, or not at all (nil).
type number struct {
	n  float64
	ok bool
}

func (v number) value() any {
	if !v.ok {
		return nil
	}
	return v.n
}

func (v *number) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	return v.UnmarshalText([]byte(t))
}

func (v *number) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		*v = number{}
		return nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return fmt.Errorf("want a number, got %q", s)
	}
	*v = number{n: n, ok: true}
	return nil
}

// maxMessage bounds an error message kept from a reply: staff read it, and a
// case's history holds it.
const maxMessage = 500

func clip(s string) string {
	if r := []rune(s); len(r) > maxMessage {
		return string(r[:maxMessage]) + "…"
	}
	return s
}
