package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Outbound is one message waiting to be sent by a channel's sender.
type Outbound struct {
	ID        string            `json:"id"`
	Channel   inquiry.Channel   `json:"channel"`
	Kind      Kind              `json:"kind"` // see vocab.go
	Reference inquiry.Reference `json:"reference,omitempty"`
	// To is a Telegram chat id or an email address.
	To      string `json:"to"`
	Text    string `json:"text"`
	Subject string `json:"subject,omitempty"`
	// Email threading: the Message-ID to send with, and what it answers.
	MessageID  string   `json:"message_id,omitempty"`
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`
	// AutoReply marks acks (Auto-Submitted: auto-replied).
	AutoReply bool `json:"auto_reply,omitempty"`
	// Buttons are Telegram inline keyboard rows.
	Buttons [][]Button `json:"buttons,omitempty"`
	// ReplyTo is the Telegram message this one answers.
	ReplyTo int `json:"reply_to,omitempty"`
	// EditMessage, when set, edits that Telegram message instead of sending.
	EditMessage int `json:"edit_message,omitempty"`
	// Group is set for messages to a staff group (their own rate limit).
	Group bool `json:"group,omitempty"`
	// Agency is the agency a staff message is for.
	Agency   string    `json:"agency,omitempty"`
	Language string    `json:"language,omitempty"`
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts,omitempty"`
}

// Button is one inline keyboard button.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"`
}

// NewID returns a random identifier for an outbox entry or message.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

const outboxField = "o"

func (s *Store) addOutbound(ctx context.Context, p redis.Pipeliner, o *Outbound) error {
	if o.ID == "" {
		o.ID = NewID()
	}
	if o.Created.IsZero() {
		o.Created = s.now()
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	p.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Outbox(o.Channel), Values: []any{outboxField, b}})
	return nil
}

// Send queues messages for delivery, outside any inquiry change (digests,
// staff notices, card edits).
func (s *Store) Send(ctx context.Context, msgs ...Outbound) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i := range msgs {
			if err := s.addOutbound(ctx, p, &msgs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", unavailable(err))
	}
	return nil
}

// DecodeOutbound reads an outbox stream entry.
func DecodeOutbound(values map[string]any) (Outbound, error) {
	var o Outbound
	raw, _ := values[outboxField].(string)
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		return o, fmt.Errorf("outbox entry: %w", err)
	}
	return o, nil
}

// MarkSent records that an outbox entry was delivered. It returns false when
// it already was: a sender that crashed after sending and before
// acknowledging must not send it again.
func (s *Store) MarkSent(ctx context.Context, id string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.keys.OutboxDone(id), "1", processedTTL).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return ok, nil
}

// WasSent reports whether an outbox entry was already delivered.
func (s *Store) WasSent(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.keys.OutboxDone(id)).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return n > 0, nil
}

// DeadLetter keeps an outbox entry that could not be delivered, with the
// reason, for staff to see; it is never silently dropped.
func (s *Store) DeadLetter(ctx context.Context, o Outbound, reason string) error {
	b, err := json.Marshal(struct {
		Outbound
		Reason string    `json:"reason"`
		At     time.Time `json:"at"`
	}{o, reason, s.now()})
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.DeadLetters(), MaxLen: 10000, Approx: true, Values: []any{outboxField, b}})
		p.HIncrBy(ctx, s.keys.Counters(), "delivery_failed:"+string(o.Channel), 1)
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	if o.Reference != "" {
		e := AuditEntry{At: s.now(), Actor: "system", Action: AuditDeliveryFailed, Detail: string(o.Kind) + ": " + reason}
		b, _ := json.Marshal(e)
		_ = s.rdb.RPush(ctx, s.keys.Audit(o.Reference), b).Err()
	}
	return nil
}

// DeadInbound keeps an inbound entry that could not be turned into an
// inquiry, for staff to look at: a message is never silently dropped.
func (s *Store) DeadInbound(ctx context.Context, id string, values map[string]any, reason string) error {
	raw, _ := values[inboundField].(string)
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.DeadLetters(), MaxLen: 10000, Approx: true,
		Values: []any{"inbound", raw, "reason", reason, "id", id}}).Err()
	return unavailable(err)
}

// Outboxed returns the entries waiting in a channel's outbox, oldest first.
func (s *Store) Outboxed(ctx context.Context, ch inquiry.Channel) ([]Outbound, error) {
	msgs, err := s.rdb.XRange(ctx, s.keys.Outbox(ch), "-", "+").Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]Outbound, 0, len(msgs))
	for _, m := range msgs {
		o, err := DecodeOutbound(m.Values)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
