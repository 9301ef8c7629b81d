package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/mail"
)

func newSMTP(t *testing.T, r *connectortest.SMTPRelay, mr *miniredis.Miniredis) *mail.SMTP {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := mail.NewSMTP("smtp://"+r.Addr, "noreply@larchester.example", rdb)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTPSendsOncePerKey(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	ctx := context.Background()

	for i := 0; i < 2; i++ {
		if err := s.Send(ctx, confirm); err != nil {
			t.Fatalf("Send %d: %v", i+1, err)
		}
	}
	got := r.Received()
	if len(got) != 1 {
		t.Fatalf("relay received %d messages, want 1", len(got))
	}
	d := got[0]
	if d.From != "noreply@larchester.example" || len(d.To) != 1 || d.To[0] != "sam@example.com" {
		t.Errorf("envelope from %q to %v", d.From, d.To)
	}
	if !strings.Contains(d.Data, "Subject: Missed bin reported: MB-7K4Q-2PXD") || !messageID.MatchString(d.Data) {
		t.Errorf("message lacks its subject or Message-ID:\n%s", d.Data)
	}
	key := "larder:email:sent:" + confirm.Key
	if !mr.Exists(key) {
		t.Fatalf("no sent marker %s in Redis", key)
	}
	if ttl := mr.TTL(key); ttl < 29*24*time.Hour || ttl > 30*24*time.Hour {
		t.Errorf("sent marker expires in %v, want 30 days", ttl)
	}
}

// TestSMTPKeepsItsMarksUnderItsPrefix: two Larders sharing one Redis each
// send their own email, even for the same key; one Larder sends it once.
func TestSMTPKeepsItsMarksUnderItsPrefix(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	first, second := newSMTP(t, r, mr), newSMTP(t, r, mr)
	first.KeyPrefix, second.KeyPrefix = "larder-north:", "larder-south:"
	ctx := context.Background()
	for _, s := range []*mail.SMTP{first, second, first} {
		if err := s.Send(ctx, confirm); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.Received()); n != 2 {
		t.Errorf("relay received %d messages, want one per Larder", n)
	}
	if !mr.Exists("larder-north:email:sent:"+confirm.Key) || !mr.Exists("larder-south:email:sent:"+confirm.Key) {
		t.Errorf("sent marks not under each Larder's prefix: %v", mr.Keys())
	}
}

func TestSMTPDifferentKeysBothSend(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	s := newSMTP(t, r, miniredis.RunT(t))
	refused := confirm
	refused.Key = "MB-7K4Q-2PXD/refused"
	for _, m := range []mail.Message{confirm, refused} {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.Received()); n != 2 {
		t.Errorf("relay received %d messages, want 2", n)
	}
}

func TestSMTPWithoutRedisSendsNothing(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	mr.Close()
	err := s.Send(context.Background(), confirm)
	if err == nil || !strings.Contains(err.Error(), "reserve") {
		t.Errorf("Send with Redis down = %v, want a reserve error", err)
	}
	if n := len(r.Received()); n != 0 {
		t.Errorf("relay received %d messages although the sent marker could not be checked", n)
	}
}

func TestSMTPRelayDownIsAnError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	mr := miniredis.RunT(t)
	s := newSMTP(t, &connectortest.SMTPRelay{Addr: addr}, mr)
	if err := s.Send(context.Background(), confirm); err == nil {
		t.Fatal("Send with the relay down: want an error so the activity retries")
	}
	if mr.Exists("larder:email:sent:" + confirm.Key) {
		t.Error("a message that was not sent is marked as sent")
	}
}

func TestNewSMTPRefusesBadURLs(t *testing.T) {
	const password = "r3lay-pa55"
	for _, tc := range []struct{ url, want string }{
		{"http://relay.example:25", `scheme must be smtp or smtps, not "http"`},
		{"smtp://user:" + password + "@relay.example:smtp", "smtp.url:"},
		{"smtp://user:" + password + "@relay example", "smtp.url:"},
	} {
		_, err := mail.NewSMTP(tc.url, "noreply@larchester.example", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSMTP(%q) = %v, want an error containing %q", tc.url, err, tc.want)
			continue
		}
		connectortest.NoSecretInError(t, err, password)
	}
}

func TestSMTPOverlappingAttemptDoesNotSend(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	// Another attempt holds the reservation and has not finished.
	if err := mr.Set("larder:email:sent:"+confirm.Key, "sending"); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), confirm); err == nil {
		t.Error("an overlapping attempt should fail so Temporal retries it later")
	}
	if n := len(r.Received()); n != 0 {
		t.Errorf("relay received %d messages while another attempt was sending", n)
	}
}

// TestSMTPReservationLapsesWithinAMinute: while an attempt sends, its
// reservation lasts at most a minute, so one whose worker died while
// sending holds the email back no longer than that.
func TestSMTPReservationLapsesWithinAMinute(t *testing.T) {
	// A relay that takes the connection and never greets: the attempt
	// stays mid-send until the listener closes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	mr := miniredis.RunT(t)
	s, err := mail.NewSMTP("smtp://"+ln.Addr().String(), "noreply@larchester.example", redis.NewClient(&redis.Options{Addr: mr.Addr()}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sent := make(chan error, 1)
	go func() { sent <- s.Send(ctx, confirm) }()
	key := "larder:email:sent:" + confirm.Key
	deadline := time.Now().Add(5 * time.Second)
	for mr.TTL(key) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ttl := mr.TTL(key); ttl <= 0 || ttl > time.Minute {
		t.Errorf("reservation while sending lasts %s, want at most a minute", ttl)
	}
	cancel()
	ln.Close()
	<-sent
}

// TestSMTPSNeverSendsInTheClear: an smtps:// relay that does not speak TLS
// gets nothing, and the message is not marked as sent.
func TestSMTPSNeverSendsInTheClear(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := mail.NewSMTP("smtps://"+r.Addr, "noreply@larchester.example", rdb)
	if err != nil {
		t.Fatalf("NewSMTP(smtps://...): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Send(ctx, confirm); err == nil {
		t.Error("Send over smtps to a relay without TLS succeeded")
	}
	if n := len(r.Received()); n != 0 {
		t.Errorf("relay received %d messages without TLS", n)
	}
	if mr.Exists("larder:email:sent:" + confirm.Key) {
		t.Error("a message that was not sent is marked as sent")
	}
}

// Security finding 7: go-mail reports a failed RSET or QUIT as an error even
// after the relay accepted the message's DATA; the sender took that for a
// failure, dropped its sent mark, and the activity's retry sent the email
// again. An email the relay accepted is sent, whatever fails after.
func TestFinding7EmailAcceptedBeforeTheConnectionDropsIsSentOnce(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	r.DropAfterData()
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Temporal retries the activity while Send fails; three attempts.
	var errs []error
	for attempt := 1; attempt <= 3; attempt++ {
		err := s.Send(ctx, confirm)
		if err == nil {
			break
		}
		errs = append(errs, err)
	}
	if n := len(r.Received()); n != 1 {
		t.Errorf("relay received %d copies across the retries, want exactly 1 (attempts failed with %v)", n, errs)
	}
	if len(errs) > 0 {
		t.Errorf("Send of a message the relay accepted failed with %v, so the activity would retry it", errs)
	}
	if !mr.Exists("larder:email:sent:" + confirm.Key) {
		t.Error("a message the relay accepted is not marked as sent")
	}
}

// Security finding 12: anyone could have the council send branded email
// with their own text to any address, as often as the API let them. One
// address gets at most five emails an hour, however it is spelled; the
// sixth is refused, and other addresses are not held up.
func TestFinding12EmailsToOneAddressAreLimitedPerHour(t *testing.T) {
	r := connectortest.NewSMTPRelay(t)
	mr := miniredis.RunT(t)
	s := newSMTP(t, r, mr)
	ctx := context.Background()
	spellings := []string{"sam@example.com", "Sam@Example.com", "Sam Resident <sam@example.com>", "sam+bins@example.com", " SAM@example.com", "sam@example.com"}
	var refused []error
	for i, to := range spellings {
		m := confirm
		m.Key = "MB-7K4Q-2PX" + string(rune('A'+i)) + "/confirm"
		m.To = to
		if err := s.Send(ctx, m); err != nil {
			refused = append(refused, err)
		}
	}
	if n := len(r.Received()); n != 5 {
		t.Errorf("relay received %d emails for one address in an hour, want 5", n)
	}
	if len(refused) != 1 || !strings.Contains(refused[0].Error(), "too many emails to this address this hour") {
		t.Errorf("Send refused %v, want the sixth refused with a reason", refused)
	}
	other := confirm
	other.Key, other.To = "MB-7K4Q-2PXZ/confirm", "alex@example.com"
	if err := s.Send(ctx, other); err != nil {
		t.Errorf("Send to another address: %v", err)
	}
	for _, k := range mr.Keys() {
		if strings.Contains(k, "sam") {
			t.Errorf("Redis key %q holds the address; counts should be keyed by its hash", k)
		}
	}
}
