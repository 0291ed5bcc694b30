package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SendOnce queues msgs and sets key in one transaction, unless key is
// already set: what it guards (a daily digest) is queued exactly once
// however many processes try, and never lost to a crash between the two.
// It returns false when key was set, by an earlier or a concurrent call.
func (s *Store) SendOnce(ctx context.Context, key string, ttl time.Duration, msgs ...Outbound) (bool, error) {
	sent := false
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Exists(ctx, key).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, s.now().UTC().Format(time.RFC3339), ttl)
			for i := range msgs {
				if err := s.addOutbound(ctx, p, &msgs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			sent = true
		}
		return err
	}, key)
	if errors.Is(err, redis.TxFailedErr) {
		return false, nil // a concurrent call set the key: it queued them
	}
	if err != nil {
		return false, fmt.Errorf("send once: %w", unavailable(err))
	}
	return sent, nil
}
