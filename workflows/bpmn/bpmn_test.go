package bpmn

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

var update = flag.Bool("update", false, "rewrite the golden BPMN files")

// recipeFiles is every shipped recipe, every step example of the recipe
// package and this package's own recipes.
func recipeFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"../../recipes", "../recipe/testdata/steps", "testdata"} {
		fs, err := recipe.RecipeFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 0 {
			t.Fatalf("no recipes in %s", dir)
		}
		files = append(files, fs...)
	}
	return files
}

func load(t *testing.T, file string) *recipe.Recipe {
	t.Helper()
	r, err := recipe.LoadFile(file, nil)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return r
}

func export(t *testing.T, r *recipe.Recipe) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// el is one element of the XML, as a reader sees it.
type el struct {
	tag      string // local name, e.g. serviceTask
	parent   string // the parent's local name
	attrs    map[string]string
	children []*el
	text     string
}

// parse reads the XML, failing the test if it is not well-formed.
func parse(t *testing.T, data []byte) *el {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := &el{}
	stack := []*el{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &el{tag: tok.Name.Local, parent: top.tag, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			top.children = append(top.children, e)
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	if len(root.children) != 1 || root.children[0].tag != "definitions" {
		t.Fatalf("the document is not one bpmn:definitions")
	}
	return root.children[0]
}

// all lists the element and everything under it, depth first.
func (e *el) all() []*el {
	out := []*el{e}
	for _, c := range e.children {
		out = append(out, c.all()...)
	}
	return out
}

// find is the first element under e with the tag, or nil.
func (e *el) find(tag string) *el {
	for _, c := range e.all() {
		if c.tag == tag {
			return c
		}
	}
	return nil
}

// byID maps every element with an id to it, failing on a repeated id.
func byID(t *testing.T, doc *el) map[string]*el {
	t.Helper()
	ids := map[string]*el{}
	for _, e := range doc.all() {
		id, ok := e.attrs["id"]
		if !ok {
			continue
		}
		if ids[id] != nil {
			t.Errorf("id %q is used by a %s and a %s", id, ids[id].tag, e.tag)
		}
		ids[id] = e
	}
	return ids
}

// elementsFor says which BPMN elements a kind of step may be.
var elementsFor = map[string][]string{
	"call": {"serviceTask"}, "email": {"sendTask"}, "task": {"userTask"},
	"decide": {"exclusiveGateway"}, "parallel": {"parallelGateway"},
	"wait": {"intermediateCatchEvent", "eventBasedGateway"}, "set": {"scriptTask"},
	"subrecipe": {"callActivity"}, "end": {"endEvent"}, "fail": {"endEvent"},
}

// TestEveryRecipeExports: each recipe gives well-formed BPMN, the same
// every time, where each step is one element with the step's id, of the
// kind the step is, every other id is a derived one (with a dash), every
// flow joins elements that exist, and everything has its place in the
// diagram.
func TestEveryRecipeExports(t *testing.T) {
	for _, file := range recipeFiles(t) {
		t.Run(file, func(t *testing.T) {
			r := load(t, file)
			data := export(t, r)
			if again := export(t, r); !bytes.Equal(data, again) {
				t.Error("two exports of the same recipe differ")
			}
			doc := parse(t, data)
			ids := byID(t, doc)
			process := doc.find("process")
			steps := map[string]recipe.Step{}
			for _, s := range r.AllSteps() {
				steps[s.ID] = s
			}
			nodes := map[string]*el{}
			for _, e := range process.children {
				if e.tag == "sequenceFlow" || e.tag == "association" {
					continue
				}
				nodes[e.attrs["id"]] = e
				s, isStep := steps[e.attrs["id"]]
				switch {
				case isStep && !slices.Contains(elementsFor[s.Kind()], e.tag):
					t.Errorf("%s step %q is a %s", s.Kind(), s.ID, e.tag)
				case isStep && s.Fail != nil && e.find("errorEventDefinition") == nil:
					t.Errorf("fail step %q is not an error end event", s.ID)
				case isStep && s.End != nil && e.find("errorEventDefinition") != nil:
					t.Errorf("end step %q is an error end event", s.ID)
				case !isStep && !strings.Contains(e.attrs["id"], "-"):
					t.Errorf("%s %q is not a step, yet its id has no dash", e.tag, e.attrs["id"])
				}
			}
			for id := range steps {
				if nodes[id] == nil {
					t.Errorf("step %q has no element", id)
				}
			}
			shapes, edges := map[string]bool{}, map[string]bool{}
			for _, e := range doc.all() {
				switch e.tag {
				case "BPMNShape":
					shapes[e.attrs["bpmnElement"]] = true
				case "BPMNEdge":
					edges[e.attrs["bpmnElement"]] = true
					if n := len(e.children); n < 2 {
						t.Errorf("edge %s has %d waypoints", e.attrs["id"], n)
					}
				case "sequenceFlow", "association":
					if nodes[e.attrs["sourceRef"]] == nil || nodes[e.attrs["targetRef"]] == nil {
						t.Errorf("%s %s joins %q to %q: not both elements of the process", e.tag, e.attrs["id"], e.attrs["sourceRef"], e.attrs["targetRef"])
					}
				}
			}
			for _, e := range process.children {
				id := e.attrs["id"]
				if e.tag == "sequenceFlow" || e.tag == "association" {
					if !edges[id] {
						t.Errorf("%s %s has no edge in the diagram", e.tag, id)
					}
				} else if !shapes[id] {
					t.Errorf("%s %s has no shape in the diagram", e.tag, id)
				}
			}
			if p := doc.find("BPMNPlane"); ids[p.attrs["bpmnElement"]] != process {
				t.Errorf("the diagram shows %q, not the process", p.attrs["bpmnElement"])
			}
		})
	}
}

// TestGolden compares the export of a small recipe with testdata/small.bpmn
// (go test -update rewrites it).
func TestGolden(t *testing.T) {
	got := export(t, load(t, "testdata/small.yaml"))
	golden := "testdata/small.bpmn"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("export of testdata/small.yaml differs from %s (go test -update rewrites it); got:\n%s", golden, got)
	}
}

// flows lists the process's sequence flows as "from->to".
func flows(doc *el) []string {
	var out []string
	for _, e := range doc.find("process").children {
		if e.tag == "sequenceFlow" {
			out = append(out, e.attrs["sourceRef"]+"->"+e.attrs["targetRef"])
		}
	}
	return out
}

// TestShapesAroundSteps checks what BPMN needs beside the steps of
// testdata/branches.yaml: a branch leaving by two flows gathers them
// before the join, a join only one branch reaches is left out, routes to
// one step share a flow and meet in a merge gateway, and a step with the
// recipe's id leaves the process another.
func TestShapesAroundSteps(t *testing.T) {
	doc := parse(t, export(t, load(t, "testdata/branches.yaml")))
	ids := byID(t, doc)
	fs := flows(doc)
	for _, want := range []string{
		"note->pause", "pause->new_year", "new_year->done",
		"await_crew->await_crew-for", "await_crew->await_crew-message",
		"await_crew-for->work-branch-1", "await_crew-message->work-branch-1", "work-branch-1->work-join",
		"inner-join->work-join", "work-join->both",
		"review-outcome->refused-merge", "route->refused-merge", "refused-merge->refused",
	} {
		if !slices.Contains(fs, want) {
			t.Errorf("no flow %s in %v", want, fs)
		}
	}
	// note->pause: both's join is left out, as give_up closes the case.
	if ids["both-join"] != nil {
		t.Error("a join that one branch reaches is kept")
	}
	if p := doc.find("process").attrs["id"]; p != "review-process" {
		t.Errorf("process id %q, want review-process (step review takes the recipe's id)", p)
	}
	if ids["work-branch-1"].tag != "exclusiveGateway" {
		t.Errorf("work-branch-1 is a %s", ids["work-branch-1"].tag)
	}

	// Outcomes and branches to one step share a flow, named and on a
	// condition; otherwise is the decide's default.
	cond := func(id string) (name, body string) {
		f := ids[id]
		if f == nil {
			t.Fatalf("no flow %s", id)
		}
		return f.attrs["name"], strings.TrimSpace(f.find("conditionExpression").text)
	}
	if name, body := cond("flow-review-outcome-route"); name != "Accept or Accept for now" || body != `steps.review.outcome in ["yes", "maybe"]` {
		t.Errorf("outcome flow %q on %q", name, body)
	}
	if name, body := cond("flow-route-work"); name != `form.kind == "bulky" or form.kind == "large"` || body != `(form.kind == "bulky") || (form.kind == "large")` {
		t.Errorf("decide flow %q on %q", name, body)
	}
	if d := ids["route"].attrs["default"]; d != "flow-route-refused-merge" || ids[d].attrs["name"] != "otherwise" {
		t.Errorf("route's default flow is %q", d)
	}
	if n := len(ids["route"].children); n != 3 {
		t.Errorf("route has %d incoming and outgoing, want 3: a branch to where otherwise goes adds no flow", n)
	}
	// The escalation sends its email while the task stays open.
	esc := ids["review-escalate"]
	if esc.attrs["attachedToRef"] != "review" || esc.attrs["cancelActivity"] != "false" || strings.TrimSpace(esc.find("timeDuration").text) != "PT24H" {
		t.Errorf("escalation %v %q", esc.attrs, esc.find("timeDuration").text)
	}
	if !slices.Contains(fs, "review-escalate->review-escalate-email") || !slices.Contains(fs, "review-escalate-email->review-escalated") {
		t.Errorf("escalation flows: %v", fs)
	}
}

// TestCallsAndWaits: on_error is an error boundary event, undo a
// compensation boundary event associated with a handler for
// compensation, a wait for one thing one catch event with the step's id,
// and a loop back to a step meets in a merge gateway.
func TestCallsAndWaits(t *testing.T) {
	doc := parse(t, export(t, load(t, "testdata/small.yaml")))
	ids := byID(t, doc)
	fs := flows(doc)
	if e := ids["book-error"]; e.tag != "boundaryEvent" || e.attrs["attachedToRef"] != "book" || e.find("errorEventDefinition").attrs["errorRef"] != "error-refused" {
		t.Errorf("book-error: %s %v", e.tag, e.attrs)
	}
	if e := ids["book-compensate"]; e.tag != "boundaryEvent" || e.find("compensateEventDefinition") == nil {
		t.Errorf("book-compensate: %s", e.tag)
	}
	if u := ids["book-undo"]; u.tag != "serviceTask" || u.attrs["isForCompensation"] != "true" || u.attrs["name"] != "waste.cancel_booking" {
		t.Errorf("book-undo: %s %v", u.tag, u.attrs)
	}
	a := doc.find("association")
	if a.attrs["sourceRef"] != "book-compensate" || a.attrs["targetRef"] != "book-undo" {
		t.Errorf("association %v", a.attrs)
	}
	for _, want := range []string{"start-event->book-merge", "check-outcome->book-merge", "book-merge->book", "book-error->refused", "collection->collection-for", "collection-message->collected", "collection-for->missed"} {
		if !slices.Contains(fs, want) {
			t.Errorf("no flow %s in %v", want, fs)
		}
	}
	if e := ids["check-escalate"]; strings.TrimSpace(e.find("timeDuration").text) != "2 working days" || e.attrs["name"] != "After 2 working days" {
		t.Errorf("escalation after working days: %v %q", e.attrs, e.find("timeDuration").text)
	}
	if q := ids["check"].find("formalExpression"); q == nil || q.text != "waste-team" {
		t.Errorf("task check has no potential owner waste-team: %v", q)
	}
	if m := ids["message-collected"]; m == nil || m.tag != "message" || m.attrs["name"] != "collected" {
		t.Errorf("message element %v", m)
	}

	if e := ids["collection"]; e.tag != "eventBasedGateway" {
		t.Errorf("collection: %s", e.tag)
	}

	timers := byID(t, parse(t, export(t, load(t, "testdata/branches.yaml"))))
	if e := timers["pause"]; e.tag != "intermediateCatchEvent" || e.attrs["name"] != "Paused a moment" || strings.TrimSpace(e.find("timeDuration").text) != "PT1S" {
		t.Errorf("pause: %s %v", e.tag, e.attrs)
	}
	if e := timers["new_year"]; e.tag != "intermediateCatchEvent" || strings.TrimSpace(e.find("timeDate").text) != `"2030-01-01T00:00:00Z"` {
		t.Errorf("new_year: %s", e.tag)
	}
}

func TestDurations(t *testing.T) {
	for d, want := range map[time.Duration][2]string{
		168 * time.Hour:                     {"168h", "PT168H"},
		90 * time.Minute:                    {"1h30m", "PT1H30M"},
		time.Second:                         {"1s", "PT1S"},
		time.Minute + 1500*time.Millisecond: {"1m1.5s", "PT1M1.5S"},
		0:                                   {"0s", "PT0S"},
	} {
		if got := [2]string{duration(d), isoDuration(d)}; got != want {
			t.Errorf("%v: %v, want %v", d, got, want)
		}
	}
}

// TestEscapedText: conditions keep their quotes and escape what XML must.
func TestEscapedText(t *testing.T) {
	if got := escapeText("a < b && c > \"d\"\x00"); got != "a &lt; b &amp;&amp; c &gt; \"d\"\uFFFD" {
		t.Errorf("escapeText = %q", got)
	}
}
