package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/internal/backoff"
	"github.com/unmigration-iraq/netdesk/queue"
)

// PollerOptions configure a Poller.
type PollerOptions struct {
	Bot   *Bot
	API   *Client
	Store *queue.Store
	// Instance is unique per process: the lease holder.
	Instance string
	// Timeout is how long one getUpdates waits for updates (default 25 s).
	Timeout time.Duration
	// Limit is how many updates one getUpdates returns at most (default 100).
	Limit int
	// LeaseTTL is the lease of the poller (default 15 s: another process
	// takes over within that when the holder dies).
	LeaseTTL time.Duration
	Log      *slog.Logger
}

// Poller takes updates by long polling, in one process at a time (a Redis
// lease): Telegram allows one getUpdates caller per bot.
//
// The offset (the next update_id wanted) advances past an update only when
// Bot.Take has it durably; it is kept in Redis, so the next holder of the
// lease starts where this one stopped, and an update taken in but not yet
// confirmed to Telegram when a process dies comes again and is recognised.
type Poller struct {
	o   PollerOptions
	bot *Bot
	api *Client
	log *slog.Logger
}

// NewPoller returns a Poller.
func NewPoller(o PollerOptions) *Poller {
	if o.Timeout <= 0 {
		o.Timeout = 25 * time.Second
	}
	if o.Limit <= 0 {
		o.Limit = 100
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Poller{o: o, bot: o.Bot, api: o.API, log: o.Log.With("comp", "telegram-poller")}
}

// LeaseName is the Redis lease of the poller.
const LeaseName = "telegram-poller"

// offsetField is the poller's offset in Keys.State("telegram").
const offsetField = "offset"

// Run polls while this process holds the lease, until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	p.o.Store.NewLease(LeaseName, p.o.Instance, p.o.LeaseTTL).Run(ctx, p.poll)
	return nil
}

// poisonAfter is how often one update may fail to be taken, for a reason
// other than Redis being down, before it is set aside as a dead letter
// (kept, for staff to see) so it cannot stop every later update.
const poisonAfter = 10

func (p *Poller) poll(ctx context.Context) {
	offset, ok := p.loadOffset(ctx)
	if !ok {
		return
	}
	p.log.Info("polling Telegram for updates", "offset", offset)
	wait := backoff.New(time.Second, time.Minute)
	failures := map[int]int{}
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, p.o.Timeout+15*time.Second)
		updates, err := p.api.GetUpdates(rctx, offset, p.o.Timeout, p.o.Limit)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var thr *ThrottledError
			switch {
			case IsConflict(err):
				p.log.Warn("telegram answered 409 Conflict to getUpdates: a webhook is set for this bot (another deployment in webhook mode?) "+
					"or a process outside netdesk's lease polls with the same token; netdesk does not delete a webhook it did not set. "+
					"If this deployment should poll, call deleteWebhook or unset NETDESK_TELEGRAM_WEBHOOK_URL elsewhere",
					"retry_in", wait.Next())
			case IsUnauthorized(err):
				p.log.Error("telegram refused the bot token; check NETDESK_TELEGRAM_TOKEN", "retry_in", wait.Next())
			case errors.As(err, &thr):
				wait.At(thr.RetryAfter)
				p.log.Warn("telegram asked the poller to slow down", "retry_after", thr.RetryAfter)
			default:
				p.log.Warn("getUpdates failed, retrying", "err", err, "retry_in", wait.Next())
			}
			if !wait.Wait(ctx) {
				return
			}
			continue
		}
		wait.Reset()
		taken := offset
		for _, u := range updates {
			if u.UpdateID < taken {
				continue
			}
			// An update under way is finished even if the lease ends.
			tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := p.bot.Take(tctx, u)
			if err != nil && !queue.IsUnavailable(err) {
				if failures[u.UpdateID]++; failures[u.UpdateID] >= poisonAfter {
					err = p.setAside(tctx, u, err)
				}
			}
			cancel()
			if err != nil {
				p.log.Warn("update not taken, will retry", "update_id", u.UpdateID, "err", err)
				break
			}
			delete(failures, u.UpdateID)
			taken = u.UpdateID + 1
			if ctx.Err() != nil {
				break
			}
		}
		if taken != offset {
			offset = taken
			p.saveOffset(context.WithoutCancel(ctx), offset)
		} else if len(updates) > 0 && !wait.Wait(ctx) {
			return
		}
	}
}

func (p *Poller) loadOffset(ctx context.Context) (int, bool) {
	wait := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		v, ok, err := p.o.Store.StateField(ctx, "telegram", offsetField)
		if err == nil && !ok {
			return 0, true
		}
		if err == nil {
			n, _ := strconv.Atoi(v)
			return n, true
		}
		p.log.Warn("telegram offset unreadable, retrying", "err", err)
		if !wait.Wait(ctx) {
			return 0, false
		}
	}
}

func (p *Poller) saveOffset(ctx context.Context, offset int) {
	err := p.o.Store.SetStateField(ctx, "telegram", offsetField, offset)
	if err != nil {
		// Not fatal: the updates are durable and deduplicated; a restart
		// from an older offset only sees them again.
		p.log.Warn("telegram offset not saved", "err", err)
	}
}

// setAside keeps an update that cannot be taken as a dead letter.
func (p *Poller) setAside(ctx context.Context, u tgbotapi.Update, cause error) error {
	raw, _ := json.Marshal(u)
	values := map[string]any{"m": string(raw)}
	if err := p.o.Store.DeadInbound(ctx, "tg:"+strconv.Itoa(u.UpdateID), values, "telegram update not taken: "+cause.Error()); err != nil {
		return err
	}
	p.log.Error("telegram update set aside as a dead letter after repeated failures", "update_id", u.UpdateID, "err", cause)
	return nil
}
