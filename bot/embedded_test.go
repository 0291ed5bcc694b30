package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// serve without NETDESK_REDIS_URL runs on miniredis: the schedule's
// scripts must run there too.
func TestSenderOnTheEmbeddedStore(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	fake := bottest.New(t, bottest.TelegramLimits(""))
	vars := map[string]string{"NETDESK_TELEGRAM_TOKEN": fake.Token, "NETDESK_TELEGRAM_API": fake.URL}
	cfg, err := config.Load(writeConfig(t, realLimits), func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	store := queue.NewStore(rdb, queue.Options{Policy: desk.Policy(cfg)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = NewSender(SenderOptions{Store: store, API: NewClient(fake.URL, fake.Token, nil), Config: cfg, Name: "mini"}).Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	for i := range 3 {
		err := store.Send(ctx, queue.Outbound{ID: fmt.Sprint("m", i), Channel: inquiry.Telegram, Kind: "reply", To: "81000",
			Text: fmt.Sprint("hello ", i), Created: time.Now().Add(time.Duration(i) * time.Millisecond)})
		if err != nil {
			t.Fatal(err)
		}
	}
	sent := fake.Wait(t, 10*time.Second, "three messages", func(sent []bottest.Sent) bool { return len(sent) == 3 })
	for i, s := range sent {
		if s.Text != fmt.Sprint("hello ", i) {
			t.Errorf("message %d = %q", i, s.Text)
		}
	}
	if fake.Throttled() != 0 {
		t.Errorf("%d 429s", fake.Throttled())
	}
}
