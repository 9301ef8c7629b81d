package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/larder-council/larder/internal/wastesim"
)

// mailRelay is an in-process SMTP relay that keeps what it is given.
type mailRelay struct {
	addr string
	mu   sync.Mutex
	got  []relayed
}

// relayed is one message as the relay received it.
type relayed struct {
	from string
	to   []string
	data string
}

func newMailRelay(t *testing.T) *mailRelay {
	t.Helper()
	r := &mailRelay{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{relay: r}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return r
}

// to returns the messages relayed to the address.
func (r *mailRelay) to(addr string) []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []relayed
	for _, m := range r.got {
		for _, to := range m.to {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

type relaySession struct {
	relay *mailRelay
	cur   relayed
}

func (s *relaySession) Reset()        { s.cur = relayed{} }
func (s *relaySession) Logout() error { return nil }
func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.relay.mu.Lock()
	defer s.relay.mu.Unlock()
	s.relay.got = append(s.relay.got, s.cur)
	return nil
}

// TestServeSendsEmailThroughTheSMTPRelay runs `larder serve` as a small
// council would on one machine — embedded Temporal and Redis — with
// smtp.url set: the resident's confirmation goes to the relay, from the
// configured sender, and nothing is left in the outbox folder.
func TestServeSendsEmailThroughTheSMTPRelay(t *testing.T) {
	clearEnv(t)
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	relay := newMailRelay(t)
	dataDir := t.TempDir()
	addr, log := startCommand(t, "serve", "--data-dir", dataDir, "--recipes-dir", recipesDir,
		"--http-address", "127.0.0.1:0", "--smtp-url", "smtp://"+relay.addr,
		"--smtp-from", "Larchester Council <bins@larchester.example>")
	base := "http://" + addr
	if !strings.Contains(log.String(), "embedded redis started") {
		t.Errorf("larder serve without redis.url did not start its own Redis:\n%s", log)
	}

	answers := exampleAnswers(t)
	answers["uprn"] = "100001000001"
	status, reply := submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submit: %d %v", status, reply)
	}
	ref := reply["reference"].(string)
	if view := waitForCase(t, base, ref, 60*time.Second); view.Outcome != "Missed collection reported" {
		t.Fatalf("case ended %q %q", view.Status, view.Outcome)
	}
	// The email activity may finish just after the case reports done.
	deadline := time.Now().Add(10 * time.Second)
	for len(relay.to("sam@example.com")) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	mails := relay.to("sam@example.com")
	if len(mails) != 1 {
		t.Fatalf("the relay received %d emails for the resident, want 1", len(mails))
	}
	if mails[0].from != "bins@larchester.example" || !strings.Contains(mails[0].data, ref) {
		t.Errorf("email from %q, want bins@larchester.example, naming %s:\n%s", mails[0].from, ref, mails[0].data)
	}
	if box := outbox(t, dataDir); len(box) != 0 {
		t.Errorf("with smtp.url set, %d emails were written to the outbox folder too", len(box))
	}
}
