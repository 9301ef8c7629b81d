package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	gomail "github.com/wneessen/go-mail"
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
// reservation left by a crashed attempt lapses after sendingFor. A message
// the relay accepted (250 after DATA) is sent, even if the connection
// fails before QUIT. A message to an address that has had
// PerRecipientPerHour this hour is not sent: Send returns ErrRecipientLimit.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	prefix := s.KeyPrefix
	if prefix == "" {
		prefix = "larder:"
	}
	key := prefix + "email:sent:" + m.Key
	reserved, err := s.sent.SetNX(ctx, key, "sending", sendingFor).Result()
	if err != nil {
		return fmt.Errorf("smtp: reserve: %w", err)
	}
	if !reserved {
		state, err := s.sent.Get(ctx, key).Result()
		if err == nil && state != "sending" {
			return nil // sent before
		}
		return fmt.Errorf("smtp: another attempt is sending this email; will check again")
	}
	counted, err := s.countRecipient(ctx, prefix, m)
	if err != nil {
		_ = s.sent.Del(context.WithoutCancel(ctx), key).Err()
		return err
	}
	msg, err := compose(s.from, m, time.Now())
	if err == nil {
		err = s.dialAndSend(ctx, key, msg)
	}
	switch {
	case err != nil && (msg == nil || !msg.IsDelivered()):
		_ = s.sent.Del(context.WithoutCancel(ctx), key).Err()
		if counted != "" {
			_ = s.sent.Decr(context.WithoutCancel(ctx), counted).Err()
		}
		return fmt.Errorf("smtp: send: %w", err)
	case err != nil:
		// The relay answered 250 to DATA and took the message; what failed
		// came after (RSET or QUIT). Sending again would deliver it twice.
		slog.WarnContext(ctx, "email accepted by the relay, then the connection failed", "key", m.Key, "err", err)
	}
	return nil
}

// dialAndSend sends msg over a connection of its own and records key as
// sent as soon as the relay has taken the message, before saying goodbye
// (QUIT): a worker that dies after the relay took an email and before it
// was recorded leaves a reservation, and the email is sent again when the
// reservation lapses, so the gap is kept as short as the protocol allows.
func (s *SMTP) dialAndSend(ctx context.Context, key string, msg *gomail.Msg) error {
	client, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("dial failed: %w", err)
	}
	err = s.client.SendWithSMTPClient(client, msg)
	if msg.IsDelivered() {
		if err := s.sent.Set(context.WithoutCancel(ctx), key, time.Now().UTC().Format(time.RFC3339), sentFor).Err(); err != nil {
			// The email went; failing now would send it again on retry.
			slog.WarnContext(ctx, "email sent but not recorded as sent", "key", key, "err", err)
		}
	}
	if err != nil {
		err = fmt.Errorf("send failed: %w", err)
	}
	if closeErr := s.client.CloseWithSMTPClient(client); closeErr != nil {
		err = errors.Join(err, fmt.Errorf("failed to close connection: %w", closeErr))
	}
	return err
}
