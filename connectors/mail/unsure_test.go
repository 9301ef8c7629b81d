package mail_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/mail"
)

// clock is a settable time for SMTP.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestEmailTheRelayMayHaveTakenIsNeverSentTwice: the relay is lost after
// the message's end went and before it answered, so nobody knows whether
// it was taken. The email is not sent again: not by the activity's next
// attempt, nor by another worker's later (a worker that died at that
// moment leaves the same mark); each says it may have gone, naming its
// Message-ID for staff to look up. Before, the attempt took the lost
// answer for a failure, and its retry sent the email a second time.
func TestEmailTheRelayMayHaveTakenIsNeverSentTwice(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	r.HangUpBeforeAnswering(true)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	c := &clock{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	s.Now = c.now
	ctx := context.Background()

	err := s.Send(ctx, confirm)
	if !errors.Is(err, mail.ErrMaybeSent) {
		t.Fatalf("Send when the relay hung up before answering: %v, want ErrMaybeSent", err)
	}
	if !regexp.MustCompile(`Message-ID <[0-9a-f]{32}@larchester\.example>`).MatchString(err.Error()) {
		t.Errorf("the error does not name the Message-ID staff look for: %v", err)
	}

	// Soon after, as the activity's next attempt or another worker would.
	c.t = c.t.Add(10 * time.Second)
	if err := s.Send(ctx, confirm); err == nil || errors.Is(err, mail.ErrMaybeSent) {
		t.Errorf("Send within a minute of the lost answer: %v, want an error to check again later", err)
	}
	// Once no attempt can still be waiting for the relay.
	c.t = c.t.Add(2 * time.Minute)
	for range 3 {
		if err := s.Send(ctx, confirm); !errors.Is(err, mail.ErrMaybeSent) {
			t.Errorf("Send after the attempt must have ended: %v, want ErrMaybeSent", err)
		}
	}
	if n := len(r.Received()); n != 1 {
		t.Errorf("relay received %d copies, want the 1 it may have taken", n)
	}
}

// TestEmailThatMayHaveGoneIsSentAgainWhenStaffSaySo: staff looked for the
// Message-ID, found the email had not arrived, and chose to send it again
// (Resend). It goes once more and is then recorded as sent, so another
// resend sends nothing.
func TestEmailThatMayHaveGoneIsSentAgainWhenStaffSaySo(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	r.HangUpBeforeAnswering(true)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	ctx := context.Background()
	if err := s.Send(ctx, confirm); !errors.Is(err, mail.ErrMaybeSent) {
		t.Fatalf("Send: %v, want ErrMaybeSent", err)
	}

	again := confirm
	again.Resend = true
	for i := range 2 {
		if err := s.Send(ctx, again); err != nil {
			t.Fatalf("resend %d: %v", i+1, err)
		}
	}
	if n := len(r.Received()); n != 2 {
		t.Errorf("relay received %d messages, want the first and one resend", n)
	}
	if err := s.Send(ctx, confirm); err != nil {
		t.Errorf("Send after the resend: %v, want nothing to do", err)
	}
	if n := len(r.Received()); n != 2 {
		t.Errorf("relay received %d messages after another Send, want 2", n)
	}
}

// TestResendOfAnEmailThatWentDoesNothing: a resend of an email recorded
// as sent, say from a second click, does not send it again.
func TestResendOfAnEmailThatWentDoesNothing(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	ctx := context.Background()
	if err := s.Send(ctx, confirm); err != nil {
		t.Fatal(err)
	}
	again := confirm
	again.Resend = true
	if err := s.Send(ctx, again); err != nil {
		t.Fatal(err)
	}
	if n := len(r.Received()); n != 1 {
		t.Errorf("relay received %d messages, want 1", n)
	}
}

// TestEmailWhoseWorkerDiedBeforeTheEndWentIsSent: a worker that died while
// its attempt held the email, before the message's end went, leaves a
// reservation; the relay dropped the unfinished message, so once the
// reservation lapses the email is sent.
func TestEmailWhoseWorkerDiedBeforeTheEndWentIsSent(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	key := "larder:email:sent:" + confirm.Key
	if err := mr.Set(key, "sending"); err != nil {
		t.Fatal(err)
	}
	mr.SetTTL(key, time.Minute)
	ctx := context.Background()
	if err := s.Send(ctx, confirm); err == nil || errors.Is(err, mail.ErrMaybeSent) {
		t.Errorf("Send while the reservation holds: %v, want an error to check again later", err)
	}
	mr.FastForward(time.Minute + time.Second)
	if err := s.Send(ctx, confirm); err != nil {
		t.Fatalf("Send once the reservation lapsed: %v", err)
	}
	if n := len(r.Received()); n != 1 {
		t.Errorf("relay received %d messages, want 1", n)
	}
}
