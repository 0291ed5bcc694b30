package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/backoff"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Options wire a Bot.
type Options struct {
	Desk *desk.Desk
	API  *Client
	Log  *slog.Logger
}

// Bot takes Telegram updates in, from the poller or the webhook: people's
// messages go durably onto the inbound stream (the router workers make
// them inquiries); commands, button presses and staff actions are carried
// out at once, through the desk, with what they send queued on the outbox.
type Bot struct {
	desk  *desk.Desk
	cfg   *config.Config
	store *queue.Store
	api   *Client
	log   *slog.Logger
	// username is the bot's @name once getMe answered ("" before): a
	// command in a group addressed to another bot (/queue@other) is not ours.
	username atomic.Value
}

// New returns a Bot.
func New(o Options) *Bot {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{desk: o.Desk, cfg: o.Desk.Config(), store: o.Desk.Store(), api: o.API, log: o.Log.With("comp", "telegram")}
	b.username.Store("")
	return b
}

// Source is the Enqueue source of Telegram updates ("tg", with the update_id).
const Source = "tg"

// seenTTL is how long an update_id is remembered against redelivery.
const seenTTL = 30 * 24 * time.Hour

// Take handles one update. It returns nil once the update is durably taken
// (a person's message on the inbound stream, an action carried out) or
// deliberately ignored; only then may the update be acknowledged to
// Telegram (the poller's offset, the webhook's 200). An error means: try
// the same update again later. A replayed update_id changes nothing.
func (b *Bot) Take(ctx context.Context, u tgbotapi.Update) error {
	id := strconv.Itoa(u.UpdateID)
	switch {
	case u.Message != nil && u.Message.Chat != nil:
		m := u.Message
		switch m.Chat.Type {
		case "private":
			return b.private(ctx, id, m)
		case "group", "supergroup":
			ag, ok := b.cfg.AgencyByChat(m.Chat.ID)
			if !ok {
				b.unknownGroup(ctx, m.Chat)
				return nil // not a staff group: ignored, nothing kept
			}
			if !strings.HasPrefix(m.Text, "/") && m.ReplyToMessage == nil {
				return nil // staff talking among themselves
			}
			return b.once(ctx, id, func() error { return b.staffMessage(ctx, id, ag, m) })
		}
	case u.EditedMessage != nil && u.EditedMessage.Chat != nil && u.EditedMessage.Chat.Type == "private":
		// A person corrected a message: the new text joins the inquiry as a
		// message of its own. Edits in groups change nothing.
		m := u.EditedMessage
		if (m.From != nil && m.From.IsBot) || strings.HasPrefix(m.Text, "/") {
			return nil
		}
		return b.personMessage(ctx, id, strconv.FormatInt(m.Chat.ID, 10), m, true)
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		cb := u.CallbackQuery
		if cb.Message == nil || cb.Message.Chat == nil {
			b.answer(ctx, cb.ID, "")
			return nil
		}
		switch cb.Message.Chat.Type {
		case "private":
			return b.once(ctx, id, func() error { return b.personCallback(ctx, id, cb) })
		case "group", "supergroup":
			ag, ok := b.cfg.AgencyByChat(cb.Message.Chat.ID)
			if !ok {
				b.answer(ctx, cb.ID, "")
				return nil
			}
			return b.once(ctx, id, func() error { return b.staffCallback(ctx, id, ag, cb) })
		}
	}
	return nil
}

// once runs fn for an update that is carried out at once (not queued),
// unless the update was taken before. Each step fn takes is safe to repeat
// (the outbox entries it queues have ids derived from the update_id, so
// the sender sends them once; a staff reply is recorded with the update as
// its idempotency key), so a crash between fn and the mark only repeats
// steps that change nothing.
func (b *Bot) once(ctx context.Context, id string, fn func() error) error {
	done, err := b.store.Handled(ctx, Source, id)
	if err != nil {
		return fmt.Errorf("telegram update %s: %w", id, err)
	}
	if done {
		return nil
	}
	if err := fn(); err != nil {
		return fmt.Errorf("telegram update %s: %w", id, err)
	}
	if err := b.store.MarkHandled(ctx, Source, id, seenTTL); err != nil {
		return fmt.Errorf("telegram update %s: %w", id, err)
	}
	return nil
}

// Identify asks Telegram who the bot is, retrying until it answers (the
// Bot API may be unreachable when serve starts: nothing waits for this).
func (b *Bot) Identify(ctx context.Context) error {
	wait := backoff.New(time.Second, 5*time.Minute)
	for {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		me, err := b.api.GetMe(rctx)
		cancel()
		if err == nil {
			b.username.Store(me.UserName)
			b.log.Info("telegram bot ready", "bot", "@"+me.UserName)
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if IsUnauthorized(err) {
			b.log.Error("telegram refused the bot token; check NETDESK_TELEGRAM_TOKEN", "err", err)
		} else {
			b.log.Warn("telegram not reachable yet, retrying", "err", err, "in", wait.Next())
		}
		if !wait.Wait(ctx) {
			return nil
		}
	}
}

// RegisterWebhook tells Telegram where to send updates, retrying until it
// accepts.
func (b *Bot) RegisterWebhook(ctx context.Context, url, secret string) error {
	wait := backoff.New(time.Second, 5*time.Minute)
	for {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := b.api.SetWebhook(rctx, url, secret)
		cancel()
		if err == nil {
			b.log.Info("telegram webhook set", "url", url)
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		b.log.Warn("telegram webhook not set yet, retrying", "err", err, "in", wait.Next())
		if !wait.Wait(ctx) {
			return nil
		}
	}
}

// command splits "/cmd@bot args" into "/cmd" and args. A command for
// another bot, or text that is no command, gives "".
func (b *Bot) command(text string) (string, string) {
	if !strings.HasPrefix(text, "/") {
		return "", text
	}
	word, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(word, "\n"); i >= 0 {
		word, rest = word[:i], word[i+1:]+" "+rest
	}
	cmd, to, addressed := strings.Cut(word, "@")
	if me := b.username.Load().(string); addressed && me != "" && !strings.EqualFold(to, me) {
		return "", text
	}
	return strings.ToLower(cmd), strings.TrimSpace(rest)
}

// say queues a message the bot sends in answer to an update; its id comes
// from the update, so taking the update again does not send it twice.
func (b *Bot) say(ctx context.Context, o queue.Outbound, updateID, suffix string) error {
	o.ID = "tg-" + updateID + "-" + suffix
	o.Channel = inquiry.Telegram
	if o.Kind == "" {
		o.Kind = queue.KindNotice
	}
	return b.store.Send(ctx, o)
}

// answer answers a button press; a failure is logged only (the press may
// be too old to answer, after a replay).
func (b *Bot) answer(ctx context.Context, id, text string) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := b.api.AnswerCallback(rctx, id, text); err != nil {
		b.log.Debug("callback not answered", "err", err)
	}
}

func (b *Bot) unknownGroup(ctx context.Context, chat *tgbotapi.Chat) {
	// A group's id is not personal; logging it is how an admin finds the
	// telegram_chat to configure. Once per group per 10 minutes.
	ok, err := b.store.Allow(ctx, "tg-unknown-group", strconv.FormatInt(chat.ID, 10), 1, 10*time.Minute)
	if err == nil && ok {
		b.log.Info("ignoring a Telegram group that is not an agency's staff group (set telegram_chat to make it one)",
			"chat_id", chat.ID, "title", chat.Title)
	}
}

// Person state (hash Keys.PersonState): the chosen language, and whether
// the person blocked the bot.
const (
	fieldLang    = "lang"
	fieldBlocked = "blocked"
)

type person struct {
	lang    string
	blocked bool
}

func (b *Bot) person(ctx context.Context, chat string) (person, error) {
	v, err := b.store.PersonFields(ctx, inquiry.Telegram, chat, fieldLang, fieldBlocked)
	if err != nil {
		return person{}, err
	}
	return person{lang: v[0], blocked: v[1] == "1"}, nil
}
