// Package bottest is a fake Telegram Bot API server for tests: it speaks
// the methods netdesk uses, holds long polls, answers 409 while a webhook
// is set, 429 with retry_after when a rate limit is exceeded, 400 for text
// over 4,096 characters, 403 for a chat that blocked the bot, and records
// everything sent. In webhook mode it delivers updates to the webhook URL
// with the secret header, as Telegram does, until it gets a 2xx.
package bottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Options configure a Fake. A zero limit is no limit.
type Options struct {
	Token string
	// GlobalPerSecond limits sends and edits in all chats (Telegram: 30).
	GlobalPerSecond int
	// PrivatePerSecond limits sends and edits in one private chat (1).
	PrivatePerSecond int
	// GroupPerMinute limits sends and edits in one group (20).
	GroupPerMinute int
}

// TelegramLimits are the limits Telegram documents.
func TelegramLimits(token string) Options {
	return Options{Token: token, GlobalPerSecond: 30, PrivatePerSecond: 1, GroupPerMinute: 20}
}

// Sent is one call that changed something the users see.
type Sent struct {
	Method     string // sendMessage, editMessageText, answerCallbackQuery
	ChatID     int64
	MessageID  int
	Text       string
	Markup     *tgbotapi.InlineKeyboardMarkup
	ReplyTo    int
	CallbackID string
	At         time.Time
}

// Data returns the callback data of every button, row by row.
func (s Sent) Data() []string {
	var out []string
	if s.Markup != nil {
		for _, row := range s.Markup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData != nil {
					out = append(out, *b.CallbackData)
				}
			}
		}
	}
	return out
}

type msgKey struct {
	chat int64
	id   int
}

type stored struct {
	text   string
	markup *tgbotapi.InlineKeyboardMarkup
	fromMe bool
}

// Fake is a running fake Bot API.
type Fake struct {
	// URL is the base URL to give netdesk (NETDESK_TELEGRAM_API).
	URL   string
	Token string
	// Me is the bot's user.
	Me tgbotapi.User

	o    Options
	srv  *httptest.Server
	stop chan struct{}
	wg   sync.WaitGroup

	mu         sync.Mutex
	changed    chan struct{}
	updates    []tgbotapi.Update
	nextUpdate int
	served     int
	webhookURL string
	secret     string
	pollGen    int
	sent       []Sent
	calls      map[string]int
	messages   map[msgKey]*stored
	nextMsg    map[int64]int
	blocked    map[int64]bool
	throttled  int
	refused    int
	fail       map[string][]int
	global     []time.Time
	perChat    map[int64][]time.Time
	onServe    func(n int)
}

// New starts a fake Bot API for the test.
func New(tb testing.TB, o Options) *Fake {
	tb.Helper()
	if o.Token == "" {
		o.Token = "123456:TEST-token_abcdefghijklmnopqrstuv"
	}
	f := &Fake{
		Token: o.Token, o: o, stop: make(chan struct{}), changed: make(chan struct{}),
		Me:         tgbotapi.User{ID: 7000001, IsBot: true, FirstName: "netdesk", UserName: "netdesk_test_bot"},
		nextUpdate: 100000, calls: map[string]int{}, messages: map[msgKey]*stored{},
		nextMsg: map[int64]int{}, blocked: map[int64]bool{}, fail: map[string][]int{}, perChat: map[int64][]time.Time{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	f.wg.Add(1)
	go f.deliver()
	tb.Cleanup(f.Close)
	return f
}

// Close stops the fake.
func (f *Fake) Close() {
	select {
	case <-f.stop:
		return
	default:
	}
	close(f.stop)
	f.srv.CloseClientConnections()
	f.srv.Close()
	f.wg.Wait()
}

// notify wakes long polls and waiters; f.mu is held.
func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Updates.

// Push queues an update (its UpdateID is assigned) and returns its id.
func (f *Fake) Push(u tgbotapi.Update) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextUpdate++
	u.UpdateID = f.nextUpdate
	f.updates = append(f.updates, u)
	f.notify()
	return u.UpdateID
}

// Redeliver queues u again under its own UpdateID, as Telegram does with
// an update whose offset was never confirmed.
func (f *Fake) Redeliver(u tgbotapi.Update) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := 0
	for i < len(f.updates) && f.updates[i].UpdateID < u.UpdateID {
		i++
	}
	f.updates = append(f.updates[:i], append([]tgbotapi.Update{u}, f.updates[i:]...)...)
	f.notify()
}

// LastUpdates returns the updates not yet confirmed.
func (f *Fake) LastUpdates() []tgbotapi.Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tgbotapi.Update(nil), f.updates...)
}

// newMessageID takes the next message id of a chat; f.mu is held.
func (f *Fake) newMessageID(chat int64) int {
	f.nextMsg[chat]++
	return f.nextMsg[chat]
}

// PersonMessage queues a message from a person in their private chat with
// the bot (chat id = user id); Chat, From, Date and MessageID are filled.
// It returns the update id and the message id.
func (f *Fake) PersonMessage(user int64, lang string, m tgbotapi.Message) (int, int) {
	f.mu.Lock()
	m.MessageID = f.newMessageID(user)
	f.mu.Unlock()
	m.Chat = &tgbotapi.Chat{ID: user, Type: "private", FirstName: fmt.Sprintf("Person%d", user)}
	m.From = &tgbotapi.User{ID: user, FirstName: fmt.Sprintf("Person%d", user), LanguageCode: lang}
	m.Date = int(time.Now().Unix())
	return f.Push(tgbotapi.Update{Message: &m}), m.MessageID
}

// PersonEdit queues the person's edit of their message msgID to text and
// returns the update (to redeliver it).
func (f *Fake) PersonEdit(user int64, lang string, msgID int, text string) tgbotapi.Update {
	now := int(time.Now().Unix())
	m := tgbotapi.Message{MessageID: msgID, Text: text, Date: now, EditDate: now,
		Chat: &tgbotapi.Chat{ID: user, Type: "private", FirstName: fmt.Sprintf("Person%d", user)},
		From: &tgbotapi.User{ID: user, FirstName: fmt.Sprintf("Person%d", user), LanguageCode: lang}}
	u := tgbotapi.Update{EditedMessage: &m}
	u.UpdateID = f.Push(u)
	return u
}

// PersonText queues a text from a person.
func (f *Fake) PersonText(user int64, lang, text string) int {
	id, _ := f.PersonMessage(user, lang, tgbotapi.Message{Text: text})
	return id
}

// GroupText queues a message from a user in a group, replying to replyTo
// (0: no reply). It returns the update id and the message id.
func (f *Fake) GroupText(chat, user int64, text string, replyTo int) (int, int) {
	f.mu.Lock()
	m := &tgbotapi.Message{
		MessageID: f.newMessageID(chat), Text: text, Date: int(time.Now().Unix()),
		Chat: &tgbotapi.Chat{ID: chat, Type: "supergroup", Title: fmt.Sprintf("Group %d", chat)},
		From: &tgbotapi.User{ID: user, FirstName: fmt.Sprintf("Staff%d", user)},
	}
	if replyTo != 0 {
		r := &tgbotapi.Message{MessageID: replyTo, Chat: m.Chat, From: &f.Me}
		if s := f.messages[msgKey{chat, replyTo}]; s != nil {
			// Telegram sends the replied-to message with its keyboard.
			r.Text, r.ReplyMarkup = s.text, s.markup
		}
		m.ReplyToMessage = r
	}
	f.mu.Unlock()
	return f.Push(tgbotapi.Update{Message: m}), m.MessageID
}

// Press queues a button press by user on message msgID of chat, with the
// message as Telegram would attach it (current text and keyboard).
func (f *Fake) Press(chat, user int64, msgID int, data string) int {
	f.mu.Lock()
	typ := "private"
	if chat < 0 {
		typ = "supergroup"
	}
	m := &tgbotapi.Message{MessageID: msgID, Chat: &tgbotapi.Chat{ID: chat, Type: typ}, From: &f.Me}
	if s := f.messages[msgKey{chat, msgID}]; s != nil {
		m.Text, m.ReplyMarkup = s.text, s.markup
	}
	f.mu.Unlock()
	return f.Push(tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{
		ID: fmt.Sprintf("cb%d-%d-%d", chat, msgID, time.Now().UnixNano()), From: &tgbotapi.User{ID: user, FirstName: fmt.Sprintf("User%d", user)},
		Message: m, Data: data, ChatInstance: "ci",
	}})
}

// Pending is how many updates were not confirmed yet.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.updates)
}

// Served is how many updates getUpdates returned (redeliveries included).
func (f *Fake) Served() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

// OnServe calls fn (outside the fake's lock, before the answer is written)
// with the number of updates each non-empty getUpdates answer holds.
func (f *Fake) OnServe(fn func(n int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onServe = fn
}

// Webhook sets (url != "") or deletes the webhook, as setWebhook would.
func (f *Fake) Webhook(url, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhookURL, f.secret = url, secret
	f.notify()
}

// WebhookURL is the webhook currently set.
func (f *Fake) WebhookURL() (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.webhookURL, f.secret
}

// Block makes chat answer 403 "bot was blocked by the user".
func (f *Fake) Block(chat int64, blocked bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked[chat] = blocked
}

// FailNext makes the next n calls of method answer status (5xx, 400, ...).
func (f *Fake) FailNext(method string, status, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.fail[method] = append(f.fail[method], status)
	}
}

// Sent returns everything sent so far.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// SentTo returns the messages sent (method sendMessage) to chat.
func (f *Fake) SentTo(chat int64) []Sent {
	var out []Sent
	for _, s := range f.Sent() {
		if s.Method == "sendMessage" && s.ChatID == chat {
			out = append(out, s)
		}
	}
	return out
}

// Calls is how many calls of method were made (answered or not).
func (f *Fake) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Throttled is how many 429s the fake answered.
func (f *Fake) Throttled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.throttled
}

// Refused is how many sends the fake refused with 400.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Message returns the current text and keyboard of a message.
func (f *Fake) Message(chat int64, id int) (string, *tgbotapi.InlineKeyboardMarkup, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.messages[msgKey{chat, id}]
	if s == nil {
		return "", nil, false
	}
	return s.text, s.markup, true
}

// Slack multiplies every wait's timeout: waits end as soon as their
// condition holds, so a generous limit costs nothing on a quiet machine and
// spares a loaded CI machine false failures.
const Slack = 3

// Wait waits until cond holds over what was sent, or fails the test.
func (f *Fake) Wait(tb testing.TB, timeout time.Duration, what string, cond func(sent []Sent) bool) []Sent {
	tb.Helper()
	timeout *= Slack
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		sent := append([]Sent(nil), f.sent...)
		ch := f.changed
		f.mu.Unlock()
		if cond(sent) {
			return sent
		}
		select {
		case <-ch:
		case <-deadline.C:
			tb.Fatalf("timed out after %s waiting for %s (%d calls recorded)", timeout, what, len(sent))
			return nil
		}
	}
}

// The server.

type params map[string]json.RawMessage

func (p params) str(k string) string {
	var s string
	if json.Unmarshal(p[k], &s) == nil {
		return s
	}
	return strings.Trim(string(p[k]), `"`)
}

func (p params) int64(k string) (int64, bool) {
	raw := strings.Trim(string(p[k]), `"`)
	n, err := strconv.ParseInt(raw, 10, 64)
	return n, err == nil
}

func (p params) markup(k string) *tgbotapi.InlineKeyboardMarkup {
	raw := p[k]
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '"' { // form-encoded: a JSON string holding JSON
		var s string
		_ = json.Unmarshal(raw, &s)
		raw = json.RawMessage(s)
	}
	var m tgbotapi.InlineKeyboardMarkup
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return &m
}

func (p params) replyTo() int {
	var rp struct {
		MessageID int `json:"message_id"`
	}
	if raw := p["reply_parameters"]; len(raw) > 0 {
		if raw[0] == '"' {
			var s string
			_ = json.Unmarshal(raw, &s)
			raw = json.RawMessage(s)
		}
		_ = json.Unmarshal(raw, &rp)
		return rp.MessageID
	}
	n, _ := p.int64("reply_to_message_id")
	return int(n)
}

func readParams(r *http.Request) (params, error) {
	p := params{}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if len(bytes.TrimSpace(body)) == 0 {
			return p, nil
		}
		return p, json.Unmarshal(body, &p)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k := range vals {
		b, _ := json.Marshal(vals.Get(k))
		p[k] = b
	}
	for k, v := range r.URL.Query() {
		b, _ := json.Marshal(v[0])
		p[k] = b
	}
	return p, nil
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func ok(w http.ResponseWriter, result any) {
	reply(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

func fail(w http.ResponseWriter, status int, desc string, extra map[string]any) {
	body := map[string]any{"ok": false, "error_code": status, "description": desc}
	if extra != nil {
		body["parameters"] = extra
	}
	reply(w, status, body)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, _ := strings.Cut(rest, "/")
	if !found || token != f.Token {
		fail(w, http.StatusUnauthorized, "Unauthorized", nil)
		return
	}
	p, err := readParams(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: can't parse request body", nil)
		return
	}
	f.mu.Lock()
	f.calls[method]++
	if q := f.fail[method]; len(q) > 0 {
		status := q[0]
		f.fail[method] = q[1:]
		f.mu.Unlock()
		fail(w, status, fmt.Sprintf("injected failure %d", status), nil)
		return
	}
	f.mu.Unlock()
	switch method {
	case "getMe":
		ok(w, f.Me)
	case "getUpdates":
		f.getUpdates(w, r, p)
	case "setWebhook":
		u := p.str("url")
		f.Webhook(u, p.str("secret_token"))
		ok(w, true)
	case "deleteWebhook":
		f.Webhook("", "")
		ok(w, true)
	case "getWebhookInfo":
		f.mu.Lock()
		info := map[string]any{"url": f.webhookURL, "pending_update_count": len(f.updates)}
		f.mu.Unlock()
		ok(w, info)
	case "sendMessage", "editMessageText":
		f.send(w, method, p)
	case "answerCallbackQuery":
		f.mu.Lock()
		f.sent = append(f.sent, Sent{Method: method, CallbackID: p.str("callback_query_id"), Text: p.str("text"), At: time.Now()})
		f.notify()
		f.mu.Unlock()
		ok(w, true)
	default:
		fail(w, http.StatusNotFound, "Not Found: method not found", nil)
	}
}

func (f *Fake) getUpdates(w http.ResponseWriter, r *http.Request, p params) {
	offset, _ := p.int64("offset")
	timeout, _ := p.int64("timeout")
	limit, _ := p.int64("limit")
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	f.mu.Lock()
	if f.webhookURL != "" {
		f.mu.Unlock()
		fail(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", nil)
		return
	}
	if offset > 0 {
		i := 0
		for i < len(f.updates) && int64(f.updates[i].UpdateID) < offset {
			i++
		}
		f.updates = f.updates[i:]
	}
	f.pollGen++
	gen := f.pollGen
	f.notify() // an older poll still waiting is terminated
	for {
		if gen != f.pollGen {
			f.mu.Unlock()
			fail(w, http.StatusConflict, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", nil)
			return
		}
		if f.webhookURL != "" {
			f.mu.Unlock()
			fail(w, http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", nil)
			return
		}
		if n := min(len(f.updates), int(limit)); n > 0 || timeout <= 0 {
			out := append([]tgbotapi.Update{}, f.updates[:n]...)
			f.served += n
			hook := f.onServe
			f.mu.Unlock()
			if hook != nil && n > 0 {
				hook(n)
			}
			ok(w, out)
			return
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return
		case <-f.stop:
			return
		}
		f.mu.Lock()
	}
}

// limit checks the rate limits for a send to chat now; f.mu is held. It
// returns the retry_after in seconds, 0 when the send may go.
func (f *Fake) limit(chat int64, now time.Time) int {
	prune := func(ts []time.Time, window time.Duration) []time.Time {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= window {
			i++
		}
		return ts[i:]
	}
	retry := func(oldest time.Time, window time.Duration) int {
		return max(1, int(math.Ceil(oldest.Add(window).Sub(now).Seconds())))
	}
	f.global = prune(f.global, time.Second)
	if n := f.o.GlobalPerSecond; n > 0 && len(f.global) >= n {
		return retry(f.global[len(f.global)-n], time.Second)
	}
	window, n := time.Second, f.o.PrivatePerSecond
	if chat < 0 {
		window, n = time.Minute, f.o.GroupPerMinute
	}
	f.perChat[chat] = prune(f.perChat[chat], window)
	if ts := f.perChat[chat]; n > 0 && len(ts) >= n {
		return retry(ts[len(ts)-n], window)
	}
	return 0
}

func textLen(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func (f *Fake) send(w http.ResponseWriter, method string, p params) {
	chat, okChat := p.int64("chat_id")
	text := p.str("text")
	markup := p.markup("reply_markup")
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !okChat:
		f.refused++
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", nil)
		return
	case strings.TrimSpace(text) == "":
		f.refused++
		fail(w, http.StatusBadRequest, "Bad Request: message text is empty", nil)
		return
	case textLen(text) > 4096:
		f.refused++
		fail(w, http.StatusBadRequest, "Bad Request: message is too long", nil)
		return
	case f.blocked[chat]:
		fail(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", nil)
		return
	}
	var msgID int
	if method == "editMessageText" {
		id, _ := p.int64("message_id")
		msgID = int(id)
		s := f.messages[msgKey{chat, msgID}]
		if s == nil || !s.fromMe {
			f.refused++
			fail(w, http.StatusBadRequest, "Bad Request: message to edit not found", nil)
			return
		}
		if s.text == text && reflect.DeepEqual(s.markup, markup) {
			fail(w, http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", nil)
			return
		}
	}
	if retry := f.limit(chat, now); retry > 0 {
		f.throttled++
		fail(w, http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", retry), map[string]any{"retry_after": retry})
		return
	}
	f.global = append(f.global, now)
	f.perChat[chat] = append(f.perChat[chat], now)
	if method == "sendMessage" {
		msgID = f.newMessageID(chat)
		f.messages[msgKey{chat, msgID}] = &stored{text: text, markup: markup, fromMe: true}
	} else {
		s := f.messages[msgKey{chat, msgID}]
		s.text, s.markup = text, markup
	}
	f.sent = append(f.sent, Sent{Method: method, ChatID: chat, MessageID: msgID, Text: text, Markup: markup, ReplyTo: p.replyTo(), At: now})
	f.notify()
	if method == "editMessageText" {
		ok(w, map[string]any{"message_id": msgID, "chat": map[string]any{"id": chat}, "date": now.Unix(), "text": text})
		return
	}
	ok(w, tgbotapi.Message{MessageID: msgID, Chat: &tgbotapi.Chat{ID: chat}, Date: int(now.Unix()), Text: text, ReplyMarkup: markup, From: &f.Me})
}

// deliver posts updates to the webhook while one is set, in order, each
// until it is answered 2xx (as Telegram does, with a pause between tries).
func (f *Fake) deliver() {
	defer f.wg.Done()
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		f.mu.Lock()
		url, secret := f.webhookURL, f.secret
		var u *tgbotapi.Update
		if url != "" && len(f.updates) > 0 {
			first := f.updates[0]
			u = &first
		}
		ch := f.changed
		f.mu.Unlock()
		if u == nil {
			select {
			case <-ch:
				continue
			case <-f.stop:
				return
			}
		}
		body, _ := json.Marshal(u)
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := client.Do(req)
		delivered := err == nil && resp.StatusCode/100 == 2
		if resp != nil {
			_ = resp.Body.Close()
		}
		if delivered {
			f.mu.Lock()
			if len(f.updates) > 0 && f.updates[0].UpdateID == u.UpdateID {
				f.updates = f.updates[1:]
				f.served++
			}
			f.notify()
			f.mu.Unlock()
			continue
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-t.C:
		case <-f.stop:
			t.Stop()
			return
		}
	}
}
