package queue_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/queue"
)

var policy = inquiry.Policy{FirstResponse: time.Hour, EscalateAfter: 2 * time.Hour, CheckInAfter: 3 * time.Hour, AutoCloseAfter: 4 * time.Hour, Retention: 24 * time.Hour}

func newStore(t *testing.T) (*queue.Store, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	c := srv.Client(t)
	return queue.NewStore(c, queue.Options{Prefix: "t", Policy: policy}), c
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func newInquiry(ref string, agency string, urgent bool, at time.Time) *inquiry.Inquiry {
	q := &inquiry.Inquiry{
		Reference: inquiry.Reference(ref), Channel: inquiry.Web, Status: inquiry.Open, Topic: "food",
		Agency: agency, Support: []string{"IOM"}, Urgent: urgent, Language: "en",
		CreatedAt: at, UpdatedAt: at, OpenedAt: at,
		Contact: inquiry.Contact{Channel: inquiry.Web, Address: "a@example.org"},
	}
	q.AddIncoming(inquiry.Message{ID: "m1", Channel: inquiry.Web, Author: "person", Text: "hello", At: at})
	return q
}

func TestCreateLoadAndQueueOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	for _, q := range []*inquiry.Inquiry{
		newInquiry("NM-000001", "WFP", false, t0),
		newInquiry("NM-000002", "WFP", true, t0.Add(time.Minute)),
		newInquiry("NM-000003", "WFP", false, t0.Add(-time.Minute)),
		newInquiry("NM-000004", "UNHCR", false, t0),
	} {
		if err := s.Create(ctx, q, &queue.Effects{Processed: "web:" + string(q.Reference)}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	got, err := s.Load(ctx, "NM-000001")
	if err != nil {
		t.Fatal(err)
	}
	if got.Agency != "WFP" || len(got.Messages) != 1 || got.Messages[0].Text != "hello" || got.Contact.Address != "a@example.org" || got.Version != 1 {
		t.Errorf("loaded %+v", got)
	}
	qs, err := s.Queue(ctx, []string{"WFP"}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	var order []inquiry.Reference
	for _, q := range qs {
		order = append(order, q.Reference)
	}
	want := []inquiry.Reference{"NM-000002", "NM-000003", "NM-000001"} // urgent first, then oldest
	if len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Errorf("queue order = %v, want %v", order, want)
	}
	// The supporting agency sees all four.
	if qs, _ := s.Queue(ctx, []string{"IOM"}, false, 0); len(qs) != 4 {
		t.Errorf("IOM (supporting) queue has %d, want 4", len(qs))
	}
	if _, err := s.Load(ctx, "NM-NOPE00"); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Errorf("unknown reference: %v", err)
	}
	// A second create with the same processed key is a duplicate.
	err = s.Create(ctx, newInquiry("NM-000009", "WFP", false, t0), &queue.Effects{Processed: "web:NM-000001"})
	var dup *queue.Duplicate
	if !errors.As(err, &dup) || dup.Reference != "NM-000001" {
		t.Errorf("duplicate create: %v", err)
	}
	if _, err := s.Load(ctx, "NM-000009"); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Error("a duplicate must change nothing")
	}
	// A taken reference asks the caller to pick another.
	if err := s.Create(ctx, newInquiry("NM-000001", "WFP", false, t0), nil); !errors.Is(err, queue.ErrRetry) {
		t.Errorf("reference collision: %v", err)
	}
}

func TestUpdateMovesIndexesAndTimers(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	q := newInquiry("NM-00000A", "WFP", false, t0)
	if err := s.Create(ctx, q, nil); err != nil {
		t.Fatal(err)
	}
	timers, _ := s.DueTimers(ctx, q.Reference)
	if !timers[inquiry.TimerRemind].Equal(t0.Add(time.Hour)) || !timers[inquiry.TimerEscalate].Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("open timers = %v", timers)
	}
	// Claim cancels the SLA timers.
	if _, err := s.Update(ctx, q.Reference, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
		return nil, q.Claim("amina", t0.Add(time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	if timers, _ := s.DueTimers(ctx, q.Reference); len(timers) != 0 {
		t.Errorf("claimed timers = %v, want none", timers)
	}
	// Reassign to UNHCR: leaves WFP's queue, enters UNHCR's, SLA restarts.
	at := t0.Add(10 * time.Minute)
	if _, err := s.Update(ctx, q.Reference, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
		return &queue.Effects{Outbox: []queue.Outbound{{Channel: inquiry.Telegram, Kind: "card", To: "-100"}}}, q.Assign("UNHCR", at)
	}); err != nil {
		t.Fatal(err)
	}
	if qs, _ := s.Queue(ctx, []string{"WFP"}, false, 0); len(qs) != 0 {
		t.Errorf("WFP still has %d", len(qs))
	}
	if qs, _ := s.Queue(ctx, []string{"UNHCR"}, false, 0); len(qs) != 1 {
		t.Errorf("UNHCR has %d", len(qs))
	}
	if timers, _ := s.DueTimers(ctx, q.Reference); !timers[inquiry.TimerRemind].Equal(at.Add(time.Hour)) {
		t.Errorf("after reassign timers = %v", timers)
	}
	if n, _ := s.Client().XLen(ctx, s.Keys().Outbox(inquiry.Telegram)).Result(); n != 1 {
		t.Errorf("outbox has %d entries, want the card written with the change", n)
	}
	// Close: out of every queue, retention timer set.
	closedAt := t0.Add(time.Hour)
	if _, err := s.Update(ctx, q.Reference, "", func(q *inquiry.Inquiry) (*queue.Effects, error) { return nil, q.Close(closedAt) }); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"UNHCR", "IOM"} {
		if qs, _ := s.Queue(ctx, []string{a}, false, 0); len(qs) != 0 {
			t.Errorf("%s still lists a closed inquiry", a)
		}
	}
	if qs, _ := s.Queue(ctx, []string{"UNHCR"}, true, 10); len(qs) != 1 || qs[0].Status != inquiry.Closed {
		t.Errorf("closed listing = %v", qs)
	}
	if timers, _ := s.DueTimers(ctx, q.Reference); len(timers) != 1 || !timers[inquiry.TimerRetention].Equal(closedAt.Add(24*time.Hour)) {
		t.Errorf("closed timers = %v", timers)
	}
	// A failing update changes nothing.
	before, _ := s.Load(ctx, q.Reference)
	_, err := s.Update(ctx, q.Reference, "", func(q *inquiry.Inquiry) (*queue.Effects, error) { return nil, q.Close(t0) })
	if inquiry.ErrorCode(err) != inquiry.ECONFLICT {
		t.Errorf("closing twice: %v", err)
	}
	after, _ := s.Load(ctx, q.Reference)
	if after.Version != before.Version {
		t.Error("a refused update changed the record")
	}
}

func TestConcurrentUpdatesAreSerialized(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	q := newInquiry("NM-00000B", "WFP", false, t0)
	if err := s.Create(ctx, q, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(ctx, q.Reference, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
				q.AddIncoming(inquiry.Message{ID: queue.NewID(), Text: "m", At: t0.Add(time.Duration(i) * time.Second)})
				return nil, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := s.Load(ctx, q.Reference)
	if len(got.Messages) != 21 || got.Version != 21 {
		t.Errorf("messages = %d, version = %d; want 21 and 21 (no lost update)", len(got.Messages), got.Version)
	}
}

func TestEnqueueDeduplicates(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	m := &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Text: "x", At: t0}
	for i, want := range []bool{true, false, false} {
		added, err := s.Enqueue(ctx, "tg", "1", m)
		if err != nil || added != want {
			t.Errorf("enqueue #%d: added=%v err=%v", i, added, err)
		}
	}
	if n, _ := c.XLen(ctx, s.Keys().Inbound()).Result(); n != 1 {
		t.Errorf("stream has %d entries, want 1", n)
	}
}

// TestWorkerKilledBetweenReadAndAck: a consumer reads an entry and dies
// before acknowledging it; another consumer reclaims it and handles it once.
func TestWorkerKilledBetweenReadAndAck(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	stream := s.Keys().Inbound()
	for i := range 5 {
		if _, err := s.Enqueue(ctx, "tg", string(rune('a'+i)), &queue.Inbound{ID: "x", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	// The dying worker: reads everything, handles nothing, never acks.
	if err := queue.EnsureGroup(ctx, c, stream, "g"); err != nil {
		t.Fatal(err)
	}
	res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "dead", Streams: []string{stream, ">"}, Count: 10}).Result()
	if err != nil || len(res[0].Messages) != 5 {
		t.Fatalf("read: %v %v", res, err)
	}
	// The survivor handles each entry idempotently (a SETNX per entry id
	// counts first handlings) and must see all five, once each.
	var handled, firsts atomic.Int64
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	survivor := &queue.Consumer{Client: c, Stream: stream, Group: "g", Name: "alive", MinIdle: 50 * time.Millisecond, Block: 50 * time.Millisecond, Delete: true,
		Handle: func(ctx context.Context, id string, _ map[string]any) error {
			handled.Add(1)
			if ok, _ := c.SetNX(ctx, "handled:"+id, 1, 0).Result(); ok {
				firsts.Add(1)
			}
			return nil
		}}
	done := make(chan struct{})
	go func() { survivor.Run(runCtx); close(done) }()
	waitFor(t, func() bool {
		p, _ := c.XPending(ctx, stream, "g").Result()
		return p != nil && p.Count == 0 && firsts.Load() == 5
	})
	cancel()
	<-done
	if handled.Load() != 5 || firsts.Load() != 5 {
		t.Errorf("handled %d times, %d distinct; want 5 and 5", handled.Load(), firsts.Load())
	}
	if n, _ := c.XLen(ctx, stream).Result(); n != 0 {
		t.Errorf("%d entries left in the stream after ack+delete", n)
	}
}

func TestPermanentFailureGoesToDeadLetters(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	stream := s.Keys().Inbound()
	if _, err := s.Enqueue(ctx, "", "", &queue.Inbound{ID: "bad"}); err != nil {
		t.Fatal(err)
	}
	var dead atomic.Int64
	runCtx, cancel := context.WithCancel(ctx)
	cons := &queue.Consumer{Client: c, Stream: stream, Group: "g", Name: "w", Block: 50 * time.Millisecond,
		Handle: func(context.Context, string, map[string]any) error {
			return queue.Permanent(errors.New("cannot route"))
		},
		Dead: func(context.Context, string, map[string]any, error) { dead.Add(1) }}
	done := make(chan struct{})
	go func() { cons.Run(runCtx); close(done) }()
	waitFor(t, func() bool { return dead.Load() == 1 })
	cancel()
	<-done
	if p, _ := c.XPending(ctx, stream, "g").Result(); p.Count != 0 {
		t.Errorf("a dead-lettered entry must be acknowledged; %d pending", p.Count)
	}
}

func TestLeaseHasOneHolder(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	a := s.NewLease("poller", "a", 200*time.Millisecond)
	b := s.NewLease("poller", "b", 200*time.Millisecond)
	if ok, _ := a.TryAcquire(ctx); !ok {
		t.Fatal("a could not take a free lease")
	}
	if ok, _ := b.TryAcquire(ctx); ok {
		t.Fatal("b took a held lease")
	}
	if ok, _ := a.TryAcquire(ctx); !ok {
		t.Fatal("a could not renew")
	}
	// a dies (no renewal): b takes over once the lease expires.
	waitFor(t, func() bool { ok, _ := b.TryAcquire(ctx); return ok })
	if ok, _ := a.TryAcquire(ctx); ok {
		t.Fatal("a took the lease back from b")
	}
	if err := b.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.TryAcquire(ctx); !ok {
		t.Fatal("released lease not free")
	}
}

func TestClaimDueOnce(t *testing.T) {
	ctx := context.Background()
	s, c := newStore(t)
	for i := range 50 {
		c.ZAdd(ctx, s.Keys().Due(), redis.Z{Score: float64(t0.Add(time.Duration(i) * time.Minute).UnixMilli()), Member: queue.TimerMember("remind", inquiry.Reference("NM-"+string(rune('A'+i%26))+string(rune('A'+i/26))+"0000"))})
	}
	now := t0.Add(30 * time.Minute) // 31 due
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ts, err := s.ClaimDue(ctx, now, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ts) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ts {
					seen[d.Member]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 31 {
		t.Errorf("claimed %d distinct timers, want 31", len(seen))
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", m, n)
		}
	}
	// Nobody finished them: after the lease they are handed out again, once.
	again, _ := s.ClaimDue(ctx, now.Add(2*time.Minute), time.Minute, 100)
	if len(again) != 33 { // the 31 expired claims and the two newly due
		t.Errorf("after lease expiry claimed %d, want 33", len(again))
	}
	for _, d := range again {
		if err := s.DoneDue(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if rest, _ := s.ClaimDue(ctx, now.Add(10*time.Minute), time.Minute, 100); len(rest) != 8 {
		t.Errorf("after done, %d claimed, want the 8 newly due", len(rest))
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	for i := range 5 {
		ok, err := s.Allow(ctx, "intake", "1.2.3.4", 3, time.Minute)
		if err != nil || ok != (i < 3) {
			t.Errorf("event %d: ok=%v err=%v", i, ok, err)
		}
	}
	if ok, _ := s.Allow(ctx, "intake", "5.6.7.8", 3, time.Minute); !ok {
		t.Error("another client must have its own budget")
	}
	if ok, _ := s.Allow(ctx, "intake", "1.2.3.4", 0, time.Minute); !ok {
		t.Error("limit 0 turns the limit off")
	}
}

func TestKeysShareOneSlotAndHidePersonalData(t *testing.T) {
	k := queue.NewKeys("netdesk")
	keys := []string{k.Inbound(), k.Inquiry("NM-ABCDEF"), k.AgencyQueue("WFP"), k.Due(), k.Person(inquiry.Telegram, "5550001"), k.MessageID("<a@b>"), k.Person(inquiry.Email, "amina@example.org")}
	for _, key := range keys {
		if key[:9] != "{netdesk}" {
			t.Errorf("key %q lacks the {netdesk} hash tag", key)
		}
	}
	for _, secret := range []string{"5550001", "amina@example.org", "a@b"} {
		for _, key := range keys {
			if strings.Contains(key, secret) {
				t.Errorf("key %q shows personal data %q", key, secret)
			}
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
