package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The sender's schedule lives in Redis, so that every process sending for
// the bot keeps to one set of limits:
//
//   - each chat has a send queue (sorted set: safety, ack, reply/edit,
//     other; then oldest first);
//   - a chat with entries is either ready (it may be sent to now; scored by
//     its oldest entry) or waiting (until its rate limit allows, a
//     retry_after ends, or a sender's claim runs out; scored by that time);
//     there is a ready and a waiting set per band (the rank of the chat's
//     next entry), and senders take the most urgent band first, so a safety
//     message never waits behind a backlog of acks, nor an ack behind cards;
//   - a sender claims the ready chat with the oldest entry (it moves to
//     waiting for a lease), sends one request, and finishes: the entries
//     done leave the queue and the chat waits its interval (1 s for a
//     person, 3 s for a group) before it is ready again. The time a chat
//     may next be sent to is kept after its queue empties, so a message
//     arriving just after another still waits its turn.
//
// Ordering ready chats by their oldest entry (rather than by when they
// became ready) lets a busy chat send at its own limit while others wait
// for the overall one: first come, first served, within every limit.
//
// One process or ten, a chat is never sent to by two senders at once and
// never faster than its limit; the overall limit is a shared token bucket.

// SendBands is the number of priority bands of the schedule; an entry's
// rank (0 most urgent) is its band.
const SendBands = 4

// sendRankScale separates the bands in a queue score: above any time score
// for 30 years; 4e15 < 2^53.
const sendRankScale = 1e15

// sendEpoch starts the microsecond clock of queue scores: microseconds keep
// entries queued in the same millisecond in order, and counting from 2025
// keeps rank and time exact in a float64 score.
var sendEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func sendScore(rank int, created time.Time) float64 {
	return float64(rank)*sendRankScale + float64(max(created.Sub(sendEpoch).Microseconds(), 0))
}

// SendSchedule is the shared schedule of a rate-limited sender (the
// Telegram bot's): per-recipient queues, ready and waiting sets by band,
// and a shared token bucket.
type SendSchedule struct {
	rdb  redis.UniversalClient
	keys Keys
}

// SendSchedule returns the store's send schedule.
func (s *Store) SendSchedule() SendSchedule { return SendSchedule{rdb: s.rdb, keys: s.keys} }

// sets are the waiting sets then the ready sets of every band, then the
// heads hash: the keys every schedule script shares.
func (s SendSchedule) sets() []string {
	out := make([]string, 0, 2*SendBands+1)
	for b := range SendBands {
		out = append(out, s.keys.SendWait(b))
	}
	for b := range SendBands {
		out = append(out, s.keys.SendReady(b))
	}
	return append(out, s.keys.SendHeads())
}

// Add queues an entry (raw JSON) for recipient to, in band rank, ordered
// by created; false means it was queued already.
func (s SendSchedule) Add(ctx context.Context, to string, rank int, created time.Time, raw string) (bool, error) {
	slot := s.keys.SendSlot(to)
	keys := append([]string{s.keys.SendQueue(slot), s.keys.SendNext(slot)}, s.sets()...)
	n, err := sendAddScript.Run(ctx, s.rdb, keys, slot, raw, sendScore(rank, created), SendBands, sendRankScale).Int()
	if err != nil {
		return false, fmt.Errorf("schedule: %w", err)
	}
	return n == 1, nil
}

// Claim takes a ready chat; slot "" means none, and wait is how long until
// one is due (-1: none waits).
func (s SendSchedule) Claim(ctx context.Context, lease time.Duration) (slot string, wait time.Duration, err error) {
	res, err := sendClaimScript.Run(ctx, s.rdb, s.sets(), lease.Milliseconds()).Slice()
	if err != nil {
		return "", 0, fmt.Errorf("schedule claim: %w", err)
	}
	if len(res) != 2 {
		return "", 0, fmt.Errorf("schedule claim: unexpected answer %v", res)
	}
	slot, _ = res[0].(string)
	if slot != "" {
		return slot, 0, nil
	}
	ms, _ := res[1].(int64)
	if ms < 0 {
		return "", -1, nil
	}
	return "", time.Duration(ms) * time.Millisecond, nil
}

// Entries returns up to n entries waiting for the chat, and how many wait.
func (s SendSchedule) Entries(ctx context.Context, slot string, n int64) ([]string, int64, error) {
	var rng *redis.StringSliceCmd
	var card *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		rng = p.ZRange(ctx, s.keys.SendQueue(slot), 0, n-1)
		card = p.ZCard(ctx, s.keys.SendQueue(slot))
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("schedule entries: %w", err)
	}
	return rng.Val(), card.Val(), nil
}

// Finish removes the entries done (raw, with the Sending state of their
// outbox ids) and makes the chat due again after delay if entries remain.
func (s SendSchedule) Finish(ctx context.Context, slot string, delay time.Duration, raws, ids []string) error {
	keys := append([]string{s.keys.SendQueue(slot), s.keys.SendNext(slot)}, s.sets()...)
	args := []any{slot, max(delay.Milliseconds(), 0), SendBands, sendRankScale}
	for _, id := range ids {
		if id != "" {
			keys = append(keys, s.keys.Sending(id))
		}
	}
	for _, raw := range raws {
		args = append(args, raw)
	}
	if err := sendFinishScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("schedule finish: %w", err)
	}
	return nil
}

// Turn takes a turn in the shared limit of sends; 0 means the caller has
// it and sends now, else it tries again after the returned wait.
//
// slack is how late a turn may be taken and the schedule kept. N turns
// then span at least N intervals less slack; with intervals a margin m
// longer than the limit allows, N turns in Telegram's window span m·window
// more than it, so slack up to half of that (15 ms for 3% of a second)
// leaves the other half for network jitter.
func (s SendSchedule) Turn(ctx context.Context, interval, slack time.Duration) (time.Duration, error) {
	if interval <= 0 {
		return 0, nil
	}
	us, err := sendBucketScript.Run(ctx, s.rdb, []string{s.keys.SendBucket()},
		float64(interval)/float64(time.Millisecond), float64(slack)/float64(time.Millisecond)).Int64()
	if err != nil {
		return 0, fmt.Errorf("send bucket: %w", err)
	}
	return time.Duration(us) * time.Microsecond, nil
}
