// Package mail delivers Larder's email, for both the email step's activity
// and the resident pages' "come back later" links: to an outbox folder of
// .eml files by default, or through an SMTP relay. Each message carries a key that
// is the same on every attempt, so a retried activity does not send twice.
package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email.
type Message struct {
	// Key identifies the message across retries, e.g. "MB-7K4Q-2PXD/confirm".
	Key     string `json:"key"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// FixedRecipient is true when To was written into the recipe by the
	// council, not drawn from answers; such email is not counted against
	// the limit per recipient (see SMTP.PerRecipientPerHour).
	FixedRecipient bool `json:"fixed_recipient,omitempty"`
	// Resend sends again a message that may have gone before
	// (ErrMaybeSent): staff checked that it did not arrive. A message
	// known to have been sent is still not sent twice.
	Resend bool `json:"resend,omitempty"`
}

// ErrMaybeSent is the error of an email the relay may have taken: the
// connection was lost after the message's end went and before the relay
// answered, in this attempt or in one whose worker died then. SMTP cannot
// ask a relay what it took, so the email is not sent again unless a
// Message with Resend asks for it.
var ErrMaybeSent = errors.New("the relay may have taken this email")

// Sender delivers messages.
type Sender interface {
	// Send delivers m once; a second Send with the same key does nothing.
	Send(ctx context.Context, m Message) error
}

// compose builds the MIME message: Date, From, To, Subject, a Message-ID
// and MIME-Version, then the text alone or, with html, a
// multipart/alternative of the text first and the html after it (a reader
// shows the last part it can).
func compose(from string, m Message, now time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("email from %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("email to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(messageID(m.Key, from))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageID is the Message-ID of the message with the key, without its
// angle brackets: a hash of the key (the same on every attempt, another
// for another step) at the sending domain, the domain of from, or
// "larder" when from has none fit for a Message-ID.
func messageID(key, from string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + "@" + idDomain(from)
}

// dotAtom is RFC 5322's dot-atom-text, what the right of a Message-ID's @ may be.
var dotAtom = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")

func idDomain(from string) string {
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return "larder"
	}
	domain := strings.ToLower(a.Address[strings.LastIndex(a.Address, "@")+1:])
	if !dotAtom.MatchString(domain) {
		return "larder"
	}
	return domain
}
