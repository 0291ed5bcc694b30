package followup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// BenchmarkTick measures one tick that handles 100 due reminders, with 1,000
// and with 1,000,000 inquiries stored (SPEC §11: the same order of time).
//
// Seeded per size, once, with pipelined writes: stored-100 inquiry records
// (a minimal closed record, HSET doc+ver) each with a retention timer in
// the due set months ahead (so the due set holds every stored inquiry), and
// 100 open inquiries whose first-response reminder is due. Before each
// tick (timer stopped) the 100 are reset to "not reminded, due".
func BenchmarkTick(b *testing.B) {
	for _, stored := range []int{1_000, 1_000_000} {
		e := newEnv(b, 1, followup.Options{}, nil)
		now := e.t0.Add(30 * 24 * time.Hour)
		e.clock.Set(now)
		seedStored(b, e, stored-100, now)
		due := dueInquiries(100, now)
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			ctx := context.Background()
			s := e.procs[0].sched
			for range b.N {
				b.StopTimer()
				seedDue(b, e, due, now)
				b.StartTimer()
				r, err := s.Tick(ctx)
				if err != nil || r.Done != len(due) {
					b.Fatalf("tick: %+v %v", r, err)
				}
			}
		})
	}
}

func seedStored(b *testing.B, e *env, n int, now time.Time) {
	b.Helper()
	ctx := context.Background()
	k := e.store().Keys()
	start := time.Now()
	const batch = 10_000
	for i := 0; i < n; i += batch {
		_, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := i; j < min(i+batch, n); j++ {
				ref := inquiry.Reference(fmt.Sprintf("NM-S%07d", j))
				closed := now.Add(-time.Duration(j) * time.Second)
				doc := fmt.Sprintf(`{"reference":%q,"channel":"web","status":"closed","topic":"food","agency":"WFP","created_at":%q,"closed_at":%q,"messages":null}`,
					ref, closed.Add(-time.Hour).Format(time.RFC3339), closed.Format(time.RFC3339))
				p.HSet(ctx, k.Inquiry(ref), "doc", doc, "ver", 1)
				p.ZAdd(ctx, k.Due(), redis.Z{Score: float64(closed.Add(180 * 24 * time.Hour).UnixMilli()), Member: queue.TimerMember(inquiry.TimerRetention, ref)})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d stored inquiries in %s", n, time.Since(start).Round(time.Millisecond))
}

type seeded struct {
	ref     inquiry.Reference
	doc     []byte
	contact []byte
}

func dueInquiries(n int, now time.Time) []seeded {
	out := make([]seeded, n)
	for i := range out {
		opened := now.Add(-25 * time.Hour)
		q := inquiry.Inquiry{
			Reference: inquiry.Reference(fmt.Sprintf("NM-D%07d", i)), Channel: inquiry.Telegram, Status: inquiry.Open,
			Topic: "food", Agency: "WFP", Language: "en", CreatedAt: opened, UpdatedAt: opened, OpenedAt: opened,
		}
		doc, _ := json.Marshal(q)
		contact, _ := json.Marshal(inquiry.Contact{Channel: inquiry.Telegram, Address: fmt.Sprint(100000 + i)})
		out[i] = seeded{ref: q.Reference, doc: doc, contact: contact}
	}
	return out
}

func seedDue(b *testing.B, e *env, due []seeded, now time.Time) {
	ctx := context.Background()
	k := e.store().Keys()
	_, err := e.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range due {
			p.HSet(ctx, k.Inquiry(d.ref), "doc", d.doc, "contact", d.contact, "ver", 1)
			p.Del(ctx, k.Audit(d.ref))
			p.ZAdd(ctx, k.Due(), redis.Z{Score: float64(now.Add(-time.Hour).UnixMilli()), Member: queue.TimerMember(inquiry.TimerRemind, d.ref)})
		}
		p.Del(ctx, k.Outbox(inquiry.Telegram))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
