package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Queue returns the inquiries waiting with the given agencies (lead or
// supporting), urgent first then oldest. Closed inquiries are listed only
// when closed is true, newest closed first, after the open ones.
func (s *Store) Queue(ctx context.Context, agencies []string, closed bool, limit int) ([]*inquiry.Inquiry, error) {
	seen := map[string]bool{}
	type scored struct {
		ref   string
		score float64
	}
	var all []scored
	for _, a := range agencies {
		zs, err := s.rdb.ZRangeWithScores(ctx, s.keys.AgencyQueue(a), 0, -1).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		for _, z := range zs {
			ref := z.Member.(string)
			if !seen[ref] {
				seen[ref] = true
				all = append(all, scored{ref, z.Score})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b scored) int {
		switch {
		case a.score < b.score:
			return -1
		case a.score > b.score:
			return 1
		}
		return 0
	})
	refs := make([]inquiry.Reference, 0, len(all))
	for _, a := range all {
		refs = append(refs, inquiry.Reference(a.ref))
	}
	if closed {
		cl, err := s.rdb.ZRevRangeByScore(ctx, s.keys.Closed(), &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: int64(max(limit, 1) * 4)}).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		for _, r := range cl {
			refs = append(refs, inquiry.Reference(r))
		}
	}
	qs, err := s.Records(ctx, refs)
	if err != nil {
		return nil, err
	}
	if closed && agencies != nil {
		qs = slices.DeleteFunc(qs, func(q *inquiry.Inquiry) bool {
			return q.Status == inquiry.Closed && !slices.ContainsFunc(agencies, q.Involves)
		})
	}
	return qs, nil
}

// Records loads the inquiry records (without messages) of refs, in order,
// skipping any that no longer exist.
func (s *Store) Records(ctx context.Context, refs []inquiry.Reference) ([]*inquiry.Inquiry, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.SliceCmd, len(refs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range refs {
			cmds[i] = p.HMGet(ctx, s.keys.Inquiry(r), fieldDoc, fieldVersion)
		}
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]*inquiry.Inquiry, 0, len(refs))
	for i, c := range cmds {
		v := c.Val()
		doc, _ := v[0].(string)
		if doc == "" {
			continue
		}
		q := new(inquiry.Inquiry)
		if err := json.Unmarshal([]byte(doc), q); err != nil {
			return nil, fmt.Errorf("record %s: %w", refs[i], err)
		}
		out = append(out, q)
	}
	return out, nil
}

// Since returns the references of inquiries created at or after t.
func (s *Store) Since(ctx context.Context, t time.Time) ([]inquiry.Reference, error) {
	rs, err := s.rdb.ZRangeByScore(ctx, s.keys.All(), &redis.ZRangeBy{Min: fmt.Sprint(t.UnixMilli()), Max: "+inf"}).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]inquiry.Reference, len(rs))
	for i, r := range rs {
		out[i] = inquiry.Reference(r)
	}
	return out, nil
}

// AuditTrail returns an inquiry's audit entries, oldest first.
func (s *Store) AuditTrail(ctx context.Context, ref inquiry.Reference) ([]AuditEntry, error) {
	raw, err := s.rdb.LRange(ctx, s.keys.Audit(ref), 0, -1).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]AuditEntry, 0, len(raw))
	for _, r := range raw {
		var e AuditEntry
		if json.Unmarshal([]byte(r), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// Audit appends an entry to an inquiry's trail outside any change (a view).
func (s *Store) Audit(ctx context.Context, ref inquiry.Reference, e AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return unavailable(s.rdb.RPush(ctx, s.keys.Audit(ref), b).Err())
}

// QueueDepths returns the number of inquiries not closed per agency.
func (s *Store) QueueDepths(ctx context.Context, agencies []string) (map[string]int64, error) {
	cmds := make([]*redis.IntCmd, len(agencies))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, a := range agencies {
			cmds[i] = p.ZCard(ctx, s.keys.AgencyQueue(a))
		}
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	out := make(map[string]int64, len(agencies))
	for i, a := range agencies {
		out[a] = cmds[i].Val()
	}
	return out, nil
}

// StreamLength returns the entries waiting in the inbound stream and in the
// outbox of each channel, for metrics.
func (s *Store) StreamLengths(ctx context.Context) (map[string]int64, error) {
	names := map[string]string{
		"inbound":         s.keys.Inbound(),
		"outbox_telegram": s.keys.Outbox(inquiry.Telegram),
		"outbox_email":    s.keys.Outbox(inquiry.Email),
		"dead":            s.keys.DeadLetters(),
	}
	out := map[string]int64{}
	for n, k := range names {
		v, err := s.rdb.XLen(ctx, k).Result()
		if err != nil {
			return nil, unavailable(err)
		}
		out[n] = v
	}
	return out, nil
}

// Counters returns the anonymous totals.
func (s *Store) Counters(ctx context.Context) (map[string]int64, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.Counters()).Result()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		var n int64
		fmt.Sscan(v, &n)
		out[k] = n
	}
	return out, nil
}
