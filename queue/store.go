// Package queue is everything that touches Redis: the inbound and outbox
// streams, inquiry records, agency queues, follow-up due times, leases,
// idempotency keys and rate limits. Key names are built in keys.go only.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Store keeps inquiries in Redis.
type Store struct {
	rdb    redis.UniversalClient
	keys   Keys
	policy inquiry.Policy
	now    func() time.Time
	log    *slog.Logger
}

// Options configure a Store.
type Options struct {
	Prefix string
	// Policy decides the follow-up timers kept in the due set.
	Policy inquiry.Policy
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
}

// NewStore returns a Store on rdb.
func NewStore(rdb redis.UniversalClient, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = "netdesk"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Store{rdb: rdb, keys: NewKeys(o.Prefix), policy: o.Policy, now: o.Now, log: o.Log.With("comp", "queue")}
}

// Client returns the Redis client, for components that build on the store.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Keys returns the key builder.
func (s *Store) Keys() Keys { return s.keys }

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", unavailable(err))
	}
	return nil
}

// ErrDuplicate is returned when an inbound message was already turned into
// an inquiry message; Duplicate.Reference says which inquiry has it.
var ErrDuplicate = errors.New("already processed")

// ErrRetry is returned when a concurrent change touched what an operation
// read; the caller decides again from fresh state.
var ErrRetry = errors.New("concurrent change, retry")

// Duplicate carries the inquiry that already holds a redelivered message.
type Duplicate struct{ Reference inquiry.Reference }

func (d *Duplicate) Error() string { return "already processed into " + string(d.Reference) }
func (d *Duplicate) Unwrap() error { return ErrDuplicate }

// AuditEntry records who did what to an inquiry. Detail never holds message text.
type AuditEntry struct {
	At     time.Time   `json:"at"`
	Actor  string      `json:"actor"`
	Action AuditAction `json:"action"`
	Detail string      `json:"detail,omitempty"`
}

// Effects are written in the same transaction as an inquiry change, so a
// reply and its delivery, or a message and its dedup marker, never part.
type Effects struct {
	Audit  []AuditEntry
	Outbox []Outbound
	// Processed marks an inbound idempotency key as done (value: the reference).
	Processed string
	// Conversation points the person's address at this inquiry (Clear: unset it).
	Conversation *Conversation
	// MessageIDs are email Message-IDs that thread into this inquiry.
	MessageIDs []string
	// RewriteMessages replaces the stored messages (after an erasure).
	RewriteMessages bool
	// ScrubAudit blanks the details of the inquiry's audit trail (after an
	// erasure): a reason typed by staff or a mail server's refusal can
	// hold a name, a phone number or an address. Who did what, and when,
	// stays.
	ScrubAudit bool
	scrub      []scrubbed // filled by Update: the entries to blank
	// Count adds to the anonymous counters.
	Count map[string]int64
}

// Conversation ties a person's channel address to their current inquiry.
type Conversation struct {
	Channel inquiry.Channel
	Address string
	Clear   bool
	// Expect is the reference the caller saw there ("" for none). Create
	// fails with ErrRetry when it has changed since, so two workers taking
	// a person's first two messages at once cannot open two inquiries.
	Expect inquiry.Reference
}

// Audit adds an audit entry.
func (e *Effects) AddAudit(at time.Time, actor string, action AuditAction, detail string) {
	e.Audit = append(e.Audit, AuditEntry{At: at, Actor: actor, Action: action, Detail: detail})
}

// record is how an inquiry is stored: the document without messages, the
// contact apart (so an erasure is one field), and a version.
const (
	fieldDoc     = "doc"
	fieldContact = "contact"
	fieldVersion = "ver"
)

// Load returns the inquiry with its messages, or a not_found error.
func (s *Store) Load(ctx context.Context, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	return s.load(ctx, s.rdb, ref)
}

func (s *Store) load(ctx context.Context, c redis.Cmdable, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	var h *redis.MapStringStringCmd
	var m *redis.StringSliceCmd
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, s.keys.Inquiry(ref))
		m = p.LRange(ctx, s.keys.Messages(ref), 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", ref, unavailable(err))
	}
	q, err := decodeRecord(ref, h.Val())
	if err != nil {
		return nil, err
	}
	q.Messages = make([]inquiry.Message, 0, len(m.Val()))
	for _, raw := range m.Val() {
		var msg inquiry.Message
		if err := json.Unmarshal([]byte(raw), &msg); err != nil {
			return nil, fmt.Errorf("load %s: message: %w", ref, err)
		}
		q.Messages = append(q.Messages, msg)
	}
	return q, nil
}

// Erased reports whether ref's personal data was erased. Senders ask it
// right before they send to a person, so a reply or check-in queued (or
// waiting for a retry) before an erasure is dropped, never delivered.
func (s *Store) Erased(ctx context.Context, ref inquiry.Reference) (bool, error) {
	doc, err := s.rdb.HGet(ctx, s.keys.Inquiry(ref), fieldDoc).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	var d struct {
		Erased bool `json:"erased"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return false, fmt.Errorf("erased %s: %w", ref, err)
	}
	return d.Erased, nil
}

func decodeRecord(ref inquiry.Reference, h map[string]string) (*inquiry.Inquiry, error) {
	if len(h) == 0 || h[fieldDoc] == "" {
		return nil, inquiry.Errorf(inquiry.ENOTFOUND, "no inquiry %s", ref)
	}
	q := new(inquiry.Inquiry)
	if err := json.Unmarshal([]byte(h[fieldDoc]), q); err != nil {
		return nil, fmt.Errorf("load %s: %w", ref, err)
	}
	if c := h[fieldContact]; c != "" {
		if err := json.Unmarshal([]byte(c), &q.Contact); err != nil {
			return nil, fmt.Errorf("load %s: contact: %w", ref, err)
		}
	}
	q.Version, _ = strconv.ParseInt(h[fieldVersion], 10, 64)
	return q, nil
}

// Create stores a new inquiry with its effects. It fails with ErrDuplicate
// when eff.Processed was already done, and with ErrRetry when the reference
// is taken or the person's conversation changed meanwhile.
func (s *Store) Create(ctx context.Context, q *inquiry.Inquiry, eff *Effects) error {
	if eff == nil {
		eff = &Effects{}
	}
	watch := []string{s.keys.Inquiry(q.Reference)}
	if eff.Processed != "" {
		watch = append(watch, s.keys.Processed(eff.Processed))
	}
	if eff.Conversation != nil {
		watch = append(watch, s.keys.Person(eff.Conversation.Channel, eff.Conversation.Address))
	}
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		// Both checks in one round trip: this is the intake's hot path.
		var done, conv *redis.StringCmd
		var exists *redis.IntCmd
		_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
			if eff.Processed != "" {
				done = p.Get(ctx, s.keys.Processed(eff.Processed))
			}
			if c := eff.Conversation; c != nil && !c.Clear {
				conv = p.HGet(ctx, s.keys.Person(c.Channel, c.Address), personConv)
			}
			exists = p.Exists(ctx, s.keys.Inquiry(q.Reference))
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return unavailable(err)
		}
		if done != nil && done.Err() == nil {
			return &Duplicate{Reference: inquiry.Reference(done.Val())}
		}
		if exists.Val() > 0 {
			return ErrRetry
		}
		if conv != nil && inquiry.Reference(conv.Val()) != eff.Conversation.Expect {
			return ErrRetry // the person's conversation moved on: decide again
		}
		q.Version = 0
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			return s.write(ctx, p, nil, q, eff)
		})
		return err
	}, watch...)
	if errors.Is(err, redis.TxFailedErr) {
		return ErrRetry
	}
	if err != nil && !errors.Is(err, ErrDuplicate) && !errors.Is(err, ErrRetry) {
		return fmt.Errorf("create %s: %w", q.Reference, unavailable(err))
	}
	return err
}

// Update applies fn to the stored inquiry and saves the result with fn's
// effects in one transaction. fn may run more than once when another
// process changes the inquiry at the same time; it must only decide.
// processed, when not empty, makes the update a no-op (ErrDuplicate) if
// that inbound message was already done.
func (s *Store) Update(ctx context.Context, ref inquiry.Reference, processed string, fn func(q *inquiry.Inquiry) (*Effects, error)) (*inquiry.Inquiry, error) {
	watch := []string{s.keys.Inquiry(ref)}
	if processed != "" {
		watch = append(watch, s.keys.Processed(processed))
	}
	var out *inquiry.Inquiry
	for range 20 {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			if err := s.checkProcessed(ctx, tx, processed); err != nil {
				return err
			}
			before, err := s.load(ctx, tx, ref)
			if err != nil {
				return err
			}
			q := clone(before)
			eff, err := fn(q)
			if err != nil {
				return err
			}
			if eff == nil {
				eff = &Effects{}
			}
			if processed != "" {
				eff.Processed = processed
			}
			if eff.ScrubAudit {
				if eff.scrub, err = s.auditToScrub(ctx, tx, ref); err != nil {
					return err
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				return s.write(ctx, p, before, q, eff)
			})
			out = q
			return err
		}, watch...)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			var ie *inquiry.Error
			if errors.As(err, &ie) || errors.Is(err, ErrDuplicate) {
				return nil, err
			}
			return nil, fmt.Errorf("update %s: %w", ref, unavailable(err))
		}
		return out, nil
	}
	return nil, fmt.Errorf("update %s: %w", ref, ErrRetry)
}

func (s *Store) checkProcessed(ctx context.Context, tx *redis.Tx, idem string) error {
	if idem == "" {
		return nil
	}
	ref, err := tx.Get(ctx, s.keys.Processed(idem)).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return unavailable(err)
	}
	return &Duplicate{Reference: inquiry.Reference(ref)}
}

// processedTTL bounds how long an inbound idempotency key is remembered:
// far longer than any redelivery (stream reclaim, Telegram retry, IMAP rescan).
const processedTTL = 30 * 24 * time.Hour

// write queues the commands that store q (before: its previous state, nil
// for a new inquiry) and eff.
func (s *Store) write(ctx context.Context, p redis.Pipeliner, before, q *inquiry.Inquiry, eff *Effects) error {
	k := s.keys
	ref := q.Reference
	q.Version++
	doc, err := json.Marshal(docOf(q))
	if err != nil {
		return err
	}
	contact, err := json.Marshal(q.Contact)
	if err != nil {
		return err
	}
	p.HSet(ctx, k.Inquiry(ref), fieldDoc, doc, fieldContact, contact, fieldVersion, q.Version)

	// Messages: append the new ones, or rewrite all after an erasure.
	from := 0
	if before != nil {
		from = len(before.Messages)
	}
	if eff.RewriteMessages {
		p.Del(ctx, k.Messages(ref))
		from = 0
	}
	if from < len(q.Messages) {
		vals := make([]any, 0, len(q.Messages)-from)
		for _, m := range q.Messages[from:] {
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			vals = append(vals, b)
		}
		p.RPush(ctx, k.Messages(ref), vals...)
	}

	// Indexes: every inquiry in All; open ones in each involved agency's queue.
	if before == nil {
		p.ZAdd(ctx, k.All(), redis.Z{Score: float64(q.CreatedAt.UnixMilli()), Member: string(ref)})
	}
	var oldQueues []string
	if before != nil && before.Status != inquiry.Closed {
		oldQueues = before.Agencies()
	}
	var newQueues []string
	if q.Status != inquiry.Closed {
		newQueues = q.Agencies()
	}
	for _, a := range oldQueues {
		if !slices.Contains(newQueues, a) {
			p.ZRem(ctx, k.AgencyQueue(a), string(ref))
		}
	}
	score := QueueScore(q)
	for _, a := range newQueues {
		p.ZAdd(ctx, k.AgencyQueue(a), redis.Z{Score: score, Member: string(ref)})
	}
	if q.Status == inquiry.Closed {
		p.ZAdd(ctx, k.Closed(), redis.Z{Score: float64(q.ClosedAt.UnixMilli()), Member: string(ref)})
	} else if before != nil && before.Status == inquiry.Closed {
		p.ZRem(ctx, k.Closed(), string(ref))
	}

	// Follow-up timers follow the state.
	var oldTimers []inquiry.Timer
	if before != nil {
		oldTimers = before.Timers(s.policy)
	}
	newTimers := q.Timers(s.policy)
	for _, t := range oldTimers {
		if !slices.Contains(newTimers, t) {
			p.ZRem(ctx, k.Due(), TimerMember(t.Kind, ref))
		}
	}
	for _, t := range newTimers {
		p.ZAdd(ctx, k.Due(), redis.Z{Score: float64(t.At.UnixMilli()), Member: TimerMember(t.Kind, ref)})
	}

	// Effects. Entries are blanked in place (LSET by index): entries
	// appended meanwhile go to the end and keep their places.
	for _, sc := range eff.scrub {
		p.LSet(ctx, k.Audit(ref), sc.index, sc.entry)
	}
	for _, a := range eff.Audit {
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		p.RPush(ctx, k.Audit(ref), b)
	}
	for i := range eff.Outbox {
		o := &eff.Outbox[i]
		if o.Reference == "" {
			o.Reference = ref
		}
		if err := s.addOutbound(ctx, p, o); err != nil {
			return err
		}
	}
	if eff.Processed != "" {
		p.Set(ctx, k.Processed(eff.Processed), string(ref), processedTTL)
	}
	if c := eff.Conversation; c != nil {
		if c.Clear {
			p.HDel(ctx, k.Person(c.Channel, c.Address), personConv)
		} else {
			p.HSet(ctx, k.Person(c.Channel, c.Address), personConv, string(ref), personRef+string(ref), "")
		}
	}
	for _, id := range eff.MessageIDs {
		p.Set(ctx, k.MessageID(id), string(ref), 0)
	}
	for name, n := range eff.Count {
		p.HIncrBy(ctx, k.Counters(), name, n)
	}
	return nil
}

type scrubbed struct {
	index int64
	entry []byte
}

// auditToScrub reads an inquiry's audit trail and returns its entries that
// carry a detail, blanked.
func (s *Store) auditToScrub(ctx context.Context, c redis.Cmdable, ref inquiry.Reference) ([]scrubbed, error) {
	raw, err := c.LRange(ctx, s.keys.Audit(ref), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	var out []scrubbed
	for i, r := range raw {
		var e AuditEntry
		if json.Unmarshal([]byte(r), &e) != nil || e.Detail == "" {
			continue
		}
		e.Detail = ""
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		out = append(out, scrubbed{int64(i), b})
	}
	return out, nil
}

// QueueScore sorts a queue: urgent first, then priority (reopened after a
// "No" to the check-in), then the rest; oldest first within each band.
func QueueScore(q *inquiry.Inquiry) float64 {
	s := float64(q.CreatedAt.UnixMilli())
	switch {
	case q.Urgent:
	case q.Priority:
		s += 5e13
	default:
		s += 1e14
	}
	return s
}

// TimerMember names a timer in the due set.
func TimerMember(kind string, ref inquiry.Reference) string { return kind + "|" + string(ref) }

// docOf is the stored document: the inquiry without messages and contact.
func docOf(q *inquiry.Inquiry) *inquiry.Inquiry {
	d := *q
	d.Messages = nil
	return &d
}

func clone(q *inquiry.Inquiry) *inquiry.Inquiry {
	c := *q
	c.Support = slices.Clone(q.Support)
	c.Matched = slices.Clone(q.Matched)
	c.Messages = slices.Clone(q.Messages)
	c.Contact.Thread = slices.Clone(q.Contact.Thread)
	return &c
}

// unavailable marks Redis connection failures so callers answer 503 and retry.
func unavailable(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return err
	}
	var ie *inquiry.Error
	if errors.As(err, &ie) || errors.Is(err, ErrDuplicate) || errors.Is(err, ErrRetry) || errors.Is(err, redis.TxFailedErr) {
		return err
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return err // Redis answered: a bug or a bad command, not an outage
	}
	return inquiry.Wrap(inquiry.EUNAVAILABLE, "the store is unavailable; try again shortly", err)
}

// IsUnavailable reports whether err means Redis could not be reached (an
// inquiry.Error with code EUNAVAILABLE).
func IsUnavailable(err error) bool { return inquiry.ErrorCode(err) == inquiry.EUNAVAILABLE }
