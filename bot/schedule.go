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
//   - each chat has a send queue (sorted set: safety, ack, reply/edit, other;
//     then oldest first);
//   - chats with entries waiting are in a ready set, scored by the time
//     they may next be sent to; band 0 for chats whose next entry is a
//     safety message or an ack, band 1 for the rest;
//   - a sender claims a due chat (its score moves past a lease), sends one
//     request, and finishes: the entries done leave the queue and the chat
//     is due again after its own interval (1 s for a person, 3 s for a group).
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

// Ranks order a chat's queue; ranks below band1Rank make band 0.
const (
	rankSafety = 0
	rankAck    = 1
	rankReply  = 2
	rankOther  = 3
	band1Rank  = 2
	rankScale  = 1e13 // above any millisecond timestamp
)

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

// add queues an outbox entry (raw JSON) for its chat.
func (s schedule) add(ctx context.Context, o *queue.Outbound, raw string, now time.Time) (bool, error) {
	rank := rankOf(o)
	created := o.Created
	if created.IsZero() {
		created = now
	}
	band := 0
	if rank >= band1Rank {
		band = 1
	}
	slot := s.keys.SendSlot(o.To)
	n, err := addScript.Run(ctx, s.rdb, []string{s.keys.SendQueue(slot), s.keys.SendReady(0), s.keys.SendReady(1)},
		slot, raw, float64(rank)*rankScale+float64(created.UnixMilli()), band).Int()
	if err != nil {
		return false, fmt.Errorf("schedule: %w", err)
	}
	return n == 1, nil
}

// claim takes a due chat; slot "" means none, and wait is how long until
// one is due (-1: none waits).
func (s schedule) claim(ctx context.Context, lease time.Duration) (slot string, wait time.Duration, err error) {
	res, err := claimScript.Run(ctx, s.rdb, []string{s.keys.SendReady(0), s.keys.SendReady(1)}, lease.Milliseconds()).Slice()
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
	keys := []string{s.keys.SendQueue(slot), s.keys.SendReady(0), s.keys.SendReady(1)}
	args := []any{slot, max(delay.Milliseconds(), 0), float64(band1Rank) * rankScale}
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

// reserve takes the next turn in the shared bucket and returns how long to
// wait for it.
func (s schedule) reserve(ctx context.Context, interval time.Duration) (time.Duration, error) {
	if interval <= 0 {
		return 0, nil
	}
	us, err := bucketScript.Run(ctx, s.rdb, []string{s.keys.SendBucket()}, float64(interval)/float64(time.Millisecond)).Int64()
	if err != nil {
		return 0, fmt.Errorf("send bucket: %w", err)
	}
	return time.Duration(us) * time.Microsecond, nil
}
