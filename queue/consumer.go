package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/internal/backoff"
)

// Handler processes one stream entry. A nil error acknowledges it; an error
// wrapped by Permanent sends it to the dead letters and acknowledges it; any
// other error leaves it pending, to be reclaimed and tried again.
type Handler func(ctx context.Context, id string, values map[string]any) error

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanentError)) }

// Consumer reads a stream through a consumer group: every entry is handled
// by one consumer of the group, acknowledged only after it was handled, and
// reclaimed from a consumer that died holding it.
type Consumer struct {
	Client redis.UniversalClient
	Stream string
	Group  string
	// Name must be unique among the group's live consumers.
	Name   string
	Handle Handler
	// Count is how many entries one read takes.
	Count int64
	// Block is how long a read waits for new entries.
	Block time.Duration
	// MinIdle is how long an entry stays pending before another consumer
	// may take it over: longer than any handling takes.
	MinIdle time.Duration
	// MaxDeliveries sends an entry that failed this often to Dead.
	MaxDeliveries int64
	// Dead receives entries that failed permanently or too often.
	Dead func(ctx context.Context, id string, values map[string]any, err error)
	// Delete removes handled entries (they may hold personal data).
	Delete bool
	Log    *slog.Logger
}

func (c *Consumer) defaults() {
	if c.Count == 0 {
		c.Count = 32
	}
	if c.Block == 0 {
		c.Block = 2 * time.Second
	}
	if c.MinIdle == 0 {
		c.MinIdle = 30 * time.Second
	}
	if c.MaxDeliveries == 0 {
		c.MaxDeliveries = 10
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// EnsureGroup creates the stream and its consumer group if missing. The
// group starts at the stream's beginning so nothing added before is missed.
func EnsureGroup(ctx context.Context, rdb redis.UniversalClient, stream, group string) error {
	err := rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create group %s: %w", group, unavailable(err))
	}
	return nil
}

// Run consumes until ctx is done. An entry being handled when ctx ends is
// finished first. Redis outages are waited out with backoff.
func (c *Consumer) Run(ctx context.Context) error {
	c.defaults()
	wait := backoff.New(100*time.Millisecond, 5*time.Second)
	var lastReclaim time.Time
	for ctx.Err() == nil {
		if err := EnsureGroup(ctx, c.Client, c.Stream, c.Group); err != nil {
			c.Log.Warn("stream group unavailable, retrying", "stream", c.Stream, "err", err)
			wait.Wait(ctx)
			continue
		}
		// Take over what dead consumers left, at start and then periodically.
		if time.Since(lastReclaim) > c.MinIdle/2 {
			if err := c.reclaim(ctx); err != nil {
				c.Log.Warn("reclaim failed", "stream", c.Stream, "err", err)
				wait.Wait(ctx)
				continue
			}
			lastReclaim = time.Now()
		}
		streams, err := c.Client.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: c.Group, Consumer: c.Name, Streams: []string{c.Stream, ">"},
			Count: c.Count, Block: c.Block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			wait.Reset()
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				continue // the stream was deleted; recreate the group
			}
			c.Log.Warn("stream read failed, retrying", "stream", c.Stream, "err", err)
			wait.Wait(ctx)
			continue
		}
		wait.Reset()
		var done []string
		for _, s := range streams {
			for _, m := range s.Messages {
				if c.handle(ctx, m) {
					done = append(done, m.ID)
				}
			}
		}
		c.ack(context.WithoutCancel(ctx), done...)
	}
	return nil
}

// handle runs the handler on one entry, with a context that outlives
// shutdown long enough to finish the entry. It reports whether the entry is
// done with (handled, or given up to the dead letters) and may be acknowledged.
func (c *Consumer) handle(ctx context.Context, m redis.XMessage) bool {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.MinIdle/2)
	defer cancel()
	err := c.Handle(hctx, m.ID, m.Values)
	switch {
	case err == nil:
		return true
	case IsPermanent(err):
		c.Log.Warn("entry failed permanently", "stream", c.Stream, "id", m.ID, "err", err)
		if c.Dead != nil {
			c.Dead(hctx, m.ID, m.Values, err)
		}
		return true
	default:
		// Left pending: reclaimed after MinIdle, by this or another consumer.
		c.Log.Warn("entry failed, will retry", "stream", c.Stream, "id", m.ID, "err", err)
		return false
	}
}

// ack acknowledges a batch of handled entries in one round trip.
func (c *Consumer) ack(ctx context.Context, ids ...string) {
	if len(ids) == 0 {
		return
	}
	_, err := c.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, c.Stream, c.Group, ids...)
		if c.Delete {
			p.XDel(ctx, c.Stream, ids...)
		}
		return nil
	})
	if err != nil {
		// Not acknowledged: they will be redelivered, and the handler's
		// idempotency makes that harmless.
		c.Log.Warn("ack failed", "stream", c.Stream, "entries", len(ids), "err", err)
	}
}

// reclaim takes over entries pending longer than MinIdle (their consumer
// died or hangs) and handles them; entries delivered too often go to Dead.
func (c *Consumer) reclaim(ctx context.Context) error {
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, err := c.Client.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: c.Stream, Group: c.Group, Consumer: c.Name,
			MinIdle: c.MinIdle, Start: start, Count: c.Count,
		}).Result()
		if err != nil {
			return unavailable(err)
		}
		for _, m := range msgs {
			if m.Values == nil { // deleted while pending
				c.ack(ctx, m.ID)
				continue
			}
			if n := c.deliveries(ctx, m.ID); n > c.MaxDeliveries {
				err := fmt.Errorf("failed %d times", n-1)
				c.Log.Warn("entry given up", "stream", c.Stream, "id", m.ID, "err", err)
				if c.Dead != nil {
					c.Dead(ctx, m.ID, m.Values, Permanent(err))
				}
				c.ack(ctx, m.ID)
				continue
			}
			c.Log.Info("reclaimed entry", "stream", c.Stream, "id", m.ID)
			if c.handle(ctx, m) {
				c.ack(ctx, m.ID)
			}
		}
		if next == "0-0" || next == "" {
			return nil
		}
		start = next
	}
	return nil
}

func (c *Consumer) deliveries(ctx context.Context, id string) int64 {
	p, err := c.Client.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: c.Stream, Group: c.Group, Start: id, End: id, Count: 1}).Result()
	if err != nil || len(p) == 0 {
		return 0
	}
	return p[0].RetryCount
}
