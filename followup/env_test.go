package followup_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/routertest"
	"github.com/unmigration-iraq/netdesk/queue"
)

// clock is a settable clock shared by the "processes" of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// proc is one netdesk process: its own Redis connection, store, desk and scheduler.
type proc struct {
	store *queue.Store
	desk  *desk.Desk
	sched *followup.Scheduler
}

type env struct {
	cfg   *config.Config
	clock *clock
	rdb   *redis.Client
	procs []*proc
	t0    time.Time
}

var wfpAgent = config.Staff{ID: "omar", Agency: "WFP", Role: config.RoleAgent}

const wfpChat = "-1005"

// newEnv starts a redis-server and n processes on it. opts tunes the
// schedulers; tweak the configuration.
func newEnv(t testing.TB, n int, opts followup.Options, tweak func(*config.Config)) *env {
	t.Helper()
	srv := redistest.Start(t)
	cfg := config.Default()
	for i := range cfg.Agencies {
		cfg.Agencies[i].TelegramChat = -1000 - int64(i)
	}
	if tweak != nil {
		tweak(cfg)
	}
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	e := &env{cfg: cfg, clock: &clock{t: t0}, rdb: srv.Client(t), t0: t0}
	rt := routertest.New(t, desk.Topics(cfg))
	for range n {
		rdb := srv.Client(t)
		store := queue.NewStore(rdb, queue.Options{Prefix: "t", Policy: desk.Policy(cfg), Now: e.clock.Now})
		d := desk.New(desk.Options{Config: cfg, Store: store, Router: rt, Now: e.clock.Now,
			Channels: desk.Channels{Telegram: true, Email: true, MailDomain: "desk.example.org"}})
		o := opts
		o.Desk, o.Now = d, e.clock.Now
		s, err := followup.New(o)
		if err != nil {
			t.Fatal(err)
		}
		e.procs = append(e.procs, &proc{store: store, desk: d, sched: s})
	}
	return e
}

func (e *env) store() *queue.Store { return e.procs[0].store }
func (e *env) desk() *desk.Desk    { return e.procs[0].desk }

// inbound takes a message in as a router worker would.
func (e *env) inbound(t testing.TB, m *queue.Inbound) {
	t.Helper()
	ctx := context.Background()
	if m.At.IsZero() {
		m.At = e.clock.Now()
	}
	if _, err := e.store().Enqueue(ctx, "", "", m); err != nil {
		t.Fatal(err)
	}
	res, err := e.rdb.XRevRangeN(ctx, e.store().Keys().Inbound(), "+", "-", 1).Result()
	if err != nil || len(res) == 0 {
		t.Fatal("entry not in stream", err)
	}
	if err := e.desk().HandleInbound(ctx, res[0].ID, res[0].Values); err != nil {
		t.Fatalf("handle: %v", err)
	}
}

// telegram opens an inquiry from a chat and returns its reference.
func (e *env) telegram(t testing.TB, chat, text string) inquiry.Reference {
	t.Helper()
	e.inbound(t, &queue.Inbound{ID: "tg:" + chat + ":" + queue.NewID(), Channel: inquiry.Telegram, Address: chat, Text: text})
	ref, ok, err := e.store().Conversation(context.Background(), inquiry.Telegram, chat)
	if err != nil || !ok {
		t.Fatalf("no conversation for %s: %v", chat, err)
	}
	return ref
}

func (e *env) load(t testing.TB, ref inquiry.Reference) *inquiry.Inquiry {
	t.Helper()
	q, err := e.store().Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// outbox reads every outbox entry in Redis, both channels.
func (e *env) outbox(t testing.TB) []queue.Outbound {
	t.Helper()
	var out []queue.Outbound
	for _, ch := range []inquiry.Channel{inquiry.Telegram, inquiry.Email} {
		os, err := e.store().Outboxed(context.Background(), ch)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, os...)
	}
	return out
}

// counts returns how many outbox entries there are per "kind ref" (digests:
// "digest AGENCY"), and fails on a repeated entry id.
func (e *env) counts(t testing.TB) map[string]int {
	t.Helper()
	ids := map[string]bool{}
	n := map[string]int{}
	for _, o := range e.outbox(t) {
		if ids[o.ID] {
			t.Errorf("outbox entry id %s twice", o.ID)
		}
		ids[o.ID] = true
		key := string(o.Kind) + " " + string(o.Reference)
		if o.Kind == "digest" {
			key = "digest " + o.Agency
		}
		n[key]++
	}
	return n
}

// tickAll runs every process's tick at once, rounds times.
func (e *env) tickAll(t testing.TB, rounds int) followup.TickResult {
	t.Helper()
	var mu sync.Mutex
	var total followup.TickResult
	var wg sync.WaitGroup
	for range rounds {
		for _, p := range e.procs {
			wg.Go(func() {
				r, err := p.sched.Tick(context.Background())
				if err != nil {
					t.Errorf("tick: %v", err)
				}
				mu.Lock()
				total.Claimed += r.Claimed
				total.Done += r.Done
				total.Gone += r.Gone
				total.NotDue += r.NotDue
				total.Failed += r.Failed
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return total
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logRecorder is a slog handler that keeps messages, for tests that watch
// what a component reports.
type logRecorder struct {
	mu    *sync.Mutex
	lines *[]string
	attrs string
}

func newLogRecorder() (*slog.Logger, func() []string) {
	r := logRecorder{mu: &sync.Mutex{}, lines: new([]string)}
	return slog.New(r), func() []string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return append([]string(nil), *r.lines...)
	}
}

func (r logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message + r.attrs)
	rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	r.mu.Lock()
	*r.lines = append(*r.lines, b.String())
	r.mu.Unlock()
	return nil
}
func (r logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		r.attrs += fmt.Sprintf(" %s=%v", a.Key, a.Value)
	}
	return r
}
func (r logRecorder) WithGroup(string) slog.Handler { return r }

func count(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}
