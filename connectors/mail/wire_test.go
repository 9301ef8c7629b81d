package mail_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows/recipe"
)

const councilFrom = "Larchester Council <noreply@larchester.example>"

// rfc5322ID is a msg-id: "<" id-left "@" id-right ">", here a hash at the
// sending domain.
var rfc5322ID = regexp.MustCompile(`^<[0-9a-f]{32}@larchester\.example>$`)

// relaySender is an SMTP sender with a Redis of its own, as a Larder is.
func relaySender(t *testing.T, r *connectortest.SMTPRelay) *mail.SMTP {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := mail.NewSMTP("smtp://"+r.Addr, councilFrom, rdb)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// refusalEmail renders the shipped refusal template in the shipped layout,
// as the email step does, for a resident whose name carries markup.
func refusalEmail(t *testing.T, key string) mail.Message {
	t.Helper()
	emails, err := recipe.LoadEmails("../../recipes/" + recipe.EmailsFile)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := emails.Templates["refusal"]
	env := recipe.Env{
		"form": map[string]any{"name": "<b>Sam</b> Résident"},
		"vars": map[string]any{"reason": "the bin was not due on the last collection day"},
		"case": map[string]any{"reference": "MB-7K4Q-2PXD", "title": "Report a missed bin"},
	}
	m := mail.Message{Key: key, To: "sam@example.com"}
	for _, part := range []struct {
		dst  *string
		tmpl string
		html bool
	}{{&m.Subject, tmpl.Subject, false}, {&m.Text, tmpl.Text, false}, {&m.HTML, recipe.WrapInLayout(tmpl.HTML, emails.Layout), true}} {
		render := recipe.Render
		if part.html {
			render = recipe.RenderHTML
		}
		if *part.dst, err = render(part.tmpl, env); err != nil {
			t.Fatal(err)
		}
	}
	m.Subject += " – sorry" // a subject beyond ASCII travels as an encoded word
	return m
}

// received parses the only message the relay has for sam@example.com.
func received(t *testing.T, r *connectortest.SMTPRelay, n int) *netmail.Message {
	t.Helper()
	got := r.To("sam@example.com")
	if len(got) != n {
		t.Fatalf("relay holds %d messages for sam@example.com, want %d", len(got), n)
	}
	msg, err := netmail.ReadMessage(strings.NewReader(got[n-1].Data))
	if err != nil {
		t.Fatalf("the message on the wire does not parse: %v\n%s", err, got[n-1].Data)
	}
	return msg
}

// TestEmailOnTheWire sends one message with both parts through an SMTP
// relay and reads it as a mail client would.
func TestEmailOnTheWire(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	m := refusalEmail(t, "MB-7K4Q-2PXD/tell_refused")
	if err := relaySender(t, r).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	envelope := r.Received()[0]
	if envelope.From != "noreply@larchester.example" || len(envelope.To) != 1 || envelope.To[0] != "sam@example.com" {
		t.Errorf("envelope from %q to %v", envelope.From, envelope.To)
	}
	msg := received(t, r, 1)
	h := msg.Header

	if date, err := h.Date(); err != nil || time.Since(date).Abs() > time.Hour {
		t.Errorf("Date %q: %v, want the time it was sent", h.Get("Date"), err)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Larchester Council" || from[0].Address != "noreply@larchester.example" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "sam@example.com" {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || subject != "We could not accept your request: MB-7K4Q-2PXD – sorry" {
		t.Errorf("Subject %q decodes to %q: %v", h.Get("Subject"), subject, err)
	}
	if v := h.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version %q, want 1.0", v)
	}
	if id := h.Get("Message-ID"); !rfc5322ID.MatchString(id) {
		t.Errorf("Message-ID %q, want <hash@larchester.example>", id)
	}
	for _, name := range []string{"User-Agent", "X-Mailer"} {
		if v := h.Get(name); v != "" {
			t.Errorf("%s %q: the council's email need not name the library that wrote it", name, v)
		}
	}

	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type %q: %v, want multipart/alternative with a boundary", h.Get("Content-Type"), err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	var types, bodies []string
	for {
		p, err := parts.NextPart() // undoes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, p.Header.Get("Content-Type"))
		bodies = append(bodies, strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	if len(types) != 2 || types[0] != "text/plain; charset=UTF-8" || types[1] != "text/html; charset=UTF-8" {
		t.Fatalf("parts %q, want text/plain first, then text/html, both UTF-8", types)
	}
	text, html := bodies[0], bodies[1]
	if text != m.Text || !strings.Contains(text, "Dear <b>Sam</b> Résident,") || strings.Contains(text, "<p") {
		t.Errorf("text part is not the plain text with the answer verbatim:\n%s", text)
	}
	for _, want := range []string{
		"<!DOCTYPE html>",
		">Larchester Council</span>",
		"Dear &lt;b&gt;Sam&lt;/b&gt; Résident,",
		"<strong>MB-7K4Q-2PXD</strong>",
		"Reference: MB-7K4Q-2PXD (Report a missed bin)",
		"</html>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html part lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(html, "<b>Sam") {
		t.Errorf("an answer reached the html part as markup:\n%s", html)
	}
}

// TestMessageIDFollowsTheCaseAndStep: the same case and step give the same
// Message-ID on every attempt, from any Larder; another step another.
func TestMessageIDFollowsTheCaseAndStep(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	ctx := context.Background()
	first, again := relaySender(t, r), relaySender(t, r) // each with its own record of what it sent
	for _, send := range []struct {
		s   *mail.SMTP
		key string
	}{{first, "MB-7K4Q-2PXD/confirm"}, {again, "MB-7K4Q-2PXD/confirm"}, {first, "MB-7K4Q-2PXD/tell_refused"}, {first, "MB-9ZZZ-2PXD/confirm"}} {
		if err := send.s.Send(ctx, refusalEmail(t, send.key)); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, d := range r.To("sam@example.com") {
		msg, err := netmail.ReadMessage(strings.NewReader(d.Data))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-ID"))
	}
	if len(ids) != 4 {
		t.Fatalf("relay got %d messages, want 4", len(ids))
	}
	for _, id := range ids {
		if !rfc5322ID.MatchString(id) {
			t.Errorf("Message-ID %q is not <hash@larchester.example>", id)
		}
	}
	if ids[0] != ids[1] {
		t.Errorf("the same case and step got Message-IDs %s and %s", ids[0], ids[1])
	}
	if ids[0] == ids[2] || ids[0] == ids[3] || ids[2] == ids[3] {
		t.Errorf("another step or case should get another Message-ID: %q", ids)
	}
}

// TestTextOnlyEmailOnTheWire: an email without html is one text/plain part.
func TestTextOnlyEmailOnTheWire(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	if err := relaySender(t, r).Send(context.Background(), confirm); err != nil {
		t.Fatal(err)
	}
	msg := received(t, r, 1)
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("Content-Type %q, want text/plain alone", ct)
	}
	if !rfc5322ID.MatchString(msg.Header.Get("Message-ID")) {
		t.Errorf("Message-ID %q", msg.Header.Get("Message-ID"))
	}
}

// TestMessageIDWithoutASendingDomain: a sender address with no domain fit
// for a Message-ID still gets a valid one.
func TestMessageIDWithoutASendingDomain(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := mail.NewSMTP("smtp://"+r.Addr, "noreply@[192.0.2.1]", rdb)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), confirm); err != nil {
		t.Fatal(err)
	}
	if id := received(t, r, 1).Header.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@larder>$`).MatchString(id) {
		t.Errorf("Message-ID %q, want <hash@larder>", id)
	}
}
