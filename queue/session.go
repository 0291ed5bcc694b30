package queue

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoSession is returned when a session to update no longer exists.
var ErrNoSession = errors.New("no such session")

// SaveSession stores a dashboard session's data under its id for ttl.
// existing=true writes only if the session still exists (a concurrent
// logout wins), else answers ErrNoSession.
func (s *Store) SaveSession(ctx context.Context, id string, data []byte, ttl time.Duration, existing bool) error {
	args := redis.SetArgs{TTL: max(ttl, time.Second)}
	if existing {
		args.Mode = "XX"
	}
	err := s.rdb.SetArgs(ctx, s.keys.Session(id), data, args).Err()
	if errors.Is(err, redis.Nil) {
		return ErrNoSession
	}
	return unavailable(err)
}

// LoadSession returns a session's data; ok is false when there is none.
func (s *Store) LoadSession(ctx context.Context, id string) (data []byte, ok bool, err error) {
	b, err := s.rdb.Get(ctx, s.keys.Session(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, unavailable(err)
	}
	return b, true, nil
}

// EndSession deletes a session.
func (s *Store) EndSession(ctx context.Context, id string) error {
	return unavailable(s.rdb.Del(ctx, s.keys.Session(id)).Err())
}
