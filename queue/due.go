package queue

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// DueTimer is a follow-up claimed by a scheduler.
type DueTimer struct {
	Kind      string
	Reference inquiry.Reference
	Member    string
}

// ClaimDue takes up to limit timers due at now. Each goes to exactly one
// caller; one not finished (Done) within lease is handed out again.
// The cost depends on the number of due timers, not of stored inquiries.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]DueTimer, error) {
	res, err := claimDueScript.Run(ctx, s.rdb, []string{s.keys.Due(), s.keys.DueClaims()},
		now.UnixMilli(), lease.Milliseconds(), limit).StringSlice()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]DueTimer, 0, len(res))
	for _, m := range res {
		kind, ref, _ := strings.Cut(m, "|")
		out = append(out, DueTimer{Kind: kind, Reference: inquiry.Reference(ref), Member: m})
	}
	return out, nil
}

// DoneDue releases a handled timer's claim.
func (s *Store) DoneDue(ctx context.Context, t DueTimer) error {
	return unavailable(s.rdb.ZRem(ctx, s.keys.DueClaims(), t.Member).Err())
}

// DueTimers lists the pending timers of an inquiry (for tests and staff views).
func (s *Store) DueTimers(ctx context.Context, ref inquiry.Reference) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, kind := range []string{inquiry.TimerRemind, inquiry.TimerEscalate, inquiry.TimerCheckIn, inquiry.TimerAutoClose, inquiry.TimerRetention} {
		sc, err := s.rdb.ZScore(ctx, s.keys.Due(), TimerMember(kind, ref)).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return nil, unavailable(err)
		}
		out[kind] = time.UnixMilli(int64(sc))
	}
	return out, nil
}
