package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
)

// escapingService is the recipe TestAnswersAreEscapedEverywhere submits
// to: one question of each text-like answer type, an email quoting the
// answers in its subject, text and html, and a task quoting them.
const escapingService = "escaping"

const escapingRecipe = `id: ` + escapingService + `
version: "1"
title: Check answers are escaped
reference_prefix: ES
form:
  pages:
    - id: details
      title: Your details
      fields:
        - { id: name, type: text, label: Full name, validate: "required,max=200" }
        - { id: notes, type: textarea, label: Notes, validate: "required,max=2000" }
        - { id: email, type: email, label: Email address, validate: "required,email,max=254" }
        - { id: phone, type: phone, label: Phone number }
        - { id: postcode, type: postcode, label: Postcode, validate: postcode }
steps:
  - id: tell
    title: Answers emailed
    email:
      to: "{{ form.email }}"
      subject: "About {{ form.name }}"
      text: |
        Name: {{ form.name }}
        Notes: {{ form.notes }}
      html: |
        <p>Name: {{ form.name }}</p>
        <p>Notes: {{ form.notes }}</p>
    next: check
  - id: check
    title: Checked by staff
    task:
      queue: ` + benchQueue + `
      title: "Check {{ form.name }}"
      instructions: "Notes: {{ form.notes }}"
      outcomes:
        - { id: done, label: Done, next: done }
      due: 72h
  - id: done
    end:
      outcome: Checked
`

// escapingPayloads are answers that would run, or be evaluated, if any
// surface wrote them unescaped or rendered them as a template.
var escapingPayloads = []struct{ name, value string }{
	{"script", `<script>alert(1)</script>`},
	{"attribute", `"><img src=x onerror=alert(1)>`},
	{"template field", `{{ form.secret }}`},
	{"template arithmetic", `{{ 7*7 }}`},
}

// safeAnswers are valid answers to every question.
func safeAnswers() map[string]any {
	return map[string]any{"name": "Sam Resident", "notes": "Nothing", "email": "sam@example.com", "phone": "01632 960001", "postcode": "LR1 1AA"}
}

// TestAnswersAreEscapedEverywhere puts markup and template syntax into
// every text-like answer type and checks each surface a person reads:
// the resident's pages, the staff task and case pages, the staff JSON, and
// both parts of the email. Types that refuse such answers (email, phone,
// postcode) must refuse them with 422; the free-text types (text,
// textarea) must carry them verbatim, escaped where read as HTML, and
// never evaluated as a template.
func TestAnswersAreEscapedEverywhere(t *testing.T) {
	dir := t.TempDir()
	recipes := filepath.Join(dir, "recipes")
	if err := os.MkdirAll(recipes, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(recipes, escapingService+".yaml"), []byte(escapingRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	staffFile := filepath.Join(dir, "staff.yaml")
	password, err := writeBenchStaff(staffFile)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	base, _ := startLarderWith(t, larderOptions{recipesDir: recipes, dataDir: dataDir, staffFile: staffFile})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	staff, err := signInToStaff(ctx, base, password)
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range escapingPayloads {
		t.Run(p.name, func(t *testing.T) {
			for _, field := range []string{"email", "phone", "postcode"} {
				answers := safeAnswers()
				answers[field] = p.value
				if code, reply := submitTo(t, base, escapingService, answers); code != http.StatusUnprocessableEntity {
					t.Errorf("%s answer %q: status %d %v, want 422", field, p.value, code, reply)
				}
			}

			answers := safeAnswers()
			answers["name"], answers["notes"] = p.value, p.value
			code, reply := submitTo(t, base, escapingService, answers)
			ref, _ := reply["reference"].(string)
			if code != http.StatusCreated || ref == "" {
				t.Fatalf("submit: %d %v", code, reply)
			}

			// The staff JSON decodes to exactly the answer: nothing was
			// evaluated on the way in or in the task.
			d := waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return openTask(d) != nil })
			for _, f := range []string{"name", "notes"} {
				if got := d.Form[f]; got != p.value {
					t.Errorf("staff JSON form.%s = %q, want %q", f, got, p.value)
				}
			}
			task := openTask(d)
			if task.Title != "Check "+p.value || task.Instructions != "Notes: "+p.value {
				t.Errorf("staff JSON task: title %q, instructions %q; want the answer verbatim", task.Title, task.Instructions)
			}

			// Staff pages.
			checkHTML(t, "staff task page", getPage(t, staff, base+"/staff/tasks/"+ref+"/"+strings.TrimPrefix(task.ID, ref+"/")), p.value)
			checkHTML(t, "staff case page", getPage(t, staff, base+"/staff/cases/"+ref), p.value)

			// Resident track page: whatever it shows, nothing raw.
			checkHTML(t, "resident track page", getPage(t, http.DefaultClient, base+"/track/"+ref), "")

			// Both parts of the email.
			checkEmail(t, dataDir, ref, p.value)

			// The resident's own journey: the question page shown again,
			// check answers, and the confirmation page.
			residentJourney(t, base, p.value)
		})
	}
}

// submitTo posts answers to a service's submissions and returns the status
// and decoded reply.
func submitTo(t *testing.T, base, service string, answers map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(answers)
	resp, err := http.Post(base+"/api/v1/services/"+service+"/submissions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// getPage fetches a page and returns its body, failing unless it is 200.
func getPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

// checkHTML says whether an HTML page carries payload safely: no markup
// from any payload appears raw, and the page, read as text, shows payload
// verbatim (when payload is not empty) and not evaluated.
func checkHTML(t *testing.T, what, page, payload string) {
	t.Helper()
	for _, p := range escapingPayloads {
		if strings.ContainsAny(p.value, "<>\"") && strings.Contains(page, p.value) {
			t.Errorf("%s has %q unescaped", what, p.value)
		}
	}
	for _, raw := range []string{"<script>alert", "<img src=x", "onerror=alert(1)>"} {
		if strings.Contains(page, raw) {
			t.Errorf("%s has raw markup %q", what, raw)
		}
	}
	if payload != "" && !strings.Contains(html.UnescapeString(page), payload) {
		t.Errorf("%s does not show the answer %q", what, payload)
	}
}

// checkEmail finds the case's one email and checks its subject and text
// part carry payload verbatim and its html part carries it escaped.
func checkEmail(t *testing.T, dataDir, ref, payload string) {
	t.Helper()
	var emails []string
	deadline := time.Now().Add(30 * time.Second)
	for len(emails) == 0 && time.Now().Before(deadline) {
		emails = emailsFor(outbox(t, dataDir), ref)
		if len(emails) == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(emails) != 1 {
		t.Fatalf("case %s sent %d emails, want 1", ref, len(emails))
	}
	subject, text, htmlPart := emailParts(t, emails[0])
	if subject != "About "+payload {
		t.Errorf("email subject %q, want %q", subject, "About "+payload)
	}
	for _, line := range []string{"Name: " + payload, "Notes: " + payload} {
		if !strings.Contains(text, line) {
			t.Errorf("email text part lacks %q:\n%s", line, text)
		}
	}
	if strings.Contains(text, "Name: 49") || strings.Contains(htmlPart, "Name: 49") || strings.Contains(subject, "49") {
		t.Errorf("the email evaluated an answer as a template:\n%s\n%s", text, htmlPart)
	}
	if htmlPart == "" {
		t.Fatalf("email has no html part:\n%s", emails[0])
	}
	if strings.Contains(htmlPart, "<script") || strings.Contains(htmlPart, "<img") {
		t.Errorf("email html part has raw markup from an answer:\n%s", htmlPart)
	}
	if strings.Contains(payload, "<script>") && !strings.Contains(htmlPart, "&lt;script&gt;") {
		t.Errorf("email html part should have &lt;script&gt;:\n%s", htmlPart)
	}
	if !strings.Contains(html.UnescapeString(htmlPart), "<p>Name: "+payload+"</p>") {
		t.Errorf("email html part, unescaped, lacks the answer %q:\n%s", payload, htmlPart)
	}
}

// emailParts returns an email's decoded subject, text part and html part.
func emailParts(t *testing.T, raw string) (subject, text, htmlPart string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		header := mail.Header(h)
		mt, params, err := mime.ParseMediaType(header.Get("Content-Type"))
		if err != nil {
			mt = "text/plain"
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				part, err := mr.NextRawPart()
				if err != nil {
					return
				}
				walk(part.Header, part)
			}
		}
		switch strings.ToLower(header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		case "base64":
			b, _ := io.ReadAll(body)
			dec, err := decodeBase64Lines(b)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(dec)
		}
		b, _ := io.ReadAll(body)
		switch mt {
		case "text/plain":
			text = strings.ReplaceAll(string(b), "\r\n", "\n")
		case "text/html":
			htmlPart = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	walk(msg.Header, msg.Body)
	return subject, text, htmlPart
}

// residentJourney answers the form in a browser's way with payload as the
// free-text answers and checks the question page shown again, the check
// answers page and the confirmation page.
func residentJourney(t *testing.T, base, payload string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	question := base + "/services/" + escapingService + "/pages/details"
	getPage(t, c, base+"/services/"+escapingService)
	page := getPage(t, c, question)
	form := url.Values{"csrf_token": {csrfOf(t, page)}}
	for k, v := range safeAnswers() {
		form.Set(k, fmt.Sprint(v))
	}
	form.Set("name", payload)
	form.Set("notes", payload)
	check := postPage(t, c, question, form)
	checkHTML(t, "check answers page", check, payload)
	checkHTML(t, "question page shown again", getPage(t, c, question), payload)
	done := postPage(t, c, base+"/services/"+escapingService+"/check", url.Values{"csrf_token": {csrfOf(t, check)}})
	checkHTML(t, "confirmation page", done, "")
}

// residentCSRF finds the token in a resident form.
var residentCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrfOf returns the resident form token in page.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := residentCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token in the page:\n%s", page)
	}
	return m[1]
}

// postPage posts a form, follows redirects, and returns the final page.
func postPage(t *testing.T, c *http.Client, u string, form url.Values) string {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}

// decodeBase64Lines decodes a base64 body broken into lines.
func decodeBase64Lines(b []byte) ([]byte, error) {
	s := strings.Join(strings.Fields(string(b)), "")
	return base64.StdEncoding.DecodeString(s)
}
