package bot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/routertest"
	"github.com/unmigration-iraq/netdesk/internal/testlog"
	"github.com/unmigration-iraq/netdesk/queue"
)

// The test network: every agency has a staff group; a few staff members
// have Telegram accounts.
const (
	groupSecretariat int64 = -1001
	groupIOM         int64 = -1002
	groupUNHCR       int64 = -1003
	groupILO         int64 = -1005
	groupWFP         int64 = -1006

	userAmina int64 = 5550001 // UNHCR agent
	userOmar  int64 = 5550002 // WFP agent
	userSara  int64 = 5550003 // coordinator (SECRETARIAT)
	userKarim int64 = 5550004 // ILO agent
	userNoone int64 = 5559999 // not staff
)

const testAgencies = `
agencies:
  - {id: SECRETARIAT, name: Network Secretariat, telegram_chat: -1001}
  - {id: IOM, name: IOM, telegram_chat: -1002}
  - {id: UNHCR, name: UNHCR, telegram_chat: -1003}
  - {id: UNICEF, name: UNICEF, telegram_chat: -1004}
  - {id: ILO, name: ILO, telegram_chat: -1005}
  - {id: WFP, name: WFP, telegram_chat: -1006}
  - {id: FAO, name: FAO, telegram_chat: -1007}
  - {id: UNFPA, name: UNFPA, telegram_chat: -1008}
  - {id: UNESCO, name: UNESCO, telegram_chat: -1009}
  - {id: UNDP, name: UNDP, telegram_chat: -1010}
  - {id: UNIDO, name: UNIDO, telegram_chat: -1011}
  - {id: UNOPS, name: UNOPS, telegram_chat: -1012}
  - {id: OCHA, name: OCHA, telegram_chat: -1013}
  - {id: UNODC, name: UNODC, telegram_chat: -1014}
staff:
  - {id: amina, name: Amina, agency: UNHCR, role: agent, telegram_user: 5550001}
  - {id: omar, name: Omar, agency: WFP, role: agent, telegram_user: 5550002}
  - {id: sara, name: Sara, agency: SECRETARIAT, role: coordinator, telegram_user: 5550003}
  - {id: karim, name: Karim, agency: ILO, role: agent, telegram_user: 5550004}
`

// fastLimits keep the tests quick; the limits Telegram documents are
// exercised by the rate tests and the benchmark.
const fastLimits = `
limits: {intake_per_minute: 0, telegram_per_minute: 20, max_text_chars: 20000, max_email_bytes: 26214400,
         send_private_per_second: 20, send_group_per_minute: 1200, send_per_second: 500}
`

// writeConfig writes a network file with the test agencies and limits.
func writeConfig(tb testing.TB, limits string) string {
	path := filepath.Join(tb.TempDir(), "network.yaml")
	if err := os.WriteFile(path, []byte(testAgencies+limits), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

type envOptions struct {
	limits   string          // YAML limits section; fastLimits when ""
	fake     bottest.Options // the fake's limits
	webhook  bool            // no poller
	noSender bool            // no sender (tests that look at the outbox)
	noRouter bool            // no router workers
	sender   func(*SenderOptions)
}

type env struct {
	t      testing.TB
	redis  *redistest.Server
	rdb    *redis.Client
	fake   *bottest.Fake
	cfg    *config.Config
	store  *queue.Store
	desk   *desk.Desk
	api    *Client
	bot    *Bot
	logs   *testlog.Buffer
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	e := &env{t: tb, logs: &testlog.Buffer{}}
	e.redis = redistest.Start(tb)
	e.rdb = e.redis.Client(tb)
	e.fake = bottest.New(tb, o.fake)
	if o.limits == "" {
		o.limits = fastLimits
	}
	vars := map[string]string{"NETDESK_TELEGRAM_TOKEN": e.fake.Token, "NETDESK_TELEGRAM_API": e.fake.URL, "NETDESK_REDIS_URL": e.redis.URL}
	cfg, err := config.Load(writeConfig(tb, o.limits), func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	e.cfg = cfg
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.store = queue.NewStore(e.rdb, queue.Options{Policy: desk.Policy(cfg), Log: e.log})
	rt := routertest.New(tb, desk.Topics(cfg))
	e.desk = desk.New(desk.Options{Config: cfg, Store: e.store, Router: rt, Log: e.log, Channels: desk.Channels{Telegram: true}})
	e.api = NewClient(e.fake.URL, e.fake.Token, nil)
	e.bot = New(Options{Desk: e.desk, API: e.api, Log: e.log})
	e.ctx, e.cancel = context.WithCancel(context.Background())
	tb.Cleanup(func() {
		e.cancel()
		e.wg.Wait()
		if strings.Contains(e.logs.String(), e.fake.Token) {
			tb.Errorf("the bot token appears in the logs")
		}
	})
	if !o.noRouter {
		for i := range 2 {
			e.run(e.desk.RouterWorker(fmt.Sprintf("router-%d", i), 200*time.Millisecond, 0).Run)
		}
	}
	if !o.noSender {
		so := SenderOptions{Store: e.store, API: e.api, Config: cfg, Name: "test", Log: e.log}
		if o.sender != nil {
			o.sender(&so)
		}
		e.run(NewSender(so).Run)
	}
	if !o.webhook {
		p := NewPoller(PollerOptions{Bot: e.bot, API: e.api, Store: e.store, Instance: "test-poller", Timeout: 2 * time.Second, Log: e.log})
		e.run(p.Run)
	}
	return e
}

// stop ends the env's background components and waits for them.
func (e *env) stop() {
	e.cancel()
	e.wg.Wait()
}

func (e *env) run(fn func(context.Context) error) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		_ = fn(e.ctx)
	}()
}

// eventually waits for cond, polling (Redis state has no change feed).
// The timeout is what a quiet machine needs; bottest.Slack stretches it for
// a CI machine that runs every package's race-detector tests at once.
func eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	timeout *= bottest.Slack
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inquiryOf waits for the person's current inquiry and returns it.
func (e *env) inquiryOf(chat int64) *inquiry.Inquiry {
	e.t.Helper()
	var q *inquiry.Inquiry
	eventually(e.t, 10*time.Second, fmt.Sprintf("an inquiry for chat %d", chat), func() bool {
		ref, ok, err := e.store.Conversation(context.Background(), inquiry.Telegram, fmt.Sprint(chat))
		if err != nil || !ok {
			return false
		}
		q, err = e.store.Load(context.Background(), ref)
		return err == nil
	})
	return q
}

// load reads an inquiry.
func (e *env) load(ref inquiry.Reference) *inquiry.Inquiry {
	e.t.Helper()
	q, err := e.store.Load(context.Background(), ref)
	if err != nil {
		e.t.Fatalf("load %s: %v", ref, err)
	}
	return q
}

// cardFor waits for the card of ref in a group and returns it.
func (e *env) cardFor(group int64, ref inquiry.Reference) bottest.Sent {
	e.t.Helper()
	var card bottest.Sent
	e.fake.Wait(e.t, 10*time.Second, fmt.Sprintf("a card for %s in group %d", ref, group), func(sent []bottest.Sent) bool {
		for _, s := range sent {
			if s.Method == "sendMessage" && s.ChatID == group && strings.Contains(s.Text, string(ref)) {
				card = s
				return true
			}
		}
		return false
	})
	return card
}

// waitText waits for a message to chat containing substr.
func (e *env) waitText(chat int64, substr string) bottest.Sent {
	e.t.Helper()
	var got bottest.Sent
	e.fake.Wait(e.t, 10*time.Second, fmt.Sprintf("a message to %d containing %q", chat, substr), func(sent []bottest.Sent) bool {
		for _, s := range sent {
			if s.Method == "sendMessage" && s.ChatID == chat && strings.Contains(s.Text, substr) {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

// waitAnswer waits for a callback answer containing substr.
func (e *env) waitAnswer(substr string) bottest.Sent {
	e.t.Helper()
	var got bottest.Sent
	e.fake.Wait(e.t, 10*time.Second, fmt.Sprintf("a callback answer %q", substr), func(sent []bottest.Sent) bool {
		for _, s := range sent {
			if s.Method == "answerCallbackQuery" && strings.Contains(s.Text, substr) {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

// taken waits until the fake has no unconfirmed update left.
func (e *env) taken() {
	e.t.Helper()
	eventually(e.t, 10*time.Second, "every update confirmed", func() bool { return e.fake.Pending() == 0 })
}

// seen reports whether an update was taken.
func (e *env) seen(updateID int) bool {
	n, _ := e.rdb.Exists(context.Background(), e.store.Keys().Seen(Source, fmt.Sprint(updateID))).Result()
	return n > 0
}

// Updates built by hand, for tests that call Bot.Take directly.
var handUpdates atomic.Int64

func init() { handUpdates.Store(900000) }

func personUpdate(user int64, text string) tgbotapi.Update {
	id := int(handUpdates.Add(1))
	return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{
		MessageID: id, Text: text, Date: int(time.Now().Unix()),
		Chat: &tgbotapi.Chat{ID: user, Type: "private"}, From: &tgbotapi.User{ID: user, FirstName: "P"},
	}}
}

func groupUpdate(chat, user int64, text string) tgbotapi.Update {
	id := int(handUpdates.Add(1))
	return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{
		MessageID: id, Text: text, Date: int(time.Now().Unix()),
		Chat: &tgbotapi.Chat{ID: chat, Type: "supergroup"}, From: &tgbotapi.User{ID: user, FirstName: "S"},
	}}
}

func groupReply(chat, user int64, text string, replyTo int) tgbotapi.Update {
	u := groupUpdate(chat, user, text)
	u.Message.ReplyToMessage = &tgbotapi.Message{MessageID: replyTo, Chat: u.Message.Chat}
	return u
}

// pressUpdate is a button press on a message the fake holds.
func pressUpdate(e *env, chat, user int64, msgID int, data string) tgbotapi.Update {
	text, kb, _ := e.fake.Message(chat, msgID)
	id := int(handUpdates.Add(1))
	return tgbotapi.Update{UpdateID: id, CallbackQuery: &tgbotapi.CallbackQuery{
		ID: fmt.Sprint("hand-", id), From: &tgbotapi.User{ID: user, FirstName: "S"}, Data: data,
		Message: &tgbotapi.Message{MessageID: msgID, Text: text, ReplyMarkup: kb, Chat: &tgbotapi.Chat{ID: chat, Type: "supergroup"}},
	}}
}
