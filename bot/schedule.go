package bot

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/queue"
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

//go:embed lua/*.lua
var luaFiles embed.FS

func script(name string) *redis.Script {
	b, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("bot: missing script " + name)
	}
	return redis.NewScript(string(b))
}

var (
	addScript    = script("sched_add")
	claimScript  = script("sched_claim")
	finishScript = script("sched_finish")
	bucketScript = script("bucket")
)

// Ranks order a chat's queue, and the rank of a chat's next entry is the
// band of its ready set.
const (
	rankSafety = 0
	rankAck    = 1
	rankReply  = 2 // staff replies, the bot's answers, card edits
	rankOther  = 3 // cards, follow-ups, digests
	bands      = 4
	rankScale  = 1e15 // above any scoreTime for 30 years; 4e15 < 2^53
)

// scoreEpoch starts the microsecond clock of queue scores: microseconds
// keep entries queued in the same millisecond in order, and counting from
// 2025 keeps rank and time exact in a float64 score.
var scoreEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func score(rank int, created time.Time) float64 {
	return float64(rank)*rankScale + float64(max(created.Sub(scoreEpoch).Microseconds(), 0))
}

func rankOf(o *queue.Outbound) int {
	switch {
	case o.Kind == "safety":
		return rankSafety
	case o.Kind == "ack":
		return rankAck
	case o.Kind == "reply" || o.EditMessage != 0 || o.Kind == kindNotice:
		return rankReply
	}
	return rankOther
}

type schedule struct {
	rdb  redis.UniversalClient
	keys queue.Keys
}

// sets are the waiting sets then the ready sets of every band, then the
// heads hash: the keys every schedule script shares.
func (s schedule) sets() []string {
	out := make([]string, 0, 2*bands+1)
	for b := range bands {
		out = append(out, s.keys.SendWait(b))
	}
	for b := range bands {
		out = append(out, s.keys.SendReady(b))
	}
	return append(out, s.keys.SendHeads())
}

// add queues an outbox entry (raw JSON) for its chat.
func (s schedule) add(ctx context.Context, o *queue.Outbound, raw string, now time.Time) (bool, error) {
	created := o.Created
	if created.IsZero() {
		created = now
	}
	slot := s.keys.SendSlot(o.To)
	keys := append([]string{s.keys.SendQueue(slot), s.keys.SendNext(slot)}, s.sets()...)
	n, err := addScript.Run(ctx, s.rdb, keys, slot, raw, score(rankOf(o), created), bands, rankScale).Int()
	if err != nil {
		return false, fmt.Errorf("schedule: %w", err)
	}
	return n == 1, nil
}

// claim takes a ready chat; slot "" means none, and wait is how long until
// one is due (-1: none waits).
func (s schedule) claim(ctx context.Context, lease time.Duration) (slot string, wait time.Duration, err error) {
	res, err := claimScript.Run(ctx, s.rdb, s.sets(), lease.Milliseconds()).Slice()
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

// entries returns up to n entries waiting for the chat, and how many wait.
func (s schedule) entries(ctx context.Context, slot string, n int64) ([]string, int64, error) {
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

// finish removes the entries done (and their Sending state) and makes the
// chat due again after delay if entries remain.
func (s schedule) finish(ctx context.Context, slot string, delay time.Duration, done []*entry) error {
	keys := append([]string{s.keys.SendQueue(slot), s.keys.SendNext(slot)}, s.sets()...)
	args := []any{slot, max(delay.Milliseconds(), 0), bands, rankScale}
	for _, e := range done {
		if e.o.ID != "" {
			keys = append(keys, s.keys.Sending(e.o.ID))
		}
		args = append(args, e.raw)
	}
	if err := finishScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("schedule finish: %w", err)
	}
	return nil
}

// turn takes a turn in the shared limit of sends; 0 means the caller has
// it and sends now, else it tries again after the returned wait.
//
// slack is how late a turn may be taken and the schedule kept. N turns
// then span at least N intervals less slack; with intervals a margin m
// longer than the limit allows, N turns in Telegram's window span m·window
// more than it, so slack up to half of that (15 ms for 3% of a second)
// leaves the other half for network jitter.
func (s schedule) turn(ctx context.Context, interval, slack time.Duration) (time.Duration, error) {
	if interval <= 0 {
		return 0, nil
	}
	us, err := bucketScript.Run(ctx, s.rdb, []string{s.keys.SendBucket()},
		float64(interval)/float64(time.Millisecond), float64(slack)/float64(time.Millisecond)).Int64()
	if err != nil {
		return 0, fmt.Errorf("send bucket: %w", err)
	}
	return time.Duration(us) * time.Microsecond, nil
}
