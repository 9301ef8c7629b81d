package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPerRecipientPerHour is how many emails one address may be sent
// in a clock hour when SMTP.PerRecipientPerHour is 0.
const DefaultPerRecipientPerHour = 5

// ErrRecipientLimit is the error of an email not sent because its address
// has had as many as are allowed this hour. Trying again soon fails the
// same way, so it is not worth retrying.
var ErrRecipientLimit = errors.New("too many emails to this address this hour")

// countRecipient adds m to the count of emails to its address this hour,
// and refuses it with ErrRecipientLimit past the limit. It returns the
// count's key, for taking m off the count if it is not sent; "" when m is
// not counted: its recipient is fixed, or there is no limit.
func (s *SMTP) countRecipient(ctx context.Context, prefix string, m Message) (string, error) {
	limit := s.PerRecipientPerHour
	if limit == 0 {
		limit = DefaultPerRecipientPerHour
	}
	if limit < 0 || m.FixedRecipient {
		return "", nil
	}
	now := s.now()
	key := recipientCount(prefix, m.To, now)
	var n *redis.IntCmd
	_, err := s.sent.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, key)
		p.Expire(ctx, key, 2*time.Hour)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("smtp: count emails to the address: %w", err)
	}
	if n.Val() > int64(limit) {
		return "", fmt.Errorf("smtp: not sent: %w (at most %d an hour)", ErrRecipientLimit, limit)
	}
	return key, nil
}

// recipientCount is the Redis key counting emails to an address in the
// clock hour of now. The address is normalised, so one spelled another way
// counts the same, and hashed, so the count does not keep it.
func recipientCount(prefix, to string, now time.Time) string {
	sum := sha256.Sum256([]byte(normaliseAddress(to)))
	return fmt.Sprintf("%semail:recipient:%s:%d", prefix, hex.EncodeToString(sum[:16]), now.Unix()/3600)
}

// normaliseAddress reduces an address to the mailbox it reaches: without a
// display name, in lower case, and without a +tag, since sam+1@example.com
// reaches sam@example.com.
func normaliseAddress(to string) string {
	addr := strings.TrimSpace(to)
	if a, err := netmail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	addr = strings.ToLower(addr)
	if at := strings.LastIndex(addr, "@"); at > 0 {
		local := addr[:at]
		if plus := strings.IndexByte(local, '+'); plus > 0 {
			local = local[:plus]
		}
		addr = local + addr[at:]
	}
	return addr
}
