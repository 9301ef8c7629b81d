package mail_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/internal/redistest"
)

// limitedSMTP is an SMTP sender on the test's own Redis keys, with a clock
// the test moves.
func limitedSMTP(t *testing.T, db *redistest.DB, relayAddr string, now *time.Time) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP("smtp://"+relayAddr, "noreply@larchester.example", db.Client)
	if err != nil {
		t.Fatal(err)
	}
	s.KeyPrefix = db.Prefix
	s.Now = func() time.Time { return *now }
	return s
}

// toSam is the n-th email to the same resident, each with a key of its own.
func toSam(n int) mail.Message {
	m := confirm
	m.Key = fmt.Sprintf("MB-7K4Q-%04d/confirm", n)
	return m
}

func TestRecipientLimitStartsAgainNextHour(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	now := time.Date(2026, 5, 1, 9, 10, 0, 0, time.UTC)
	s := limitedSMTP(t, redistest.New(t), r.Addr, &now)
	s.PerRecipientPerHour = 2
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := s.Send(ctx, toSam(i)); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Send(ctx, toSam(2))
	if !errors.Is(err, mail.ErrRecipientLimit) {
		t.Fatalf("third email in the hour = %v, want ErrRecipientLimit", err)
	}
	now = now.Add(50 * time.Minute) // 10:00, a new hour
	if err := s.Send(ctx, toSam(2)); err != nil {
		t.Errorf("the refused email, sent again the next hour: %v", err)
	}
	if n := len(r.Received()); n != 3 {
		t.Errorf("relay received %d emails, want 2 in the first hour and 1 in the next", n)
	}
}

func TestRecipientLimitSkipsFixedRecipients(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := limitedSMTP(t, redistest.New(t), r.Addr, &now)
	s.PerRecipientPerHour = 1
	for i := 0; i < 3; i++ {
		m := toSam(i)
		m.To, m.FixedRecipient = "waste-team@larchester.example", true
		if err := s.Send(context.Background(), m); err != nil {
			t.Errorf("email %d to the council's own address: %v", i+1, err)
		}
	}
	if n := len(r.Received()); n != 3 {
		t.Errorf("relay received %d emails to an address written into the recipe, want all 3", n)
	}
}

func TestRecipientLimitNegativeIsNoLimit(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := limitedSMTP(t, redistest.New(t), r.Addr, &now)
	s.PerRecipientPerHour = -1
	for i := 0; i < mail.DefaultPerRecipientPerHour+1; i++ {
		if err := s.Send(context.Background(), toSam(i)); err != nil {
			t.Fatalf("email %d with no limit: %v", i+1, err)
		}
	}
}

// TestRecipientLimitCountsOnlyEmailsSent: a repeat of a sent key, and an
// attempt the relay never took, use up none of the address's hour.
func TestRecipientLimitCountsOnlyEmailsSent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	_ = l.Close()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	db := redistest.New(t)
	s := limitedSMTP(t, db, down, &now)
	s.PerRecipientPerHour = 1
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if err := s.Send(ctx, toSam(0)); err == nil || errors.Is(err, mail.ErrRecipientLimit) {
			t.Fatalf("Send with the relay down = %v, want the relay's error", err)
		}
	}

	r := connectortest.NewSMTPRelay(t)
	up := limitedSMTP(t, db, r.Addr, &now)
	up.PerRecipientPerHour = 1
	for i := 0; i < 3; i++ {
		if err := up.Send(ctx, toSam(0)); err != nil {
			t.Fatalf("Send %d of one key: %v", i+1, err)
		}
	}
	if n := len(r.Received()); n != 1 {
		t.Errorf("relay received %d emails, want 1", n)
	}
}
