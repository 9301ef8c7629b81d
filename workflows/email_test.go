package workflows_test

import (
	"strings"
	"testing"
)

// Security finding 11: values in an email step's html were written
// unescaped, so a resident's name could add markup, such as an image or a
// link, to the council's email. Values in the HTML part are escaped; the
// text part and the subject keep the answer as written.
func TestFinding11AnswersInAnEmailsHTMLAreEscaped(t *testing.T) {
	const name = `Sam <img src=x onerror=alert(1)> "Resident" & <a href="https://evil.example">Co</a>`
	sc := newStepCase(t)

	sc.run(t, "step-email", map[string]any{"name": name})

	sc.completed(t, "Request received")
	if len(sc.emails) != 1 {
		t.Fatalf("sent %d emails, want 1", len(sc.emails))
	}
	m := sc.emails[0]
	const escaped = `Sam &lt;img src=x onerror=alert(1)&gt; &#34;Resident&#34; &amp; &lt;a href=&#34;https://evil.example&#34;&gt;Co&lt;/a&gt;`
	if want := "<p>Dear " + escaped + ",</p>"; !strings.Contains(m.HTML, want) {
		t.Errorf("html part does not carry the name escaped:\n got %s\nwant it to contain %s", m.HTML, want)
	}
	for _, markup := range []string{"<img", "<a ", "</a>"} {
		if strings.Contains(m.HTML, markup) {
			t.Errorf("the resident's name added %q to the html part: %s", markup, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, "<strong>"+stepRef+"</strong>") {
		t.Errorf("the template's own markup was escaped too: %s", m.HTML)
	}
	if !strings.HasPrefix(m.Text, "Dear "+name+",\n") {
		t.Errorf("the text part should carry the name as written:\n%s", m.Text)
	}
}
