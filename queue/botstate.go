package queue

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// The small state a channel keeps beside the inquiries: which source
// updates were carried out, per-person settings, a component's cursor
// (the Telegram offset), which staff-group messages are cards, counters,
// and the sender's per-entry progress.

// Handled reports whether an update of source was carried out before.
func (s *Store) Handled(ctx context.Context, source, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.keys.Seen(source, id)).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return n > 0, nil
}

// MarkHandled records that an update of source was carried out.
func (s *Store) MarkHandled(ctx context.Context, source, id string, ttl time.Duration) error {
	return unavailable(s.rdb.Set(ctx, s.keys.Seen(source, id), "1", ttl).Err())
}

// PersonFields reads per-person settings ("" for one not set).
func (s *Store) PersonFields(ctx context.Context, ch inquiry.Channel, address string, fields ...string) ([]string, error) {
	v, err := s.rdb.HMGet(ctx, s.keys.Person(ch, address), fields...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	out := make([]string, len(fields))
	for i := range out {
		if i < len(v) {
			out[i], _ = v[i].(string)
		}
	}
	return out, nil
}

// SetPersonField stores a per-person setting; value "" removes it.
func (s *Store) SetPersonField(ctx context.Context, ch inquiry.Channel, address, field, value string) error {
	key := s.keys.Person(ch, address)
	if value == "" {
		return unavailable(s.rdb.HDel(ctx, key, field).Err())
	}
	return unavailable(s.rdb.HSet(ctx, key, field, value).Err())
}

// StateField reads a field of a component's state (ok false when unset).
func (s *Store) StateField(ctx context.Context, name, field string) (string, bool, error) {
	v, err := s.rdb.HGet(ctx, s.keys.State(name), field).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, unavailable(err)
	}
	return v, true, nil
}

// SetStateField stores a field of a component's state.
func (s *Store) SetStateField(ctx context.Context, name, field string, value any) error {
	return unavailable(s.rdb.HSet(ctx, s.keys.State(name), field, value).Err())
}

// RememberCard records the inquiries a staff-group message shows, so a
// staff reply to it, or a button on it, reaches them.
// Each inquiry also lists its cards (CardsOf), for an erasure to blank: a
// field "card:CHAT:ID" of its record, a few bytes where a key of its own
// would cost a couple of hundred.
func (s *Store) RememberCard(ctx context.Context, chat string, msgID int, refs []inquiry.Reference, ttl time.Duration) error {
	v := make([]string, len(refs))
	for i, r := range refs {
		v[i] = string(r)
	}
	field := cardField + chat + ":" + strconv.Itoa(msgID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.keys.CardMessage(chat, msgID), strings.Join(v, " "), ttl)
		for _, r := range refs {
			p.HSet(ctx, s.keys.Inquiry(r), field, "")
		}
		return nil
	})
	return unavailable(err)
}

// cardField starts the inquiry-record fields that list its cards.
const cardField = "card:"

// CardPost is one message the bot posted in a staff group.
type CardPost struct {
	Chat      string
	MessageID int
}

// CardsOf returns the staff-group messages that show an inquiry.
func (s *Store) CardsOf(ctx context.Context, ref inquiry.Reference) ([]CardPost, error) {
	fields, err := s.rdb.HKeys(ctx, s.keys.Inquiry(ref)).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	var posts []CardPost
	for _, f := range fields {
		m, ok := strings.CutPrefix(f, cardField)
		i := strings.LastIndexByte(m, ':')
		if !ok || i <= 0 {
			continue
		}
		id, err := strconv.Atoi(m[i+1:])
		if err != nil {
			continue
		}
		posts = append(posts, CardPost{Chat: m[:i], MessageID: id})
	}
	slices.SortFunc(posts, func(a, b CardPost) int {
		return cmp.Or(strings.Compare(a.Chat, b.Chat), cmp.Compare(a.MessageID, b.MessageID))
	})
	return posts, nil
}

// CardRefs returns the inquiries a staff-group message shows (none when it
// is not a card).
func (s *Store) CardRefs(ctx context.Context, chat string, msgID int) ([]inquiry.Reference, error) {
	v, err := s.rdb.Get(ctx, s.keys.CardMessage(chat, msgID)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(err)
	}
	var refs []inquiry.Reference
	for _, f := range strings.Fields(v) {
		refs = append(refs, inquiry.Reference(f))
	}
	return refs, nil
}

// Count adds n to an anonymous counter.
func (s *Store) Count(ctx context.Context, name string, n int64) error {
	return unavailable(s.rdb.HIncrBy(ctx, s.keys.Counters(), name, n).Err())
}

// SendCheck is what a sender must know before sending an outbox entry.
type SendCheck struct {
	Sent    bool              // marked sent (a crash after sending, or a duplicate)
	Person  string            // the person's flag field asked for, if any
	Sending map[string]string // the entry's progress (SetSending)
}

// SendLookup names an outbox entry to check and, for a person, the
// per-person field to read with it ("" for none).
type SendLookup struct {
	ID, To string
	Field  string
}

// CheckSends reads, in one round trip, whether each entry was sent, a
// per-person field of its recipient, and its progress.
func (s *Store) CheckSends(ctx context.Context, ch inquiry.Channel, ls []SendLookup) ([]SendCheck, error) {
	sent := make([]*redis.IntCmd, len(ls))
	person := make([]*redis.StringCmd, len(ls))
	state := make([]*redis.MapStringStringCmd, len(ls))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, l := range ls {
			sent[i] = p.Exists(ctx, s.keys.OutboxDone(l.ID))
			if l.Field != "" {
				person[i] = p.HGet(ctx, s.keys.Person(ch, l.To), l.Field)
			}
			state[i] = p.HGetAll(ctx, s.keys.Sending(l.ID))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	out := make([]SendCheck, len(ls))
	for i := range ls {
		out[i].Sent = sent[i].Val() > 0
		if person[i] != nil {
			out[i].Person = person[i].Val()
		}
		out[i].Sending = state[i].Val()
	}
	return out, nil
}

// SetSending records the progress of outbox entries (which part of a split
// text went, how many tries), kept for ttl.
func (s *Store) SetSending(ctx context.Context, ids []string, ttl time.Duration, fields ...any) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.HSet(ctx, s.keys.Sending(id), fields...)
			p.Expire(ctx, s.keys.Sending(id), ttl)
		}
		return nil
	})
	return unavailable(err)
}
