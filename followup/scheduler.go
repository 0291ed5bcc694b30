// Package followup runs the follow-ups of SPEC §9 on cron schedules
// (github.com/robfig/cron/v3, in the network's time zone): a frequent tick
// that carries out the follow-up timers that are due (reminders,
// escalations, check-ins, auto-closes, retention purges) and a daily digest
// per agency.
//
// The timers themselves are not kept here: every save of an inquiry derives
// them from its state (inquiry.Timers) and the store keeps them in a Redis
// sorted set by due time. A tick claims only the timers that are due
// (queue.Store.ClaimDue: one script, cost by due items, not by stored
// inquiries), and each claim goes to one scheduler. desk.FollowUp re-checks
// the inquiry and queues the message in the transaction that sets the
// inquiry's flag, so a claim retried after a crash sends nothing twice.
package followup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Defaults of Options.
const (
	// DefaultClaimLease is how long a claimed timer stays with the scheduler
	// that claimed it; if that process dies, another handles the timer after
	// this. A batch takes well under a second to handle.
	DefaultClaimLease = 2 * time.Minute
	// DefaultBatch is how many due timers one claim takes.
	DefaultBatch = 100
	// DefaultWorkers is how many claimed timers are handled at once.
	DefaultWorkers = 4
	// digestMark is how long the per-day digest mark is kept.
	digestMark = 72 * time.Hour
)

// Scheduler runs the follow-up jobs.
type Scheduler struct {
	desk       *desk.Desk
	store      *queue.Store
	cfg        *config.Config
	now        func() time.Time
	log        *slog.Logger
	loc        *time.Location
	tick       cron.Schedule
	digest     cron.Schedule
	claimLease time.Duration
	batch      int
	workers    int
}

// Options configure a Scheduler.
type Options struct {
	Desk *desk.Desk
	// Now is the clock that decides what is due; time.Now when nil. (The
	// cron schedules themselves fire on wall time.)
	Now func() time.Time
	Log *slog.Logger
	// ClaimLease: see DefaultClaimLease.
	ClaimLease time.Duration
	// Batch: see DefaultBatch.
	Batch int
	// Workers: see DefaultWorkers.
	Workers int
}

// New returns a Scheduler for the desk's configuration (followups.tick,
// followups.digest, network.timezone).
func New(o Options) (*Scheduler, error) {
	if o.Desk == nil {
		return nil, errors.New("followup: no desk")
	}
	cfg := o.Desk.Config()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.ClaimLease <= 0 {
		o.ClaimLease = DefaultClaimLease
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	tick, err := config.CronParser.Parse(cfg.Followups.Tick)
	if err != nil {
		return nil, fmt.Errorf("followups.tick %q: %w", cfg.Followups.Tick, err)
	}
	digest, err := config.CronParser.Parse(cfg.Followups.Digest)
	if err != nil {
		return nil, fmt.Errorf("followups.digest %q: %w", cfg.Followups.Digest, err)
	}
	return &Scheduler{
		desk: o.Desk, store: o.Desk.Store(), cfg: cfg, now: o.Now, log: o.Log.With("comp", "followup"),
		loc: cfg.Location(), tick: tick, digest: digest, claimLease: o.ClaimLease, batch: o.Batch, workers: o.Workers,
	}, nil
}

// TickResult counts what one tick did.
type TickResult struct {
	Claimed int // timers claimed (due, or left by a scheduler that died)
	Done    int // follow-ups carried out
	Gone    int // timers that no longer applied (the inquiry changed)
	NotDue  int // timers that had moved later
	Failed  int // left claimed; handled again after the claim lease
}

// Tick carries out every follow-up due at the scheduler's clock. Each
// timer is claimed atomically, so schedulers in several processes never
// handle the same one at once; one that fails (or whose process dies) stays
// claimed and is handled again after the claim lease. When ctx ends, the
// timer in hand is finished and the rest wait for their lease.
func (s *Scheduler) Tick(ctx context.Context) (TickResult, error) {
	now := s.now()
	work := context.WithoutCancel(ctx) // the timer in hand is finished
	var r TickResult
	// A timer handled in this tick that is due again at once (which only a
	// bug would cause) is left claimed for a later tick, so a tick always ends.
	seen := map[string]bool{}
	for ctx.Err() == nil {
		ts, err := s.store.ClaimDue(ctx, now, s.claimLease, s.batch)
		if err != nil {
			return r, fmt.Errorf("claim due follow-ups: %w", err)
		}
		r.Claimed += len(ts)
		fresh := ts[:0:0]
		for _, t := range ts {
			if seen[t.Member] {
				r.Failed++
				s.log.Error("follow-up due again right after it was handled; left for a later tick", "kind", t.Kind, "ref", t.Reference)
				continue
			}
			seen[t.Member] = true
			fresh = append(fresh, t)
		}
		s.handleAll(ctx, work, fresh, now, &r)
		if len(ts) < s.batch || len(fresh) == 0 {
			break
		}
	}
	if r.Claimed > 0 {
		s.log.Info("follow-up tick", "claimed", r.Claimed, "done", r.Done, "gone", r.Gone, "not_due", r.NotDue, "failed", r.Failed)
	}
	return r, ctx.Err()
}

// handleAll handles claimed timers, a few at a time, until they are done
// or stop ends (the ones not started stay claimed).
func (s *Scheduler) handleAll(stop, work context.Context, ts []queue.DueTimer, now time.Time, r *TickResult) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, s.workers)
	for _, t := range ts {
		if stop.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			outcome := s.handle(work, t, now)
			mu.Lock()
			defer mu.Unlock()
			switch outcome {
			case desk.FollowUpDone:
				r.Done++
			case desk.FollowUpGone:
				r.Gone++
			case desk.FollowUpNotDue:
				r.NotDue++
			default:
				r.Failed++
			}
		})
	}
	wg.Wait()
}

// handle carries out one claimed timer and releases its claim; "" means it
// failed and stays claimed.
func (s *Scheduler) handle(ctx context.Context, t queue.DueTimer, now time.Time) string {
	outcome, err := s.desk.FollowUp(ctx, t.Kind, t.Reference, now)
	if err != nil {
		s.log.Warn("follow-up failed; it is retried after the claim lease", "kind", t.Kind, "ref", t.Reference, "err", err)
		return ""
	}
	if err := s.store.DoneDue(ctx, t); err != nil {
		// Handled but still claimed: handled again after the lease, when
		// it finds nothing left to do.
		s.log.Warn("follow-up claim not released", "kind", t.Kind, "ref", t.Reference, "err", err)
		return ""
	}
	return outcome
}

// Digest queues each agency's daily digest, once per day (in the network's
// time zone) however many schedulers call it: the digest and its per-day
// mark are written in one transaction. It returns how many it queued.
func (s *Scheduler) Digest(ctx context.Context) (int, error) {
	now := s.now()
	day := now.In(s.loc).Format(time.DateOnly)
	msgs, err := s.desk.Digests(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("digest: %w", err)
	}
	n := 0
	for _, o := range msgs {
		sent, err := s.store.SendOnce(ctx, s.store.Keys().DigestSent(o.Agency, day), digestMark, o)
		if err != nil {
			return n, fmt.Errorf("digest for %s: %w", o.Agency, err)
		}
		if sent {
			n++
		}
	}
	if n > 0 {
		s.log.Info("daily digests queued", "day", day, "agencies", n)
	}
	return n, nil
}

// digestDue reports whether today's digest time (network time zone) has
// passed, so a scheduler that starts after it (a restart, a lease handed
// over at the wrong second) still sends the day's digest.
func (s *Scheduler) digestDue(now time.Time) bool {
	local := now.In(s.loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.loc)
	first := s.digest.Next(midnight.Add(-time.Second))
	return !first.After(local) && first.Format(time.DateOnly) == local.Format(time.DateOnly)
}

// Run runs the schedules until ctx ends, then waits for a running job to
// finish. It starts with a tick (catching up on what fell due while no
// scheduler ran) and today's digest if its time has passed. In serve it
// runs under a Redis lease, so one process at a time runs it; the claims
// and the per-day digest mark keep a lease handover from sending twice.
func (s *Scheduler) Run(ctx context.Context) error {
	logger := cronLogger{s.log}
	chain := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))
	tickJob := chain.Then(cron.FuncJob(func() {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("follow-up tick failed", "err", err)
		}
	}))
	digestJob := chain.Then(cron.FuncJob(func() {
		if _, err := s.Digest(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("digest failed", "err", err)
		}
	}))
	c := cron.New(cron.WithLocation(s.loc), cron.WithLogger(logger))
	c.Schedule(s.tick, tickJob)
	c.Schedule(s.digest, digestJob)

	tickJob.Run()
	if s.digestDue(s.now()) {
		digestJob.Run()
	}
	c.Start()
	s.log.Info("scheduler running", "tick", s.cfg.Followups.Tick, "digest", s.cfg.Followups.Digest, "timezone", s.loc.String())
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

// cronLogger sends cron's own messages to slog (its chatter at debug).
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
