package connectortest

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPRelay is an in-process SMTP server that keeps what it receives,
// stopped when the test ends.
type SMTPRelay struct {
	// Addr is where it listens, host:port.
	Addr string
	mu   sync.Mutex
	got  []Mail
	drop bool
	// lose holds, for each of the next messages, whether the relay keeps
	// it before hanging up instead of answering its DATA.
	lose []bool
}

// Mail is one message as the relay received it.
type Mail struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To is the envelope recipients (RCPT TO), in order.
	To []string
	// Data is the message as it came after DATA, headers and body, with
	// its CRLF line ends: what net/mail.ReadMessage reads.
	Data string
}

// NewSMTPRelay starts a relay on a free loopback port.
func NewSMTPRelay(t testing.TB) *SMTPRelay {
	t.Helper()
	r := &SMTPRelay{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{relay: r, conn: c}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return r
}

// Received is every message so far, oldest first.
func (r *SMTPRelay) Received() []Mail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Mail(nil), r.got...)
}

// DropAfterData makes the relay, from now on, accept each message's DATA
// with 250 and then close the connection without answering anything
// more, as a relay that fails between taking a message and QUIT does.
func (r *SMTPRelay) DropAfterData() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop = true
}

// HangUpBeforeAnswering makes the relay close the connection instead of
// answering the DATA of the next messages, one for each of keep, as a
// relay or network lost at that moment does: the sender cannot tell
// whether it was taken. A message whose keep is true was taken (it is
// among Received); one whose keep is false was not.
func (r *SMTPRelay) HangUpBeforeAnswering(keep ...bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lose = append(r.lose, keep...)
}

// To is the messages received for the address.
func (r *SMTPRelay) To(addr string) []Mail {
	var out []Mail
	for _, m := range r.Received() {
		for _, to := range m.To {
			if to == addr {
				out = append(out, m)
			}
		}
	}
	return out
}

type smtpSession struct {
	relay *SMTPRelay
	conn  *smtp.Conn
	cur   Mail
	// hangUp is set when a message was accepted on a relay that drops
	// connections after DATA.
	hangUp bool
}

// Reset runs after the server has answered DATA (and on RSET); a relay
// that drops connections after DATA closes the connection here, once its
// 250 has gone.
func (s *smtpSession) Reset() {
	s.cur = Mail{}
	if s.hangUp {
		_ = s.conn.Conn().Close()
	}
}
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.From = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(b)
	s.relay.mu.Lock()
	defer s.relay.mu.Unlock()
	if len(s.relay.lose) > 0 {
		keep := s.relay.lose[0]
		s.relay.lose = s.relay.lose[1:]
		if keep {
			s.relay.got = append(s.relay.got, s.cur)
		}
		_ = s.conn.Conn().Close()
		return nil
	}
	s.relay.got = append(s.relay.got, s.cur)
	s.hangUp = s.relay.drop
	return nil
}
