// Package mail delivers Larder's email, for both the email step's activity
// and the resident pages' "come back later" links: to an outbox folder of
// .eml files by default, or through an SMTP relay. Each message carries a key that
// is the same on every attempt, so a retried activity does not send twice.
package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
}

// Sender delivers messages.
type Sender interface {
	// Send delivers m once; a second Send with the same key does nothing.
	Send(ctx context.Context, m Message) error
}

// compose builds the MIME message. The Message-ID derives from the key, so
// a relay or mailbox that sees the same message twice can tell.
func compose(from string, m Message, now time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("email from %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("email to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(messageID(m.Key))
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

func messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16]) + "@larder"
}
