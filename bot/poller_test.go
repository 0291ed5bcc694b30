package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// startPoller runs a poller until the returned stop is called.
func startPoller(e *env, instance string) (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := NewPoller(PollerOptions{Bot: e.bot, API: e.api, Store: e.store, Instance: instance, Timeout: 2 * time.Second, Log: e.log})
		_ = p.Run(ctx)
	}()
	return func() { cancel(); wg.Wait() }
}

func (e *env) offset() int {
	n, _ := e.rdb.HGet(context.Background(), e.store.Keys().State("telegram"), offsetField).Int()
	return n
}

func TestPollerLongPollsAndKeepsItsOffset(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true})
	stop := startPoller(e, "p1")
	// Idle: the poll is held by the server, not repeated in a loop.
	eventually(t, 5*time.Second, "a first getUpdates", func() bool { return e.fake.Calls("getUpdates") >= 1 })
	time.Sleep(time.Second) // let an idle second pass: what is measured is the absence of calls
	if n := e.fake.Calls("getUpdates"); n > 2 {
		t.Errorf("%d getUpdates in an idle second with a 2 s long poll", n)
	}
	// An update arriving mid-poll is taken at once, not at the poll's end.
	start := time.Now()
	id := e.fake.PersonText(48001, "en", "I need help with my residency permit")
	q := e.inquiryOf(48001)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %s to take an update; the long poll should return when it arrives", d)
	}
	eventually(t, 5*time.Second, "the offset saved", func() bool { return e.offset() == id+1 })

	// A second process takes over from the offset in Redis. An update
	// Telegram delivers again (its confirmation was lost) changes nothing.
	stop()
	old := e.fake.LastUpdates()
	if len(old) != 0 {
		t.Fatalf("updates left unconfirmed: %d", len(old))
	}
	if err := e.rdb.HSet(context.Background(), e.store.Keys().State("telegram"), offsetField, id).Err(); err != nil {
		t.Fatal(err)
	}
	redelivered := tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{MessageID: 1, Text: "I need help with my residency permit",
		Chat: &tgbotapi.Chat{ID: 48001, Type: "private"}, From: &tgbotapi.User{ID: 48001}, Date: int(time.Now().Unix())}}
	e.fake.Redeliver(redelivered)
	next := e.fake.PersonText(48001, "en", "and my passport")
	stop2 := startPoller(e, "p2")
	defer stop2()
	eventually(t, 20*time.Second, "the next update taken", func() bool { return e.offset() == next+1 })
	eventually(t, 5*time.Second, "two messages", func() bool { return len(e.load(q.Reference).Messages) == 2 })
	if e.fake.Served() < 3 {
		t.Errorf("the redelivered update was not served (%d served); the test proves nothing", e.fake.Served())
	}
	msgs := e.load(q.Reference).Messages
	if msgs[0].Text == msgs[1].Text {
		t.Errorf("the redelivered update was added twice")
	}
}

func TestOnlyOneProcessPolls(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true})
	stop1 := startPoller(e, "p1")
	eventually(t, 5*time.Second, "the first poller polling", func() bool { return e.fake.Calls("getUpdates") >= 1 })
	stop2 := startPoller(e, "p2")
	defer stop2()
	for i := range 20 {
		e.fake.PersonText(int64(48100+i), "en", fmt.Sprintf("question %d about food vouchers", i))
	}
	eventually(t, 10*time.Second, "20 inquiries", func() bool {
		n, _ := e.rdb.ZCard(context.Background(), e.store.Keys().All()).Result()
		return n == 20
	})
	// The poller's own warning, not the bare digits: log lines carry
	// timestamps, and one at millisecond .409 failed CI.
	if strings.Contains(e.logs.String(), "409 Conflict") {
		t.Errorf("two pollers ran at once (Telegram would answer 409)")
	}
	// The holder stops; the other takes over.
	stop1()
	id := e.fake.PersonText(48199, "en", "one more question about food")
	eventually(t, 20*time.Second, "the update taken by the second poller", func() bool { return e.seen(id) })
}

func TestPollerWaitsOutConflict(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true})
	e.fake.Webhook("http://127.0.0.1:1/hook", "x") // another deployment's webhook
	stop := startPoller(e, "p1")
	defer stop()
	id := e.fake.PersonText(48201, "en", "Question about asylum")
	eventually(t, 10*time.Second, "the conflict logged", func() bool {
		return strings.Contains(e.logs.String(), "409 Conflict") && strings.Contains(e.logs.String(), "webhook is set")
	})
	if e.seen(id) {
		t.Fatalf("an update was taken while a webhook was set")
	}
	e.fake.Webhook("", "")
	eventually(t, 20*time.Second, "the update taken once the webhook is gone", func() bool { return e.seen(id) })
	if n := e.fake.Calls("deleteWebhook"); n != 0 {
		t.Errorf("the poller deleted the webhook itself")
	}
}
