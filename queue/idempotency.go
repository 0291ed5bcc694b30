package queue

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// idempotencyTTL is how long a retried request gets the first answer.
const idempotencyTTL = 24 * time.Hour

// pendingTTL bounds a pending marker: if the process died before storing
// an answer, nothing was queued and a retry after this is served afresh.
const pendingTTL = 30 * time.Second

// Remember stores a pending marker under an idempotency key unless a value
// is stored; it returns the stored value and whether it was there before.
// The final answer replaces the marker in the same transaction that queues
// the work (EnqueueAnswered).
func (s *Store) Remember(ctx context.Context, scope, key, answer string) (stored string, existed bool, err error) {
	k := s.keys.Idempotency(scope, key)
	ok, err := s.rdb.SetNX(ctx, k, answer, pendingTTL).Result()
	if err != nil {
		return "", false, unavailable(err)
	}
	if ok {
		return answer, false, nil
	}
	v, err := s.rdb.Get(ctx, k).Result()
	if errors.Is(err, redis.Nil) {
		return s.Remember(ctx, scope, key, answer)
	}
	if err != nil {
		return "", false, unavailable(err)
	}
	return v, true, nil
}

// Forget drops an idempotency key, so a request that failed can be retried.
func (s *Store) Forget(ctx context.Context, scope, key string) error {
	return unavailable(s.rdb.Del(ctx, s.keys.Idempotency(scope, key)).Err())
}
