package followup_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/routertest"
	"github.com/unmigration-iraq/netdesk/queue"
)

func TestNewRefusesBadSpecs(t *testing.T) {
	e := newEnv(t, 1, followup.Options{}, nil)
	for _, c := range []struct{ tick, digest string }{{"every minute", "0 9 * * *"}, {"@every 1m", "9am"}} {
		e.cfg.Followups.Tick, e.cfg.Followups.Digest = c.tick, c.digest
		if _, err := followup.New(followup.Options{Desk: e.desk()}); err == nil {
			t.Errorf("accepted tick %q digest %q", c.tick, c.digest)
		}
	}
	if _, err := followup.New(followup.Options{}); err == nil {
		t.Error("accepted no desk")
	}
}

// A tick takes only what is due, and each follow-up of an inquiry's life
// happens at its time.
func TestTickHandlesWhatIsDue(t *testing.T) {
	e := newEnv(t, 1, followup.Options{}, nil)
	ctx := context.Background()
	s := e.procs[0].sched
	f := e.cfg.Followups
	a := e.telegram(t, "8001", "food rations stopped")
	e.clock.Add(time.Hour)
	b := e.telegram(t, "8002", "food basket please")

	if r, _ := s.Tick(ctx); r.Claimed != 0 {
		t.Fatalf("tick before anything is due: %+v", r)
	}
	e.clock.Set(e.t0.Add(f.FirstResponse.D()))
	r, err := s.Tick(ctx)
	if err != nil || r.Claimed != 1 || r.Done != 1 {
		t.Fatalf("first reminder tick: %+v %v", r, err)
	}
	n := e.counts(t)
	if n["reminder "+string(a)] != 1 || n["reminder "+string(b)] != 0 {
		t.Errorf("after the first due time: %v", n)
	}
	// b is claimed by staff before its reminder: nothing goes out for it.
	if _, err := e.desk().Claim(ctx, wfpAgent, b); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.t0.Add(f.EscalateAfter.D() + time.Hour))
	r, _ = s.Tick(ctx)
	if r.Done != 1 {
		t.Errorf("escalation tick: %+v", r)
	}
	n = e.counts(t)
	if n["escalation "+string(a)] != 1 || n["reminder "+string(b)] != 0 || n["escalation "+string(b)] != 0 {
		t.Errorf("after escalation: %v", n)
	}
	if r, _ := s.Tick(ctx); r.Claimed != 0 {
		t.Errorf("a tick with nothing due claimed %d", r.Claimed)
	}
	if n, _ := e.rdb.ZCard(ctx, e.store().Keys().DueClaims()).Result(); n != 0 {
		t.Errorf("%d claims left", n)
	}
}

// Two schedulers on one Redis, ticking at the same moments, through the
// whole life of many inquiries: every follow-up message is queued once.
func TestTwoSchedulersSendEachFollowUpOnce(t *testing.T) {
	e := newEnv(t, 2, followup.Options{Batch: 7}, func(c *config.Config) {
		for i := range c.Agencies { // some agencies work by email
			if c.Agencies[i].ID == "SECRETARIAT" {
				c.Agencies[i].TelegramChat, c.Agencies[i].Email = 0, "secretariat@example.org"
			}
		}
	})
	ctx := context.Background()
	f := e.cfg.Followups
	const n = 30
	var refs []inquiry.Reference
	for i := range n {
		if i%3 == 0 {
			id := fmt.Sprintf("<m%d@example.org>", i)
			e.inbound(t, &queue.Inbound{ID: "mail:" + id, Channel: inquiry.Email, Address: fmt.Sprintf("p%d@example.org", i),
				Subject: "Food", Text: "food rations stopped", MessageID: id})
			ref, _, _ := e.store().ThreadReference(ctx, id)
			refs = append(refs, ref)
		} else {
			refs = append(refs, e.telegram(t, fmt.Sprint(9000+i), "food basket please"))
		}
	}
	var done int
	step := func(at time.Time) {
		e.clock.Set(at)
		r := e.tickAll(t, 3)
		done += r.Done
		if r.Failed != 0 {
			t.Errorf("failures at %v: %+v", at, r)
		}
	}
	step(e.t0.Add(f.FirstResponse.D()))
	step(e.t0.Add(f.EscalateAfter.D()))
	answered := e.t0.Add(f.EscalateAfter.D() + time.Hour)
	e.clock.Set(answered)
	for _, ref := range refs {
		if _, _, err := e.desk().Reply(ctx, wfpAgent, ref, "Rations resume on Sunday"); err != nil {
			t.Fatal(err)
		}
	}
	step(answered.Add(f.CheckInAfter.D()))
	closed := answered.Add(f.CheckInAfter.D() + f.AutoCloseAfter.D())
	step(closed)
	step(closed.Add(f.Retention.D()))

	var wg sync.WaitGroup
	for range 3 {
		for _, p := range e.procs {
			wg.Go(func() {
				if _, err := p.sched.Digest(ctx); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()

	counts := e.counts(t)
	for _, ref := range refs {
		for _, kind := range []string{"reminder", "escalation", "check_in", "auto_close"} {
			if c := counts[kind+" "+string(ref)]; c != 1 {
				t.Errorf("%s of %s queued %d times", kind, ref, c)
			}
		}
		if q := e.load(t, ref); !q.Erased || q.Status != inquiry.Closed {
			t.Errorf("%s not closed and erased: %s erased=%t", ref, q.Status, q.Erased)
		}
	}
	for _, a := range e.cfg.Agencies {
		if c := counts["digest "+a.ID]; c != 1 {
			t.Errorf("digest for %s queued %d times", a.ID, c)
		}
	}
	if want := 5 * n; done != want {
		t.Errorf("follow-ups done = %d, want %d", done, want)
	}
	// The secretariat works by email: escalations went there.
	var escMail int
	for _, o := range e.outbox(t) {
		if o.Kind == "escalation" && o.Channel == inquiry.Email && o.To == "secretariat@example.org" {
			escMail++
		}
	}
	if escMail != n {
		t.Errorf("%d escalations by email, want %d", escMail, n)
	}
	for _, k := range []string{e.store().Keys().Due(), e.store().Keys().DueClaims()} {
		if c, _ := e.rdb.ZCard(ctx, k).Result(); c != 0 {
			t.Errorf("%s holds %d timers at the end", k, c)
		}
	}
}

// A scheduler that dies mid-tick (claims, maybe handles, never releases):
// its claims go to another scheduler after the claim lease, and each
// follow-up is still queued once.
func TestKilledSchedulerClaimsAreRetriedOnce(t *testing.T) {
	const lease = time.Minute
	e := newEnv(t, 2, followup.Options{ClaimLease: lease}, nil)
	ctx := context.Background()
	var refs []inquiry.Reference
	for i := range 20 {
		refs = append(refs, e.telegram(t, fmt.Sprint(9100+i), "food basket please"))
	}
	due := e.t0.Add(e.cfg.Followups.FirstResponse.D())
	e.clock.Set(due)

	// Process A claims everything, handles half, and dies before releasing.
	dead := e.procs[0]
	claimed, err := dead.store.ClaimDue(ctx, due, lease, 100)
	if err != nil || len(claimed) != 20 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}
	for _, c := range claimed[:10] {
		if got, err := dead.desk.FollowUp(ctx, c.Kind, c.Reference, due); err != nil || got != desk.FollowUpDone {
			t.Fatalf("follow-up %s: %s %v", c.Reference, got, err)
		}
	}
	live := e.procs[1].sched
	if r, _ := live.Tick(ctx); r.Claimed != 0 {
		t.Fatalf("claims taken before their lease ran out: %+v", r)
	}
	e.clock.Set(due.Add(lease / 2))
	if r, _ := live.Tick(ctx); r.Claimed != 0 {
		t.Fatalf("claims taken before their lease ran out: %+v", r)
	}
	reminders := func() int {
		n := 0
		for k, c := range e.counts(t) {
			if strings.HasPrefix(k, "reminder ") {
				n += c
			}
		}
		return n
	}
	if got := reminders(); got != 10 {
		t.Fatalf("%d reminders before the retry, want 10", got)
	}

	e.clock.Set(due.Add(lease + time.Second))
	r, err := live.Tick(ctx)
	if err != nil || r.Claimed != 20 || r.Done != 10 || r.Gone != 10 {
		t.Fatalf("retry tick: %+v %v", r, err)
	}
	counts := e.counts(t)
	for _, ref := range refs {
		if counts["reminder "+string(ref)] != 1 {
			t.Errorf("reminder of %s queued %d times", ref, counts["reminder "+string(ref)])
		}
	}
	if r, _ := live.Tick(ctx); r.Claimed != 0 {
		t.Errorf("claimed again after the retry: %+v", r)
	}
	if c, _ := e.rdb.ZCard(ctx, e.store().Keys().DueClaims()).Result(); c != 0 {
		t.Errorf("%d claims left", c)
	}
	// The escalations are still scheduled, for later.
	if c, _ := e.rdb.ZCard(ctx, e.store().Keys().Due()).Result(); c != 20 {
		t.Errorf("%d timers due later, want the 20 escalations", c)
	}
}

// A stopped tick leaves nothing half-done: with ctx already ended it
// claims nothing.
func TestTickStopsWithContext(t *testing.T) {
	e := newEnv(t, 1, followup.Options{}, nil)
	e.telegram(t, "9200", "food basket please")
	e.clock.Set(e.t0.Add(e.cfg.Followups.FirstResponse.D()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := e.procs[0].sched.Tick(ctx); err == nil || r.Claimed != 0 {
		t.Errorf("cancelled tick: %+v %v", r, err)
	}
	if r, _ := e.procs[0].sched.Tick(context.Background()); r.Done != 1 {
		t.Errorf("the timer was lost by a cancelled tick: %+v", r)
	}
}

// The cron wiring, with seconds specs: two schedulers running at once (as
// during a lease handover) send each reminder and each digest once.
func TestCronRunsTickAndDigest(t *testing.T) {
	e := newEnv(t, 2, followup.Options{}, func(c *config.Config) {
		c.Followups.Tick = "* * * * * *"   // every second
		c.Followups.Digest = "* * * * * *" // every second: the per-day mark keeps it daily
		// Short delays, so the test stays within one day.
		c.Followups.FirstResponse, c.Followups.EscalateAfter = config.Duration(time.Hour), config.Duration(2*time.Hour)
	})
	a := e.telegram(t, "9300", "food basket please")
	e.clock.Set(e.t0.Add(e.cfg.Followups.FirstResponse.D()))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, p := range e.procs {
		wg.Go(func() {
			if err := p.sched.Run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(t, "the first reminder", 10*time.Second, func() bool { return e.counts(t)["reminder "+string(a)] == 1 })
	// A later inquiry: the cron keeps ticking.
	b := e.telegram(t, "9301", "food rations stopped")
	e.clock.Add(e.cfg.Followups.FirstResponse.D())
	waitFor(t, "the second reminder and the first escalation", 10*time.Second, func() bool {
		c := e.counts(t)
		return c["reminder "+string(b)] == 1 && c["escalation "+string(a)] == 1
	})
	cancel()
	wg.Wait()

	counts := e.counts(t)
	if counts["reminder "+string(a)] != 1 || counts["reminder "+string(b)] != 1 || counts["escalation "+string(a)] != 1 {
		t.Errorf("follow-ups: %v", counts)
	}
	for _, ag := range e.cfg.Agencies {
		if c := counts["digest "+ag.ID]; c != 1 {
			t.Errorf("digest for %s queued %d times", ag.ID, c)
		}
	}
}

// In serve the scheduler runs under the "scheduler" lease: one process at
// a time, and another takes over when the holder stops.
func TestSchedulerUnderLease(t *testing.T) {
	e := newEnv(t, 2, followup.Options{}, func(c *config.Config) { c.Followups.Tick = "* * * * * *" })
	var logs []func() []string
	var scheds []*followup.Scheduler
	for _, p := range e.procs {
		l, lines := newLogRecorder()
		s, err := followup.New(followup.Options{Desk: p.desk, Now: e.clock.Now, Log: l})
		if err != nil {
			t.Fatal(err)
		}
		scheds, logs = append(scheds, s), append(logs, lines)
	}
	run := func(i int) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		lease := e.procs[i].store.NewLease("scheduler", fmt.Sprint("p", i), 3*time.Second)
		go func() {
			defer close(done)
			lease.Run(ctx, func(held context.Context) { _ = scheds[i].Run(held) })
		}()
		return func() { cancel(); <-done }
	}
	stop0 := run(0)
	waitFor(t, "process 0 to run the scheduler", 5*time.Second, func() bool { return count(logs[0](), "scheduler running") == 1 })
	stop1 := run(1)
	defer stop1()
	a := e.telegram(t, "9400", "food basket please")
	e.clock.Set(e.t0.Add(e.cfg.Followups.FirstResponse.D()))
	waitFor(t, "a reminder from process 0", 10*time.Second, func() bool { return e.counts(t)["reminder "+string(a)] == 1 })
	if count(logs[1](), "scheduler running") != 0 {
		t.Fatal("process 1 runs the scheduler while process 0 holds the lease")
	}
	stop0() // releases the lease
	waitFor(t, "process 1 to take over", 5*time.Second, func() bool { return count(logs[1](), "scheduler running") == 1 })
	b := e.telegram(t, "9401", "food rations stopped")
	e.clock.Add(e.cfg.Followups.FirstResponse.D())
	waitFor(t, "a reminder from process 1", 10*time.Second, func() bool { return e.counts(t)["reminder "+string(b)] == 1 })
	if c := e.counts(t)["reminder "+string(a)]; c != 1 {
		t.Errorf("first reminder queued %d times", c)
	}
}

// The digest of a day not yet sent goes out when a scheduler starts after
// its time; never twice.
func TestDigestCatchUpOnStart(t *testing.T) {
	e := newEnv(t, 1, followup.Options{}, func(c *config.Config) {
		c.Followups.Tick = "@every 1h"
		c.Followups.Digest = "0 9 * * *" // 09:00 Baghdad = 06:00 UTC
	})
	l, lines := newLogRecorder()
	s, err := followup.New(followup.Options{Desk: e.desk(), Now: e.clock.Now, Log: l})
	if err != nil {
		t.Fatal(err)
	}
	run := func(at time.Time) map[string]int {
		e.clock.Set(at)
		started := count(lines(), "scheduler running")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = s.Run(ctx) }()
		// Run reports running after its start-up work; cron's first tick
		// is an hour away.
		waitFor(t, "the scheduler to start", 5*time.Second, func() bool { return count(lines(), "scheduler running") > started })
		cancel()
		<-done
		return e.counts(t)
	}
	early := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC) // 08:00 in Baghdad
	if c := run(early); c["digest WFP"] != 0 {
		t.Errorf("digest sent before its time: %v", c)
	}
	late := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC) // 10:00 in Baghdad
	if c := run(late); c["digest WFP"] != 1 {
		t.Errorf("missed digest not caught up: %v", c)
	}
	if c := run(late.Add(time.Hour)); c["digest WFP"] != 1 {
		t.Errorf("digest sent twice in a day: %v", c)
	}
	if c := run(late.Add(24 * time.Hour)); c["digest WFP"] != 2 {
		t.Errorf("next day's digest: %v", c)
	}
}

// serve without NETDESK_REDIS_URL runs on the embedded store: the claim
// script and the digest transaction work there too.
func TestTickOnEmbeddedStore(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()
	cfg := config.Default()
	for i := range cfg.Agencies {
		cfg.Agencies[i].TelegramChat = -1000 - int64(i)
	}
	clk := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	store := queue.NewStore(rdb, queue.Options{Policy: desk.Policy(cfg), Now: clk.Now})
	rt := routertest.New(t, desk.Topics(cfg))
	d := desk.New(desk.Options{Config: cfg, Store: store, Router: rt, Now: clk.Now, Channels: desk.Channels{Telegram: true}})
	s, err := followup.New(followup.Options{Desk: d, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := store.Enqueue(ctx, "", "", &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "1", Text: "food basket please", At: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	res, _ := rdb.XRange(ctx, store.Keys().Inbound(), "-", "+").Result()
	if err := d.HandleInbound(ctx, res[0].ID, res[0].Values); err != nil {
		t.Fatal(err)
	}
	clk.Set(clk.Now().Add(cfg.Followups.FirstResponse.D()))
	if r, err := s.Tick(ctx); err != nil || r.Done != 1 {
		t.Errorf("tick: %+v %v", r, err)
	}
	for range 2 {
		if _, err := s.Digest(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := rdb.XLen(ctx, store.Keys().Outbox(inquiry.Telegram)).Result(); n != int64(2+1+len(cfg.Agencies)) {
		t.Errorf("outbox holds %d entries, want ack, card, reminder and %d digests", n, len(cfg.Agencies))
	}
}
