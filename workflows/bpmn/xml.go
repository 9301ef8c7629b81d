package bpmn

import (
	"encoding/xml"
	"strings"
)

// The BPMN 2.0 XML, written with the prefixes Camunda Modeler and bpmn-js
// write: encoding/xml takes a prefixed name in a tag as it is.
const (
	nsBPMN   = "http://www.omg.org/spec/BPMN/20100524/MODEL"
	nsBPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
	nsDC     = "http://www.omg.org/spec/DD/20100524/DC"
	nsDI     = "http://www.omg.org/spec/DD/20100524/DI"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
)

type xmlDefinitions struct {
	XMLName         xml.Name   `xml:"bpmn:definitions"`
	BPMN            string     `xml:"xmlns:bpmn,attr"`
	BPMNDI          string     `xml:"xmlns:bpmndi,attr"`
	DC              string     `xml:"xmlns:dc,attr"`
	DI              string     `xml:"xmlns:di,attr"`
	XSI             string     `xml:"xmlns:xsi,attr"`
	ID              string     `xml:"id,attr"`
	TargetNamespace string     `xml:"targetNamespace,attr"`
	Exporter        string     `xml:"exporter,attr"`
	Roots           []xmlRoot  `xml:",omitempty"`
	Process         xmlProcess `xml:"bpmn:process"`
	Diagram         xmlDiagram `xml:"bpmndi:BPMNDiagram"`
}

// xmlRoot is a bpmn:error or bpmn:message.
type xmlRoot struct {
	XMLName   xml.Name
	ID        string `xml:"id,attr"`
	Name      string `xml:"name,attr"`
	ErrorCode string `xml:"errorCode,attr,omitempty"`
}

type xmlProcess struct {
	ID           string       `xml:"id,attr"`
	Name         string       `xml:"name,attr"`
	IsExecutable bool         `xml:"isExecutable,attr"`
	Elements     []xmlElement // flow nodes, then sequence flows and associations
}

// xmlElement is any element of a process; XMLName says which.
type xmlElement struct {
	XMLName              xml.Name
	ID                   string              `xml:"id,attr"`
	Name                 string              `xml:"name,attr,omitempty"`
	AttachedToRef        string              `xml:"attachedToRef,attr,omitempty"`
	CancelActivity       string              `xml:"cancelActivity,attr,omitempty"`
	IsForCompensation    bool                `xml:"isForCompensation,attr,omitempty"`
	CalledElement        string              `xml:"calledElement,attr,omitempty"`
	ScriptFormat         string              `xml:"scriptFormat,attr,omitempty"`
	Default              string              `xml:"default,attr,omitempty"`
	SourceRef            string              `xml:"sourceRef,attr,omitempty"`
	TargetRef            string              `xml:"targetRef,attr,omitempty"`
	AssociationDirection string              `xml:"associationDirection,attr,omitempty"`
	Incoming             []string            `xml:"bpmn:incoming"`
	Outgoing             []string            `xml:"bpmn:outgoing"`
	PotentialOwner       *xmlPotentialOwner  `xml:"bpmn:potentialOwner"`
	Condition            *xmlExpression      `xml:"bpmn:conditionExpression"`
	Script               string              `xml:"bpmn:script,omitempty"`
	Event                *xmlEventDefinition `xml:",omitempty"`
}

// xmlPotentialOwner names a user task's queue, the team that may claim it
// (Camunda's candidate group).
type xmlPotentialOwner struct {
	Expression struct {
		Body string `xml:"bpmn:formalExpression"`
	} `xml:"bpmn:resourceAssignmentExpression"`
}

type xmlEventDefinition struct {
	XMLName      xml.Name
	ErrorRef     string         `xml:"errorRef,attr,omitempty"`
	MessageRef   string         `xml:"messageRef,attr,omitempty"`
	TimeDate     *xmlExpression `xml:"bpmn:timeDate"`
	TimeDuration *xmlExpression `xml:"bpmn:timeDuration"`
}

// xmlExpression is a condition or a timer's time. Its body is escaped by
// escapeText, which leaves quotes as they are, so conditions read as the
// designer wrote them.
type xmlExpression struct {
	Type string `xml:"xsi:type,attr"`
	Body string `xml:",innerxml"`
}

type xmlDiagram struct {
	ID    string   `xml:"id,attr"`
	Plane xmlPlane `xml:"bpmndi:BPMNPlane"`
}

type xmlPlane struct {
	ID          string     `xml:"id,attr"`
	BPMNElement string     `xml:"bpmnElement,attr"`
	Shapes      []xmlShape `xml:"bpmndi:BPMNShape"`
	Edges       []xmlEdge  `xml:"bpmndi:BPMNEdge"`
}

type xmlShape struct {
	ID              string    `xml:"id,attr"`
	BPMNElement     string    `xml:"bpmnElement,attr"`
	IsMarkerVisible bool      `xml:"isMarkerVisible,attr,omitempty"`
	Bounds          xmlBounds `xml:"dc:Bounds"`
}

type xmlBounds struct {
	X      int `xml:"x,attr"`
	Y      int `xml:"y,attr"`
	Width  int `xml:"width,attr"`
	Height int `xml:"height,attr"`
}

type xmlEdge struct {
	ID          string     `xml:"id,attr"`
	BPMNElement string     `xml:"bpmnElement,attr"`
	Waypoints   []xmlPoint `xml:"di:waypoint"`
}

type xmlPoint struct {
	X int `xml:"x,attr"`
	Y int `xml:"y,attr"`
}

// bpmnName is a prefixed element name.
func bpmnName(tag string) xml.Name { return xml.Name{Local: "bpmn:" + tag} }

// formal is a tFormalExpression holding body.
func formal(body string) *xmlExpression {
	return &xmlExpression{Type: "bpmn:tFormalExpression", Body: escapeText(body)}
}

// document turns the graph and its layout into the XML tree.
func document(g *graph, title string) xmlDefinitions {
	shapes, edges, assocs := layout(g)
	d := xmlDefinitions{
		BPMN: nsBPMN, BPMNDI: nsBPMNDI, DC: nsDC, DI: nsDI, XSI: nsXSI,
		ID:              g.ids.unique(g.process + "-definitions"),
		TargetNamespace: "urn:larder:recipes",
		Exporter:        "Larder",
		Process:         xmlProcess{ID: g.process, Name: title},
	}
	for _, r := range g.roots {
		d.Roots = append(d.Roots, xmlRoot{XMLName: bpmnName(r.tag), ID: r.id, Name: r.name, ErrorCode: r.code})
	}
	d.Diagram.ID = g.ids.unique(g.process + "-diagram")
	plane := &d.Diagram.Plane
	plane.ID, plane.BPMNElement = g.ids.unique(g.process+"-plane"), g.process
	for _, n := range g.nodes {
		e := xmlElement{XMLName: bpmnName(n.tag), ID: n.id, Name: n.name, AttachedToRef: n.attachedTo,
			IsForCompensation: n.forCompensate, CalledElement: n.calledElement, ScriptFormat: n.format, Script: n.script}
		if n.queue != "" {
			e.PotentialOwner = &xmlPotentialOwner{}
			e.PotentialOwner.Expression.Body = n.queue
		}
		if n.nonInterrupt {
			e.CancelActivity = "false"
		}
		for _, f := range n.in {
			e.Incoming = append(e.Incoming, f.id)
		}
		for _, f := range n.out {
			e.Outgoing = append(e.Outgoing, f.id)
			if f.isDefault {
				e.Default = f.id
			}
		}
		if ev := n.event; ev != nil {
			x := &xmlEventDefinition{XMLName: bpmnName(ev.tag), ErrorRef: ev.ref}
			if ev.tag == "messageEventDefinition" {
				x.ErrorRef, x.MessageRef = "", ev.ref
			}
			if ev.date != "" {
				x.TimeDate = formal(ev.date)
			}
			if ev.duration != "" {
				x.TimeDuration = formal(ev.duration)
			}
			e.Event = x
		}
		plane.Shapes = append(plane.Shapes, xmlShape{
			ID: g.ids.unique(n.id + "-di"), BPMNElement: n.id, IsMarkerVisible: n.tag == "exclusiveGateway",
			Bounds: bounds(shapes[n]),
		})
		d.Process.Elements = append(d.Process.Elements, e)
	}
	for _, f := range g.flows {
		e := xmlElement{XMLName: bpmnName("sequenceFlow"), ID: f.id, Name: f.name, SourceRef: f.from.id, TargetRef: f.to.id}
		if f.cond != "" {
			e.Condition = formal(f.cond)
		}
		d.Process.Elements = append(d.Process.Elements, e)
		plane.Edges = append(plane.Edges, xmlEdge{ID: g.ids.unique(f.id + "-di"), BPMNElement: f.id, Waypoints: waypoints(edges[f])})
	}
	for i, a := range g.associations {
		id := g.ids.unique("association-" + a[0].id + "-" + a[1].id)
		d.Process.Elements = append(d.Process.Elements, xmlElement{XMLName: bpmnName("association"), ID: id,
			SourceRef: a[0].id, TargetRef: a[1].id, AssociationDirection: "One"})
		plane.Edges = append(plane.Edges, xmlEdge{ID: g.ids.unique(id + "-di"), BPMNElement: id, Waypoints: waypoints(assocs[i])})
	}
	return d
}

// escapeText escapes text for an element's content: &, < and >, and
// characters XML cannot hold become U+FFFD, as encoding/xml does.
func escapeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF):
			b.WriteRune(r)
		default:
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}

func bounds(b box) xmlBounds { return xmlBounds{X: b.x, Y: b.y, Width: b.w, Height: b.h} }

func waypoints(ps []point) []xmlPoint {
	out := make([]xmlPoint, len(ps))
	for i, p := range ps {
		out[i] = xmlPoint{X: p.x, Y: p.y}
	}
	return out
}
