package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// realLimits are Telegram's: 1/s per person, 20/min per group, 30/s in all.
const realLimits = `
limits: {intake_per_minute: 0, telegram_per_minute: 20, max_text_chars: 20000, max_email_bytes: 26214400,
         send_private_per_second: 1, send_group_per_minute: 20, send_per_second: 30}
`

func send(tb testing.TB, e *env, msgs ...queue.Outbound) {
	tb.Helper()
	for i := range msgs {
		msgs[i].Channel = inquiry.Telegram
		if msgs[i].Kind == "" {
			msgs[i].Kind = "reply"
		}
	}
	if err := e.store.Send(context.Background(), msgs...); err != nil {
		tb.Fatal(err)
	}
}

func TestThrottledSendWaitsRetryAfterAndRetries(t *testing.T) {
	// The desk believes it may send 50 a second to a person; the fake
	// allows 1 and answers 429 with retry_after.
	e := newEnv(t, envOptions{webhook: true, noRouter: true, fake: bottest.Options{PrivatePerSecond: 1}, limits: `
limits: {intake_per_minute: 0, telegram_per_minute: 20, max_text_chars: 20000, max_email_bytes: 26214400,
         send_private_per_second: 50, send_group_per_minute: 1200, send_per_second: 500}
`})
	for i := range 3 {
		send(t, e, queue.Outbound{ID: fmt.Sprint("thr-", i), To: "45001", Text: fmt.Sprint("part ", i), Created: time.Now().Add(time.Duration(i) * time.Millisecond)})
	}
	sent := e.fake.Wait(t, 15*time.Second, "three messages", func(sent []bottest.Sent) bool { return len(sent) == 3 })
	if e.fake.Throttled() == 0 {
		t.Fatalf("the fake never answered 429; the test proves nothing")
	}
	for i, s := range sent {
		if s.Text != fmt.Sprint("part ", i) {
			t.Errorf("message %d = %q: each sent once, in order", i, s.Text)
		}
		if i > 0 && s.At.Sub(sent[i-1].At) < 900*time.Millisecond {
			t.Errorf("messages %d and %d only %s apart: retry_after not waited out", i-1, i, s.At.Sub(sent[i-1].At))
		}
	}
	n, _ := e.rdb.HGet(context.Background(), e.store.Keys().Counters(), "telegram_throttled").Int()
	if n == 0 {
		t.Errorf("429s are not counted")
	}
}

func TestLongTextIsSplitAsTelegramCounts(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true, noRouter: true})
	var b strings.Builder
	for i := 0; TextLen(b.String()) < 10000; i++ {
		fmt.Fprintf(&b, "سطر %d 🙂 line with an emoji and Arabic text to fill the message\n", i)
		if i%7 == 0 {
			b.WriteString(strings.Repeat("x", 50) + " ")
		}
	}
	text := b.String()
	send(t, e, queue.Outbound{ID: "long-1", To: "45002", Text: text, ReplyTo: 7,
		Buttons: [][]queue.Button{{{Text: "Yes", Data: "checkin:yes"}}}})
	var parts []bottest.Sent
	e.fake.Wait(t, 10*time.Second, "the parts", func(sent []bottest.Sent) bool {
		parts = sent
		got := ""
		for _, s := range sent {
			got += s.Text
		}
		return strings.Join(strings.Fields(got), "") == strings.Join(strings.Fields(text), "")
	})
	if e.fake.Refused() != 0 {
		t.Errorf("the fake refused %d sends", e.fake.Refused())
	}
	if len(parts) != 3 {
		t.Errorf("%d UTF-16 units went in %d parts, want 3", TextLen(text), len(parts))
	}
	for i, p := range parts {
		if n := TextLen(p.Text); n > MaxText {
			t.Errorf("part %d has %d UTF-16 units", i, n)
		}
		if i < len(parts)-1 && !strings.HasSuffix(strings.TrimSpace(p.Text), "message") {
			t.Errorf("part %d was not cut at a line end: …%q", i, p.Text[max(0, len(p.Text)-30):])
		}
		if (p.ReplyTo != 0) != (i == 0) {
			t.Errorf("part %d reply_to = %d: only the first part answers", i, p.ReplyTo)
		}
		if (p.Markup != nil) != (i == len(parts)-1) {
			t.Errorf("part %d has buttons = %t: only the last part has them", i, p.Markup != nil)
		}
	}
}

func TestBlockedPersonStopsSending(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 45003
	e.fake.Block(person, true)
	e.fake.PersonText(person, "en", "I need food assistance for my family")
	q := e.inquiryOf(person)
	ctx := context.Background()
	eventually(t, 10*time.Second, "the blocked flag", func() bool {
		v, _ := e.rdb.HGet(ctx, e.store.Keys().Person(inquiry.Telegram, fmt.Sprint(person)), fieldBlocked).Result()
		return v == "1"
	})
	calls := e.fake.Calls("sendMessage")
	// A staff reply is not even tried, and is kept as a dead letter.
	omar, _ := e.cfg.StaffByID("omar")
	if _, _, err := e.desk.Reply(ctx, omar, q.Reference, "We can help on Monday."); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "two dead letters", func() bool {
		n, _ := e.rdb.XLen(ctx, e.store.Keys().DeadLetters()).Result()
		return n == 2
	})
	// (the WFP card still went out)
	if got := e.fake.Calls("sendMessage") - calls; got > 1 {
		t.Errorf("%d sends after the block, want at most the card", got)
	}
	dead, _ := e.rdb.XRange(ctx, e.store.Keys().DeadLetters(), "-", "+").Result()
	for _, d := range dead {
		var o struct {
			Kind, Reason string
		}
		_ = json.Unmarshal([]byte(d.Values["o"].(string)), &o)
		if !strings.Contains(o.Reason, "blocked") {
			t.Errorf("dead letter %s: reason %q", o.Kind, o.Reason)
		}
	}
	trail, _ := e.store.AuditTrail(ctx, q.Reference)
	if !slices.ContainsFunc(trail, func(a queue.AuditEntry) bool { return a.Action == "contact_stopped" }) {
		t.Errorf("the block is not in the audit trail")
	}

	// They unblock the bot and write again: sending resumes.
	e.fake.Block(person, false)
	e.fake.PersonText(person, "en", "Sorry, I blocked you by mistake")
	eventually(t, 10*time.Second, "the blocked flag cleared", func() bool {
		v, _ := e.rdb.HGet(ctx, e.store.Keys().Person(inquiry.Telegram, fmt.Sprint(person)), fieldBlocked).Result()
		return v == ""
	})
	if _, _, err := e.desk.Reply(ctx, omar, q.Reference, "Welcome back."); err != nil {
		t.Fatal(err)
	}
	e.waitText(person, "Welcome back.")
}

func TestEachOutboxEntryIsSentOnce(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true, noRouter: true})
	ctx := context.Background()
	// The same entry queued twice (a redelivery), and one marked sent before.
	o := queue.Outbound{ID: "once-1", To: "45004", Text: "only once"}
	send(t, e, o, o)
	if _, err := e.store.MarkSent(ctx, "once-2"); err != nil {
		t.Fatal(err)
	}
	send(t, e, queue.Outbound{ID: "once-2", To: "45004", Text: "already sent"})
	send(t, e, queue.Outbound{ID: "once-3", To: "45004", Text: "last"})
	e.waitText(45004, "last")
	eventually(t, 5*time.Second, "the queue empty", func() bool {
		n, _ := e.rdb.Exists(ctx, e.store.Keys().SendQueue(e.store.Keys().SendSlot("45004"))).Result()
		return n == 0
	})
	var texts []string
	for _, s := range e.fake.SentTo(45004) {
		texts = append(texts, s.Text)
	}
	if !slices.Equal(texts, []string{"only once", "last"}) {
		t.Errorf("sent %q", texts)
	}
}

func TestInDoubtEntryIsResentAndCounted(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true, noRouter: true})
	ctx := context.Background()
	// As a sender that died with the request in flight leaves it.
	if err := e.rdb.HSet(ctx, e.store.Keys().Sending("doubt-1"), "state", "sending", "part", 0).Err(); err != nil {
		t.Fatal(err)
	}
	send(t, e, queue.Outbound{ID: "doubt-1", To: "45005", Text: "maybe twice"})
	e.waitText(45005, "maybe twice")
	eventually(t, 5*time.Second, "the in-doubt count", func() bool {
		n, _ := e.rdb.HGet(ctx, e.store.Keys().Counters(), "telegram_in_doubt").Int()
		return n == 1
	})
	eventually(t, 5*time.Second, "the entry marked sent", func() bool {
		ok, _ := e.store.WasSent(ctx, "doubt-1")
		return ok
	})
	if n := len(e.fake.SentTo(45005)); n != 1 {
		t.Errorf("sent %d times", n)
	}
}

func TestTransientFailuresAreRetriedThenDeadLettered(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true, noRouter: true, sender: func(o *SenderOptions) { o.MaxAttempts = 3 }})
	ctx := context.Background()
	e.fake.FailNext("sendMessage", 502, 2)
	send(t, e, queue.Outbound{ID: "flaky-1", To: "45006", Text: "after two 502s"})
	e.waitText(45006, "after two 502s")
	if n := len(e.fake.SentTo(45006)); n != 1 {
		t.Errorf("sent %d times", n)
	}

	e.fake.FailNext("sendMessage", 500, 3)
	send(t, e, queue.Outbound{ID: "flaky-2", To: "45007", Text: "never"})
	eventually(t, 15*time.Second, "a dead letter", func() bool {
		n, _ := e.rdb.XLen(ctx, e.store.Keys().DeadLetters()).Result()
		return n == 1
	})
	// A 400 is not retried at all.
	e.fake.FailNext("sendMessage", 400, 1)
	send(t, e, queue.Outbound{ID: "bad-1", To: "45008", Text: "refused"})
	eventually(t, 5*time.Second, "a second dead letter", func() bool {
		n, _ := e.rdb.XLen(ctx, e.store.Keys().DeadLetters()).Result()
		return n == 2
	})
	if n := e.fake.Calls("sendMessage"); n != 3+3+1 {
		t.Errorf("%d sendMessage calls, want 3 + 3 + 1", n)
	}
}

func TestBusyGroupGetsCombinedCards(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true, noSender: true, limits: realLimits, fake: bottest.TelegramLimits("")})
	ctx := context.Background()
	// 100 inquiries routed to WFP at once: 5 hours of cards at 20 a minute.
	var refs []inquiry.Reference
	for i := range 100 {
		if err := e.bot.Take(ctx, personUpdate(int64(46000+i), fmt.Sprintf("We need food baskets, family %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Route them all before the sender starts, so the burst is there at once.
	c := e.desk.RouterWorker("r", 0, 0)
	rctx, stop := context.WithCancel(ctx)
	go func() { _ = c.Run(rctx) }()
	eventually(t, 20*time.Second, "100 inquiries", func() bool {
		n, _ := e.rdb.ZCard(ctx, e.store.Keys().All()).Result()
		return n == 100
	})
	stop()
	all, _ := e.rdb.ZRange(ctx, e.store.Keys().All(), 0, -1).Result()
	for _, r := range all {
		refs = append(refs, inquiry.Reference(r))
	}
	s := NewSender(SenderOptions{Store: e.store, API: e.api, Config: e.cfg, Name: "t", Log: e.log})
	mctx, stopMove := context.WithCancel(ctx)
	mover := &queue.Consumer{Client: e.rdb, Stream: e.store.Keys().Outbox(inquiry.Telegram), Group: SenderGroup, Name: "m", Handle: s.move, Delete: true}
	go func() { _ = mover.Run(mctx) }()
	eventually(t, 10*time.Second, "the outbox scheduled", func() bool {
		n, _ := e.rdb.ZCard(ctx, e.store.Keys().SendQueue(e.store.Keys().SendSlot(fmt.Sprint(groupWFP)))).Result()
		return n == 100
	})
	stopMove()
	e.run(s.Run)

	sent := e.fake.Wait(t, 15*time.Second, "two group messages", func(sent []bottest.Sent) bool {
		return len(slices.DeleteFunc(slices.Clone(sent), func(s bottest.Sent) bool { return s.ChatID != groupWFP })) >= 2
	})
	var group []bottest.Sent
	for _, s := range sent {
		if s.ChatID == groupWFP {
			group = append(group, s)
		}
	}
	first := group[0]
	if n := strings.Count(first.Text, "🆕 NM-"); n != 5 {
		t.Errorf("the first message combines %d cards, want ceil(100/20) = 5:\n%s", n, first.Text)
	}
	if len(first.Markup.InlineKeyboard) != 5 || len(first.Markup.InlineKeyboard[0]) != 3 {
		t.Errorf("keyboard: %d rows, want a row of 3 buttons per inquiry", len(first.Markup.InlineKeyboard))
	}
	if !strings.Contains(first.Text, "food") || !strings.Contains(first.Text, "We need food baskets, family") {
		t.Errorf("each inquiry shows its topic and the start of its text:\n%s", first.Text)
	}
	seen := map[inquiry.Reference]int{}
	for _, s := range group {
		for _, r := range refs {
			if strings.Contains(s.Text, string(r)) {
				seen[r]++
			}
		}
	}
	for r, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", r, n)
		}
	}
	if e.fake.Throttled() != 0 {
		t.Errorf("%d 429s", e.fake.Throttled())
	}
	// A reply to a combined message cannot say which inquiry it answers.
	if err := e.bot.Take(ctx, groupReply(groupWFP, userOmar, "We will deliver on Monday", first.MessageID)); err != nil {
		t.Fatal(err)
	}
	e.waitText(groupWFP, "lists several inquiries")
	// A button of the combined message acts on its own inquiry, and the
	// message says so under the list.
	data := *first.Markup.InlineKeyboard[1][0].CallbackData
	ref, _ := strings.CutPrefix(data, "claim:")
	if err := e.bot.Take(ctx, pressUpdate(e, groupWFP, userOmar, first.MessageID, data)); err != nil {
		t.Fatal(err)
	}
	e.waitAnswer("Claimed")
	eventually(t, 15*time.Second, "the combined message to show the claim", func() bool {
		text, kb, _ := e.fake.Message(groupWFP, first.MessageID)
		return strings.Contains(text, ref+" — Claimed by Omar") && kb != nil && len(kb.InlineKeyboard) == 5
	})
	if q := e.load(inquiry.Reference(ref)); q.Assignee != "omar" {
		t.Errorf("%s assignee %q", ref, q.Assignee)
	}
	// Erasing one of them redraws the combined message without its text;
	// the others stay listed, with their buttons.
	data = *first.Markup.InlineKeyboard[2][0].CallbackData
	erased, _ := strings.CutPrefix(data, "claim:")
	admin := config.Staff{ID: "root", Agency: "SECRETARIAT", Role: config.RoleAdmin}
	if err := e.desk.Erase(ctx, admin, inquiry.Reference(erased)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the combined message redrawn without the erased text", func() bool {
		text, kb, _ := e.fake.Message(groupWFP, first.MessageID)
		block := blockOf(text, erased)
		return strings.Contains(block, "personal data erased") && !strings.Contains(block, "food baskets") &&
			strings.Count(text, "We need food baskets") == 4 && strings.Contains(text, ref+" — Claimed by Omar") && kb != nil && len(kb.InlineKeyboard) == 5
	})
}

// blockOf returns the lines of a combined message about one reference.
func blockOf(text, ref string) string {
	for _, b := range strings.Split(text, "\n\n") {
		if strings.Contains(b, ref) {
			return b
		}
	}
	return ""
}

func TestRenderBatchStaysWithinTelegramLimits(t *testing.T) {
	var items []*batchItem
	for i := range 60 {
		items = append(items, &batchItem{ref: inquiry.Reference(fmt.Sprintf("NM-%06d", i)), topic: "trafficking", language: "ar",
			urgent: i%5 == 0, excerpt: strings.Repeat("نص طويل جدا 🙂 ", 40)})
	}
	text, n := renderBatch(items)
	if TextLen(text) > MaxText {
		t.Errorf("combined text has %d UTF-16 units", TextLen(text))
	}
	if n < 2 || n > maxBatchItems || 3*n > 100 {
		t.Errorf("%d items: a keyboard holds at most 100 buttons", n)
	}
	if strings.Count(text, "NM-") != n {
		t.Errorf("text lists %d references, n = %d", strings.Count(text, "NM-"), n)
	}
	rows := batchRows([]inquiry.Reference{"NM-ABCDEF", "NM-SECRETARIAT1"})
	for _, r := range rows {
		for _, b := range r {
			if len(b.Data) > 64 {
				t.Errorf("callback data %q over 64 bytes", b.Data)
			}
		}
	}
}

func TestSendersShareTheLimits(t *testing.T) {
	// Two processes' senders against Telegram's real limits: together they
	// keep to them.
	e := newEnv(t, envOptions{webhook: true, noRouter: true, limits: realLimits, fake: bottest.TelegramLimits("")})
	e.run(NewSender(SenderOptions{Store: e.store, API: e.api, Config: e.cfg, Name: "second", Log: e.log}).Run)
	var msgs []queue.Outbound
	for i := range 40 {
		msgs = append(msgs, queue.Outbound{ID: fmt.Sprint("share-", i), To: fmt.Sprint(47000 + i), Text: "hello"})
	}
	for i := range 4 {
		msgs = append(msgs, queue.Outbound{ID: fmt.Sprint("same-", i), To: "47999", Text: fmt.Sprint("same ", i), Created: time.Now().Add(time.Duration(i) * time.Millisecond)})
	}
	send(t, e, msgs...)
	e.fake.Wait(t, 20*time.Second, "44 messages", func(sent []bottest.Sent) bool { return len(sent) == 44 })
	if n := e.fake.Throttled(); n != 0 {
		t.Errorf("%d 429s with two senders", n)
	}
}

// A message to a person queued before their inquiry was erased is dropped,
// not sent (issue 10, finding 3): the sender checks right before sending.
func TestErasureStopsQueuedTelegramMessages(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true})
	ctx := context.Background()
	rc, _, err := e.desk.Submit(ctx, desk.Submission{Text: "We did not receive the food basket this month"}, desk.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	admin := config.Staff{ID: "root", Agency: "SECRETARIAT", Role: config.RoleAdmin}
	if err := e.desk.Erase(ctx, admin, rc.Reference); err != nil {
		t.Fatal(err)
	}
	send(t, e,
		queue.Outbound{ID: "after-erase", To: "46001", Reference: rc.Reference, Text: "send your ID and address to this number"},
		queue.Outbound{ID: "control", To: "46001", Text: "an unrelated notice", Kind: queue.KindNotice, Created: time.Now().Add(time.Millisecond)},
	)
	e.fake.Wait(t, 15*time.Second, "the control message", func(sent []bottest.Sent) bool {
		return slices.ContainsFunc(sent, func(s bottest.Sent) bool { return s.Text == "an unrelated notice" })
	})
	for _, s := range e.fake.Sent() {
		if strings.Contains(s.Text, "ID and address") {
			t.Fatal("a message queued for an erased inquiry reached the person")
		}
	}
	if done, _ := e.store.WasSent(ctx, "after-erase"); !done {
		t.Error("the dropped entry is not settled: it would be tried again")
	}
}
