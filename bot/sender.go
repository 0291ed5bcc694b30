package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/backoff"
	"github.com/unmigration-iraq/netdesk/queue"
)

// SenderGroup is the consumer group that moves the Telegram outbox into the
// send schedule.
const SenderGroup = "senders"

// SenderOptions configure a Sender.
type SenderOptions struct {
	Store  *queue.Store
	API    *Client
	Config *config.Config
	// Name is unique per process (the consumer name in the outbox group).
	Name string
	// Workers is how many requests one process has in flight (default 16).
	Workers int
	// Margin slows every limit down by this fraction, so that network
	// jitter cannot make two requests arrive closer than Telegram allows
	// (default 0.03: 30/s becomes 29.1/s).
	Margin float64
	// Lease is how long a claimed chat stays with a sender before another
	// may take it over (default 30 s; longer than any request).
	Lease time.Duration
	// MaxAttempts is how many network or 5xx failures an entry survives
	// before it goes to the dead letters (default 8).
	MaxAttempts int
	// RequestTimeout bounds one send (default 15 s).
	RequestTimeout time.Duration
	// MoverIdle is how long an outbox entry read by a process that died
	// waits before another process moves it (default 10 s).
	MoverIdle time.Duration
	Log       *slog.Logger
}

// Sender delivers the Telegram outbox: one request at a time per chat,
// within Telegram's limits, safety messages and acks first, cards for a
// busy group combined, nothing sent twice except after a crash in the
// instant between Telegram's answer and the record of it (see sendState).
//
// It runs two parts: a queue.Consumer on the outbox stream that moves each
// entry into the Redis schedule (schedule.go), and workers that claim due
// chats from the schedule and send.
type Sender struct {
	o     SenderOptions
	store *queue.Store
	sched queue.SendSchedule
	api   *Client
	cfg   *config.Config
	log   *slog.Logger
	kick  chan struct{}

	private, group, overall time.Duration // intervals
	slack                   time.Duration // of the overall limit
}

// NewSender returns a Sender.
func NewSender(o SenderOptions) *Sender {
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Margin == 0 {
		o.Margin = 0.03
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 15 * time.Second
	}
	if o.MoverIdle <= 0 {
		o.MoverIdle = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	l := o.Config.Limits
	interval := func(per float64, unit time.Duration) time.Duration {
		if per <= 0 {
			return 0
		}
		return time.Duration(float64(unit) / per * (1 + o.Margin))
	}
	return &Sender{
		o: o, store: o.Store, api: o.API, cfg: o.Config,
		sched:   o.Store.SendSchedule(),
		log:     o.Log.With("comp", "telegram-sender"),
		kick:    make(chan struct{}, 1),
		private: interval(l.SendPrivatePerSecond, time.Second),
		group:   interval(l.SendGroupPerMinute, time.Minute),
		overall: interval(l.SendPerSecond, time.Second),
		slack:   min(time.Duration(o.Margin*float64(time.Second)/2), interval(l.SendPerSecond, time.Second)/2),
	}
}

// Run sends until ctx ends, then finishes the requests in flight.
func (s *Sender) Run(ctx context.Context) error {
	mover := &queue.Consumer{
		Client: s.store.Client(), Stream: s.store.Keys().Outbox(inquiry.Telegram), Group: SenderGroup,
		Name: s.o.Name + "-tg", Handle: s.move, Delete: true, MinIdle: s.o.MoverIdle, Log: s.log,
		Dead: func(ctx context.Context, id string, values map[string]any, err error) {
			o, derr := queue.DecodeOutbound(values)
			if derr != nil {
				o = queue.Outbound{ID: id, Channel: inquiry.Telegram, Kind: queue.KindUndecodable}
			}
			if derr := s.store.DeadLetter(ctx, o, err.Error()); derr != nil {
				s.log.Error("dead letter not stored", "id", id, "err", derr)
			}
		},
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = mover.Run(ctx)
	}()
	s.dispatch(ctx)
	wg.Wait()
	return nil
}

// move is the mover's handler: one outbox entry into the schedule.
func (s *Sender) move(ctx context.Context, id string, values map[string]any) error {
	o, err := queue.DecodeOutbound(values)
	if err != nil {
		return queue.Permanent(err)
	}
	if o.To == "" {
		return queue.Permanent(fmt.Errorf("outbox entry %s has no recipient", o.ID))
	}
	if o.ID == "" {
		o.ID = "stream-" + id
	}
	raw, err := json.Marshal(o)
	if err != nil {
		return queue.Permanent(err)
	}
	if _, err := s.sched.Add(ctx, o.To, rankOf(&o), createdOr(o.Created, s.store.Now()), string(raw)); err != nil {
		return err
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// idlePoll bounds how long an idle sender waits before looking at the
// schedule again (entries queued by other processes).
const idlePoll = 200 * time.Millisecond

// dispatch claims due chats and hands each to a worker, at most Workers at
// a time; it returns when ctx ends and every worker finished.
func (s *Sender) dispatch(ctx context.Context) {
	sem := make(chan struct{}, s.o.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	retry := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		slot, wait, err := s.sched.Claim(ctx, s.o.Lease)
		if err != nil || slot == "" {
			<-sem
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				wait = retry.Step()
				s.log.Warn("send schedule unavailable, retrying", "err", err, "in", wait)
			} else {
				retry.Reset()
				if wait < 0 || wait > idlePoll {
					wait = idlePoll
				}
			}
			if wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-s.kick:
				case <-t.C:
				}
				t.Stop()
			}
			continue
		}
		retry.Reset()
		// The turn in the overall limit is taken here, for the chat just
		// claimed: one process never holds more than one claimed chat
		// waiting for a turn, so what is sent next is always the most
		// urgent, oldest entry at the time it goes.
		if err := s.wait(ctx); err != nil {
			s.finish(context.WithoutCancel(ctx), slot, 0, nil)
			<-sem
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("send limit unavailable", "err", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// A request under way is finished even when serve stops.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.Lease)
			defer cancel()
			s.work(wctx, slot)
		}()
	}
}

// entry is one queued outbox entry: its queue member and its content.
type entry struct {
	raw string
	o   queue.Outbound
}

// maxBatchItems bounds a combined message: three buttons per inquiry stay
// under Telegram's 100 buttons per keyboard.
const maxBatchItems = 30

// work sends one request for the claimed chat and finishes the claim.
func (s *Sender) work(ctx context.Context, slot string) {
	raws, waiting, err := s.sched.Entries(ctx, slot, maxBatchItems+20)
	if err != nil {
		s.log.Warn("send queue unavailable", "err", err)
		s.finish(ctx, slot, time.Second, nil)
		return
	}
	if len(raws) == 0 {
		s.finish(ctx, slot, 0, nil)
		return
	}
	head := &entry{raw: raws[0]}
	if err := json.Unmarshal([]byte(head.raw), &head.o); err != nil {
		s.dead(ctx, head, "undecodable entry: "+err.Error())
		s.finish(ctx, slot, 0, []*entry{head})
		return
	}
	looks, err := s.look(ctx, []*entry{head})
	if err != nil {
		s.finish(ctx, slot, time.Second, nil)
		return
	}
	switch l := looks[0]; {
	case l.sent:
		s.finish(ctx, slot, 0, []*entry{head})
		return
	case l.blocked:
		s.dead(ctx, head, "not sent: the person blocked the bot")
		s.finish(ctx, slot, 0, []*entry{head})
		return
	}
	group := isGroup(&head.o)
	if group && isCard(&head.o) && s.cfg.Limits.SendGroupPerMinute > 0 && float64(waiting) > s.cfg.Limits.SendGroupPerMinute {
		k := int(math.Ceil(float64(waiting) / s.cfg.Limits.SendGroupPerMinute))
		if batch := cards(raws, max(k, 2)); len(batch) > 1 {
			delay, done := s.sendBatch(ctx, batch)
			s.finish(ctx, slot, delay, done)
			return
		}
	}
	delay, done := s.sendOne(ctx, head, looks[0].st)
	s.finish(ctx, slot, delay, done)
}

// look is what decides how an entry is sent.
type look struct {
	sent    bool // sent before (a crash after sending, or a duplicate)
	blocked bool // the person blocked the bot
	st      sendState
}

// look reads, in one round trip, whether each entry was sent (the mark of
// store.MarkSent), whether its person blocked the bot, and its Sending state.
func (s *Sender) look(ctx context.Context, es []*entry) ([]look, error) {
	ls := make([]queue.SendLookup, len(es))
	for i, e := range es {
		ls[i] = queue.SendLookup{ID: e.o.ID, To: e.o.To}
		if !isGroup(&e.o) {
			ls[i].Field = fieldBlocked
		}
	}
	checks, err := s.store.CheckSends(ctx, inquiry.Telegram, ls)
	if err != nil {
		return nil, err
	}
	out := make([]look, len(es))
	for i, c := range checks {
		out[i].sent = c.Sent
		out[i].blocked = c.Person == "1"
		out[i].st.state = c.Sending["state"]
		out[i].st.part, _ = strconv.Atoi(c.Sending["part"])
		out[i].st.tries, _ = strconv.Atoi(c.Sending["tries"])
	}
	return out, nil
}

func (s *Sender) finish(ctx context.Context, slot string, delay time.Duration, done []*entry) {
	if err := s.sched.Finish(ctx, slot, delay, raws(done), ids(done)); err != nil {
		// The claim's lease runs out and the chat is claimed again; what
		// was sent is marked sent, so it is not sent twice.
		s.log.Warn("send claim not finished", "err", err)
	}
}

func isGroup(o *queue.Outbound) bool { return o.Group || strings.HasPrefix(o.To, "-") }

// isCard reports an entry that may be combined with others for a group.
func isCard(o *queue.Outbound) bool {
	return o.Kind.IsCard() && o.EditMessage == 0 && o.Reference != ""
}

func (s *Sender) interval(o *queue.Outbound) time.Duration {
	if isGroup(o) {
		return s.group
	}
	return s.private
}

// cards collects up to n card entries from the head of a group's queue.
func cards(raws []string, n int) []*entry {
	var out []*entry
	for _, raw := range raws {
		if len(out) >= min(n, maxBatchItems) {
			break
		}
		e := &entry{raw: raw}
		if json.Unmarshal([]byte(raw), &e.o) != nil || !isCard(&e.o) {
			break // keep the queue's order: combine only a run of cards
		}
		out = append(out, e)
	}
	return out
}

// Sending state of one entry (hash Keys.Sending): "part" is the next part
// of a split text to send; "state" is "sending" while a request is in
// flight. A sender that finds "sending" on an entry it claims knows the
// previous sender died (or timed out) with the request in flight: Telegram
// may or may not have delivered it. It sends again — a message delivered
// twice is better than one lost — and counts it as in doubt.
type sendState struct {
	part  int
	state string
	tries int
}

const sendingTTL = 7 * 24 * time.Hour

func (s *Sender) setState(ctx context.Context, ids []string, fields ...any) error {
	return s.store.SetSending(ctx, ids, sendingTTL, fields...)
}

func (s *Sender) inDoubt(ctx context.Context, e *entry) {
	s.log.Warn("resending a message that may have been delivered before a crash", "id", e.o.ID, "kind", e.o.Kind, "ref", e.o.Reference)
	_ = s.store.Count(ctx, "telegram_in_doubt", 1)
}

// wait takes a turn in the shared limit of sends (all processes), waiting
// for it.
func (s *Sender) wait(ctx context.Context) error {
	for {
		d, err := s.sched.Turn(ctx, s.overall, s.slack)
		if err != nil || d == 0 {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sendOne sends the next part of one entry (or its edit) and returns how
// long the chat waits before its next request, and the entries done.
func (s *Sender) sendOne(ctx context.Context, e *entry, st sendState) (time.Duration, []*entry) {
	o := &e.o
	if strings.TrimSpace(o.Text) == "" {
		s.dead(ctx, e, "empty text")
		return 0, []*entry{e}
	}
	if o.ToPerson() && !isGroup(o) {
		erased, err := s.store.Erased(ctx, o.Reference)
		if err != nil {
			return time.Second, nil
		}
		if erased { // queued before an erasure: the person asked for nothing more
			s.log.Info("message to an erased inquiry's person dropped", "id", o.ID, "ref", o.Reference, "kind", o.Kind)
			s.markSent(ctx, e)
			return 0, []*entry{e}
		}
	}
	if st.state == "sending" {
		s.inDoubt(ctx, e)
	}
	if err := s.current(ctx, o); err != nil {
		return time.Second, nil
	}
	var parts []string
	if o.EditMessage != 0 {
		parts = []string{Clip(o.Text, MaxText)}
	} else {
		parts = Split(o.Text, MaxText)
	}
	p := min(st.part, len(parts)-1)
	// From here until the answer is recorded, a crash leaves it in doubt.
	if err := s.setState(ctx, []string{o.ID}, "state", "sending", "part", p); err != nil {
		return time.Second, nil
	}
	var markup *tgbotapi.InlineKeyboardMarkup // none: an edit removes the buttons
	if p == len(parts)-1 && len(o.Buttons) > 0 {
		markup = keyboard(o.Buttons)
	}
	rctx, cancel := context.WithTimeout(ctx, s.o.RequestTimeout)
	defer cancel()
	var msgID int
	var err error
	if o.EditMessage != 0 {
		err = s.api.EditText(rctx, EditMessageText{ChatID: o.To, MessageID: o.EditMessage, Text: parts[p], ReplyMarkup: markup})
		if notModified(err) || (o.Kind == queue.KindBlankCard && editGone(err)) {
			err = nil // already as wanted; or a card staff deleted: nothing left to blank
		}
	} else {
		m := SendMessage{ChatID: o.To, Text: parts[p], ReplyMarkup: markup}
		if p == 0 && o.ReplyTo != 0 {
			m.ReplyParameters = &ReplyParameters{MessageID: o.ReplyTo, AllowSendingWithoutReply: true}
		}
		var sent tgbotapi.Message
		sent, err = s.api.SendText(rctx, m)
		msgID = sent.MessageID
	}
	if err == nil {
		if msgID != 0 && isGroup(o) && o.Reference != "" {
			s.rememberCard(ctx, o.To, msgID, []inquiry.Reference{o.Reference})
		}
		if p+1 < len(parts) {
			if err := s.setState(ctx, []string{o.ID}, "state", "sent", "part", p+1); err != nil {
				s.log.Warn("send progress not recorded", "id", o.ID, "err", err)
			}
			return s.interval(o), nil
		}
		s.markSent(ctx, e)
		return s.interval(o), []*entry{e}
	}
	return s.failed(ctx, []*entry{e}, err, st.tries)
}

// current brings a staff-group entry up to date with an erasure that came
// after it was queued: a card of an erased inquiry says only that, and a
// combined message that showed it is drawn again without its text.
func (s *Sender) current(ctx context.Context, o *queue.Outbound) error {
	switch {
	case o.Kind == queue.KindBlankCard:
		refs, err := s.store.CardRefs(ctx, o.To, o.EditMessage)
		if err != nil || len(refs) < 2 {
			return err
		}
		items := make([]*batchItem, len(refs))
		for i, ref := range refs {
			items[i] = &batchItem{ref: ref, entries: []*entry{{o: queue.Outbound{Text: o.Text}}}}
			s.describe(ctx, items[i])
		}
		text, n := renderBatch(items)
		for _, it := range items[:n] {
			if it.status != "" {
				text = withStatus(text, it.ref, it.status)
			}
		}
		o.Text, o.Buttons = text, batchRows(refs[:n])
	case isGroup(o) && o.Kind.IsCard() && o.Reference != "":
		q, err := s.store.Load(ctx, o.Reference)
		if inquiry.ErrorCode(err) == inquiry.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if q.Erased {
			o.Text, o.Buttons = desk.ErasedCard(o.Reference), nil
		}
	}
	return nil
}

func (s *Sender) markSent(ctx context.Context, e *entry) {
	if _, err := s.store.MarkSent(ctx, e.o.ID); err != nil {
		// The Sending state still says "sending": a later claim will
		// resend it as in doubt rather than lose it.
		s.log.Warn("sent mark not recorded", "id", e.o.ID, "err", err)
	}
}

// failed decides what an error means for the entries of one request.
func (s *Sender) failed(ctx context.Context, es []*entry, err error, tries int) (time.Duration, []*entry) {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.o.ID
	}
	o := &es[0].o
	var thr *ThrottledError
	var stop *StoppedError
	var fail *FailedError
	var tr *TransientError
	switch {
	case errors.As(err, &thr):
		// Not delivered: Telegram refused it before doing anything.
		_ = s.setState(ctx, ids, "state", "idle")
		_ = s.store.Count(ctx, "telegram_throttled", 1)
		s.log.Warn("telegram asked to slow down", "group", isGroup(o), "retry_after", thr.RetryAfter)
		return thr.RetryAfter + s.interval(o), nil
	case errors.As(err, &stop):
		for _, e := range es {
			s.stopped(ctx, e, stop)
		}
		return 0, es
	case errors.As(err, &fail):
		for _, e := range es {
			s.dead(ctx, e, fmt.Sprintf("telegram refused the message: %d %s", fail.Code, fail.Reason))
		}
		if IsUnauthorized(err) {
			s.log.Error("telegram refused the bot token; check NETDESK_TELEGRAM_TOKEN")
		}
		return s.interval(o), es
	case errors.As(err, &tr) || !errors.Is(err, context.Canceled):
		if tr != nil && tr.Code >= 500 {
			_ = s.setState(ctx, ids, "state", "idle") // Telegram answered: not sent
		}
		tries++
		if tries >= s.o.MaxAttempts {
			for _, e := range es {
				s.dead(ctx, e, fmt.Sprintf("gave up after %d attempts: %v", tries, err))
			}
			return s.interval(o), es
		}
		_ = s.setState(ctx, ids, "tries", tries)
		d := min(time.Second<<min(tries-1, 8), 5*time.Minute)
		s.log.Warn("telegram request failed, will retry", "err", err, "attempt", tries, "in", d)
		return d, nil
	}
	return time.Second, nil
}

// stopped handles a 403: for a person, the bot was blocked; sending stops
// until they write again. For a group, the bot was removed.
func (s *Sender) stopped(ctx context.Context, e *entry, stop *StoppedError) {
	if isGroup(&e.o) {
		s.log.Error("the bot cannot post in a staff group; add it back to the group", "agency", e.o.Agency, "reason", stop.Reason)
		s.dead(ctx, e, "the bot cannot post in the group: "+stop.Reason)
		return
	}
	if err := s.store.SetPersonField(ctx, inquiry.Telegram, e.o.To, fieldBlocked, "1"); err != nil {
		s.log.Warn("blocked flag not stored", "err", err)
	}
	if e.o.Reference != "" {
		_ = s.store.Audit(ctx, e.o.Reference, queue.AuditEntry{At: s.store.Now(), Actor: "system", Action: queue.AuditContactStopped,
			Detail: "the person blocked the bot; nothing more is sent on Telegram until they write again"})
	}
	s.dead(ctx, e, "the person blocked the bot: "+stop.Reason)
}

func (s *Sender) dead(ctx context.Context, e *entry, reason string) {
	s.log.Warn("telegram message not delivered", "id", e.o.ID, "kind", e.o.Kind, "ref", e.o.Reference, "reason", reason)
	if err := s.store.DeadLetter(ctx, e.o, reason); err != nil {
		s.log.Error("dead letter not stored", "id", e.o.ID, "err", err)
	}
}

// cardTTL is how long a card's message id is remembered, so that staff
// replying to it reach the inquiry.
func (s *Sender) cardTTL() time.Duration {
	if r := s.cfg.Followups.Retention.D(); r > 0 {
		return r
	}
	return 180 * 24 * time.Hour
}

func (s *Sender) rememberCard(ctx context.Context, chat string, msgID int, refs []inquiry.Reference) {
	if err := s.store.RememberCard(ctx, chat, msgID, refs, s.cardTTL()); err != nil {
		s.log.Warn("card message not recorded; replies to it will not reach the inquiry", "err", err)
	}
}

func keyboard(rows [][]queue.Button) *tgbotapi.InlineKeyboardMarkup {
	if len(rows) == 0 {
		return nil
	}
	kb := &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: make([][]tgbotapi.InlineKeyboardButton, 0, len(rows))}
	for _, row := range rows {
		r := make([]tgbotapi.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data))
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, r)
	}
	return kb
}

func createdOr(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func raws(es []*entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.raw
	}
	return out
}

func ids(es []*entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.o.ID
	}
	return out
}
