package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTP sends through a mail relay. Sent keys are remembered in Redis so a
// retried activity does not send again.
type SMTP struct {
	// KeyPrefix starts the Redis keys that mark emails sent, so Larders
	// sharing a Redis keep their own marks; default "larder:".
	KeyPrefix string
	// PerRecipientPerHour is how many emails one address may be sent in a
	// clock hour, unless the message's recipient is fixed; 0 is
	// DefaultPerRecipientPerHour, and a negative number no limit. Over it,
	// Send fails with ErrRecipientLimit.
	PerRecipientPerHour int
	// Now is the clock the hours are counted by; default time.Now.
	Now func() time.Time

	client *gomail.Client
	from   string
	sent   redis.UniversalClient
}

// sentFor is how long a sent key is remembered; sendingFor how long an
// attempt may hold it before another may try: longer than an attempt
// lives (a case gives it twice SMTPTimeout and 5 s), short enough that
// an email whose worker died while sending goes out within a minute or
// two of another worker taking the case over, not five.
const (
	sentFor    = 30 * 24 * time.Hour
	sendingFor = time.Minute
)

// SMTPTimeout bounds each exchange with the relay: connecting, then sending.
const SMTPTimeout = 10 * time.Second

// NewSMTP reads a relay URL: smtp://user:password@host:587 (STARTTLS when
// offered) or smtps://... (TLS). It does not connect.
func NewSMTP(rawURL, from string, sent redis.UniversalClient) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("smtp.url: not a URL")
	}
	opts := []gomail.Option{gomail.WithTimeout(SMTPTimeout)}
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("smtp.url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("smtp.url: port must be a number")
		}
		opts = append(opts, gomail.WithPort(port))
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp.url: %w", err)
	}
	return &SMTP{client: c, from: from, sent: sent}, nil
}

// Send relays the message unless its key was sent before. The key is
// reserved before sending, so two overlapping attempts cannot both send; a
// reservation left by an attempt that died before the message's end went
// lapses after sendingFor, and the email is sent then. An attempt that
// lost the relay after the message's end went, and before the relay
// answered, cannot know whether it was taken: that email is not sent
// again (Send returns ErrMaybeSent, now and on every later attempt) until
// a Send with m.Resend says staff checked that it did not arrive. A
// message to an address that has had PerRecipientPerHour this hour is not
// sent: Send returns ErrRecipientLimit.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	prefix := s.KeyPrefix
	if prefix == "" {
		prefix = "larder:"
	}
	key := prefix + "email:sent:" + m.Key
	reserved, err := s.sent.SetNX(ctx, key, stateSending, sendingFor).Result()
	if err != nil {
		return fmt.Errorf("smtp: reserve: %w", err)
	}
	if !reserved {
		if send, err := s.takeOver(ctx, key, m); !send || err != nil {
			return err
		}
	}
	counted, err := s.countRecipient(ctx, prefix, m)
	if err != nil {
		_ = s.sent.Del(context.WithoutCancel(ctx), key).Err()
		return err
	}
	msg, err := compose(s.from, m, s.now())
	if err == nil {
		err = s.dialAndSend(ctx, key, msg)
	}
	if err != nil && !errors.Is(err, ErrMaybeSent) {
		_ = s.sent.Del(context.WithoutCancel(ctx), key).Err()
		if counted != "" {
			_ = s.sent.Decr(context.WithoutCancel(ctx), counted).Err()
		}
		return fmt.Errorf("smtp: send: %w", err)
	}
	var lost lostAnswer
	if errors.As(err, &lost) {
		return fmt.Errorf("smtp: %w (Message-ID <%s>): the connection was lost before the relay answered: %v", ErrMaybeSent, messageID(m.Key, s.from), lost.err)
	}
	return nil
}

// lostAnswer is a relay lost after the message's end went, before it
// answered.
type lostAnswer struct{ err error }

func (e lostAnswer) Error() string   { return "no answer after the message: " + e.err.Error() }
func (e lostAnswer) Unwrap() []error { return []error{ErrMaybeSent, e.err} }

// What a key's mark holds: stateSending while an attempt holds it before
// the message's end has gone, unsurePrefix and the time from just before
// the end went until the relay answers, and otherwise the time it was sent.
const (
	stateSending = "sending"
	unsurePrefix = "unsure "
)

// takeOver decides about a key another attempt marked: send is false and
// err nil when it was sent before; an error while another attempt may
// still be sending, or when it may have gone (ErrMaybeSent); send is true
// for a Resend of an email that may have gone, the mark now reserved.
func (s *SMTP) takeOver(ctx context.Context, key string, m Message) (send bool, _ error) {
	state, err := s.sent.Get(ctx, key).Result()
	switch {
	case err != nil || state == stateSending:
		return false, fmt.Errorf("smtp: another attempt is sending this email; will check again")
	case !strings.HasPrefix(state, unsurePrefix):
		return false, nil // sent before
	case m.Resend:
		if err := swapMark.Run(ctx, s.sent, []string{key}, state, stateSending, sendingFor.Milliseconds()).Err(); err != nil {
			return false, fmt.Errorf("smtp: another attempt is sending this email; will check again")
		}
		return true, nil
	}
	at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(state, unsurePrefix))
	if err == nil && s.now().Sub(at) < sendingFor {
		return false, fmt.Errorf("smtp: another attempt is waiting for the relay to answer this email; will check again")
	}
	return false, fmt.Errorf("smtp: %w (Message-ID <%s>): the attempt sending it stopped before the relay answered", ErrMaybeSent, messageID(m.Key, s.from))
}

// swapMark sets a key to ARGV[2] for ARGV[3] ms if it still holds ARGV[1].
var swapMark = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) end return false`)

func (s *SMTP) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// dialAndSend sends msg over a connection of its own. Just before the
// message's end (the line holding a dot) goes, key is marked unsure; as
// soon as the relay answers 250 it is marked sent, before QUIT. A relay
// that answers anything else did not take it. One that is lost in between
// may have: the mark stays unsure, and the error wraps ErrMaybeSent.
func (s *SMTP) dialAndSend(ctx context.Context, key string, msg *gomail.Msg) error {
	client, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("dial failed: %w", err)
	}
	err = s.transact(ctx, client, key, msg)
	if client.HasConnection() {
		if quitErr := s.client.CloseWithSMTPClient(client); quitErr != nil {
			_ = client.Close()
			if err == nil {
				// The relay took the message; what failed came after.
				slog.WarnContext(ctx, "email accepted by the relay, then the connection failed", "key", key, "err", quitErr)
			}
		}
	}
	return err
}

// transact is one SMTP mail transaction: MAIL, RCPT, DATA and the message.
func (s *SMTP) transact(ctx context.Context, client *smtp.Client, key string, msg *gomail.Msg) error {
	from, err := msg.GetSender(false)
	if err != nil {
		return err
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return err
	}
	if err := client.UpdateDeadline(SMTPTimeout); err != nil {
		return err
	}
	if err := client.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, rcpt := range rcpts {
		if err := client.Rcpt(rcpt); err != nil {
			return fmt.Errorf("RCPT TO: %w", err)
		}
	}
	w, err := client.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("writing the message: %w", err)
	}
	unsure := unsurePrefix + s.now().UTC().Format(time.RFC3339Nano)
	if err := s.sent.Set(ctx, key, unsure, sentFor).Err(); err != nil {
		// The end has not gone: closing the connection without it
		// abandons the message.
		_ = client.Close()
		return fmt.Errorf("marking it unsure: %w", err)
	}
	if err := w.Close(); err != nil {
		var reply *textproto.Error
		if errors.As(err, &reply) {
			return fmt.Errorf("the relay refused the message: %w", err)
		}
		return lostAnswer{err}
	}
	if err := s.sent.Set(context.WithoutCancel(ctx), key, s.now().UTC().Format(time.RFC3339), sentFor).Err(); err != nil {
		// The email went; the unsure mark keeps it from going again.
		slog.WarnContext(ctx, "email sent but not recorded as sent", "key", key, "err", err)
	}
	return nil
}
