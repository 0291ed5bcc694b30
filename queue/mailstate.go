package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// MailboxState returns the UIDVALIDITY and the last handled UID the IMAP
// listener recorded for a mailbox (0, 0 when none).
func (s *Store) MailboxState(ctx context.Context, mailbox string) (validity, last uint32, err error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.Mailbox(mailbox)).Result()
	if err != nil {
		return 0, 0, unavailable(err)
	}
	v, _ := strconv.ParseUint(h["uidvalidity"], 10, 32)
	l, _ := strconv.ParseUint(h["last"], 10, 32)
	return uint32(v), uint32(l), nil
}

// SetMailboxState records a mailbox's UIDVALIDITY and last handled UID.
func (s *Store) SetMailboxState(ctx context.Context, mailbox string, validity, last uint32) error {
	return unavailable(s.rdb.HSet(ctx, s.keys.Mailbox(mailbox), "uidvalidity", validity, "last", last).Err())
}

// RememberStaffMail records that a mail with this Message-ID was sent to an
// agency's staff about ref, so a reply to it is known as a staff reply, and
// from which agency it must come.
func (s *Store) RememberStaffMail(ctx context.Context, messageID string, ref inquiry.Reference, agency string, ttl time.Duration) error {
	return unavailable(s.rdb.Set(ctx, s.keys.StaffMail(messageID), string(ref)+"|"+agency, ttl).Err())
}

// StaffThread returns the inquiry, and the agency the notification went
// to, of the newest staff mail among ids (a mail's In-Reply-To and
// References), or "".
func (s *Store) StaffThread(ctx context.Context, ids []string) (ref inquiry.Reference, agency string, err error) {
	if len(ids) == 0 {
		return "", "", nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.keys.StaffMail(id)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return "", "", unavailable(err)
	}
	for i := len(vals) - 1; i >= 0; i-- {
		if v, ok := vals[i].(string); ok && v != "" {
			r, a, _ := strings.Cut(v, "|")
			return inquiry.Reference(r), a, nil
		}
	}
	return "", "", nil
}

// DeadInboundOnce keeps an inbound message that concerns no inquiry in the
// dead letters once per id: the marker and the entry are written in one
// transaction, so a rescanned mail is not kept twice.
func (s *Store) DeadInboundOnce(ctx context.Context, m *Inbound, reason string, ttl time.Duration) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	marker := s.keys.Seen("dead", m.ID)
	for range 5 {
		err = s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Exists(ctx, marker).Result()
			if err != nil || n > 0 {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, marker, "1", ttl)
				p.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.DeadLetters(), MaxLen: 10000, Approx: true,
					Values: []any{"inbound", string(b), "reason", reason, "id", m.ID}})
				return nil
			})
			return err
		}, marker)
		if !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("dead letter: %w", unavailable(err))
	}
	return nil
}

// RetryLater keeps an outbox entry aside until due (a sender's backoff).
func (s *Store) RetryLater(ctx context.Context, o Outbound, due time.Time) error {
	b, err := json.Marshal(o)
	if err != nil {
		return Permanent(err)
	}
	return unavailable(s.rdb.ZAdd(ctx, s.keys.OutboxRetry(o.Channel), redis.Z{Score: float64(due.UnixMilli()), Member: b}).Err())
}

// ForwardRetries moves up to 100 entries kept aside on ch that are due at
// now back onto the outbox stream, atomically (WATCH/MULTI), so two
// processes never both move one.
func (s *Store) ForwardRetries(ctx context.Context, ch inquiry.Channel, now time.Time) (int, error) {
	key, stream := s.keys.OutboxRetry(ch), s.keys.Outbox(ch)
	moved := 0
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		due, err := tx.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: 100}).Result()
		if err != nil || len(due) == 0 {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			members := make([]any, len(due))
			for i, d := range due {
				members[i] = d
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{outboxField, d}})
			}
			p.ZRem(ctx, key, members...)
			return nil
		})
		if err == nil {
			moved = len(due)
		}
		return err
	}, key)
	if errors.Is(err, redis.TxFailedErr) {
		return 0, nil // another process moved them
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return moved, nil
}
