package queue

import (
	"context"
	"time"
)

// Allow counts one event for id under scope and reports whether it stays
// within limit per window. It is shared by every process on the Redis, so
// a client cannot escape a limit by reaching another instance.
func (s *Store) Allow(ctx context.Context, scope, id string, limit int, window time.Duration) (bool, error) {
	if limit <= 0 {
		return true, nil
	}
	w := s.now().UnixMilli() / window.Milliseconds()
	n, err := rateScript.Run(ctx, s.rdb, []string{s.keys.Rate(scope, id, w)}, limit, window.Milliseconds()).Int()
	if err != nil {
		return false, unavailable(err)
	}
	return n <= limit, nil
}
