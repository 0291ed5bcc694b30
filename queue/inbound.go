package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Inbound is a message from a person, normalized by its channel, as it
// travels through the inbound stream to the router workers.
type Inbound struct {
	// ID is the idempotency key: "web:<key>", "tg:<update_id>",
	// "mail:<Message-ID>|<sender>". A redelivered message has the same ID.
	ID      string          `json:"id"`
	Channel inquiry.Channel `json:"channel"`
	// Reference is set by the web intake, which answers with it at once.
	Reference inquiry.Reference `json:"reference,omitempty"`
	Address   string            `json:"address,omitempty"` // chat id or email address
	Name      string            `json:"name,omitempty"`
	Language  string            `json:"language,omitempty"` // a hint; "" detects
	Subject   string            `json:"subject,omitempty"`
	Text      string            `json:"text"`
	At        time.Time         `json:"at"`
	// Attachments are recorded, not stored.
	Attachments []inquiry.Attachment `json:"attachments,omitempty"`
	// Email threading: the message's own id and the ids it answers.
	MessageID string   `json:"message_id,omitempty"`
	Thread    []string `json:"thread,omitempty"`
	// NoAck suppresses the acknowledgement (auto-replies, lists, bounces).
	NoAck bool `json:"no_ack,omitempty"`
	// Flagged marks a message staff must look at (unparseable mail).
	Flagged bool `json:"flagged,omitempty"`
	// TelegramMessage is the person's message id, for answering in thread.
	TelegramMessage int `json:"tg_message,omitempty"`
	// Edited marks the new text of a message the person changed after
	// sending it (Telegram's edited_message).
	Edited bool `json:"edited,omitempty"`
	// LooseFrom marks a mail whose sender was read from a malformed From:
	// it may open an inquiry, never join an existing one.
	LooseFrom bool `json:"loose_from,omitempty"`
	// Routed is the router's decision when the channel already routed the
	// message (the web intake answers with it), so the worker need not
	// route it again.
	Routed *Routed `json:"routed,omitempty"`
}

// Routed is a routing decision carried with an inbound message.
type Routed struct {
	Language  string   `json:"language"`
	Topic     string   `json:"topic"`
	Agency    string   `json:"agency"`
	Support   []string `json:"support,omitempty"`
	Urgent    bool     `json:"urgent,omitempty"`
	Sensitive bool     `json:"sensitive,omitempty"`
	Matched   []string `json:"matched,omitempty"`
	TopicP    float64  `json:"topic_p,omitempty"`
	UrgentP   float64  `json:"urgent_p,omitempty"`
}

const inboundField = "m"

// inboundSeenTTL is how long a source id is remembered against redelivery.
const inboundSeenTTL = 30 * 24 * time.Hour

// Enqueue puts a message on the inbound stream, durably: when it returns
// nil the message will become part of an inquiry even if this process dies.
// A message whose source id (source, id) was enqueued before is skipped and
// reports added=false; source "" skips that check (the web intake has its
// own idempotency).
func (s *Store) Enqueue(ctx context.Context, source, id string, m *Inbound) (added bool, err error) {
	b, err := json.Marshal(m)
	if err != nil {
		return false, err
	}
	if source == "" {
		err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Inbound(), Values: []any{inboundField, b}}).Err()
		if err != nil {
			return false, fmt.Errorf("enqueue: %w", unavailable(err))
		}
		return true, nil
	}
	res, err := enqueueScript.Run(ctx, s.rdb,
		[]string{s.keys.Seen(source, id), s.keys.Inbound()},
		int64(inboundSeenTTL/time.Second), inboundField, b).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("enqueue: %w", unavailable(err))
	}
	return res != nil, nil
}

// EnqueueAnswered queues a message and stores the answer to its request
// under an idempotency key in one transaction: a retried request gets the
// answer if and only if the message was queued.
func (s *Store) EnqueueAnswered(ctx context.Context, m *Inbound, scope, key, answer string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	add := &redis.XAddArgs{Stream: s.keys.Inbound(), Values: []any{inboundField, b}}
	if key == "" {
		err = s.rdb.XAdd(ctx, add).Err()
	} else {
		_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.keys.Idempotency(scope, key), answer, idempotencyTTL)
			p.XAdd(ctx, add)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("enqueue: %w", unavailable(err))
	}
	return nil
}

// DecodeInbound reads an inbound stream entry.
func DecodeInbound(values map[string]any) (*Inbound, error) {
	raw, _ := values[inboundField].(string)
	m := new(Inbound)
	if err := json.Unmarshal([]byte(raw), m); err != nil {
		return nil, Permanent(fmt.Errorf("inbound entry: %w", err))
	}
	return m, nil
}

// InboundGroup is the consumer group of the router workers.
const InboundGroup = "routers"

// Processed returns the inquiry an inbound idempotency key went into, if any.
func (s *Store) Processed(ctx context.Context, idem string) (inquiry.Reference, bool, error) {
	ref, err := s.rdb.Get(ctx, s.keys.Processed(idem)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, unavailable(err)
	}
	return inquiry.Reference(ref), true, nil
}

// Conversation returns the person's current inquiry on a channel.
func (s *Store) Conversation(ctx context.Context, ch inquiry.Channel, address string) (inquiry.Reference, bool, error) {
	ref, err := s.rdb.HGet(ctx, s.keys.Person(ch, address), personConv).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, unavailable(err)
	}
	return inquiry.Reference(ref), true, nil
}

// EndConversation makes the person's next message start a new inquiry.
func (s *Store) EndConversation(ctx context.Context, ch inquiry.Channel, address string) error {
	return unavailable(s.rdb.HDel(ctx, s.keys.Person(ch, address), personConv).Err())
}

// PersonInquiries lists every inquiry a person's address took part in.
func (s *Store) PersonInquiries(ctx context.Context, ch inquiry.Channel, address string) ([]inquiry.Reference, error) {
	fields, err := s.rdb.HKeys(ctx, s.keys.Person(ch, address)).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	var out []inquiry.Reference
	for _, f := range fields {
		if r, ok := strings.CutPrefix(f, personRef); ok {
			out = append(out, inquiry.Reference(r))
		}
	}
	return out, nil
}

// ForgetPerson removes the person's index entries (after their inquiries
// were erased).
func (s *Store) ForgetPerson(ctx context.Context, ch inquiry.Channel, address string) error {
	return unavailable(s.rdb.Del(ctx, s.keys.Person(ch, address)).Err())
}

// Fields of the person hash (Keys.Person) that the store itself writes;
// channels add their settings beside them (PersonFields).
const (
	personConv = "conv" // the current inquiry
	personRef  = "r:"   // r:REF for every inquiry of the person
)

// ThreadReference returns the inquiry an email Message-ID belongs to.
func (s *Store) ThreadReference(ctx context.Context, messageID string) (inquiry.Reference, bool, error) {
	ref, err := s.rdb.Get(ctx, s.keys.MessageID(messageID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, unavailable(err)
	}
	return inquiry.Reference(ref), true, nil
}

// RememberMessageID ties an email Message-ID (sent or received) to an inquiry.
func (s *Store) RememberMessageID(ctx context.Context, messageID string, ref inquiry.Reference) error {
	return unavailable(s.rdb.Set(ctx, s.keys.MessageID(messageID), string(ref), 0).Err())
}
