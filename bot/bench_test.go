package bot

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/queue"
)

// BenchmarkSender sends b.N messages against the fake enforcing Telegram's
// limits (30/s overall, 1/s per chat): one in twenty goes to one of three
// busy chats (their own limit binds), the rest to 100 others, each of which
// gets a message every few seconds. It reports the rate achieved, as a
// share of 30/s, and the 429s provoked. Run it with a fixed count:
//
//	go test -run '^$' -bench BenchmarkSender -benchtime 900x ./bot/
func BenchmarkSender(b *testing.B) {
	rs := redistest.Start(b)
	rdb := rs.Client(b)
	fake := bottest.New(b, bottest.TelegramLimits(""))
	vars := map[string]string{"NETDESK_TELEGRAM_TOKEN": fake.Token, "NETDESK_TELEGRAM_API": fake.URL}
	cfg, err := config.Load(writeConfig(b, realLimits), func(k string) string { return vars[k] })
	if err != nil {
		b.Fatal(err)
	}
	store := queue.NewStore(rdb, queue.Options{Policy: desk.Policy(cfg)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs := make([]queue.Outbound, 0, b.N)
	for i := range b.N {
		to := fmt.Sprint(70000 + i%100)
		if i%20 == 0 {
			to = fmt.Sprint(79000 + i%3)
		}
		msgs = append(msgs, queue.Outbound{Channel: inquiry.Telegram, Kind: "reply", To: to, Text: fmt.Sprint("message ", i),
			Created: time.Now().Add(time.Duration(i) * time.Microsecond)})
	}
	for len(msgs) > 0 {
		k := min(len(msgs), 500)
		if err := store.Send(ctx, msgs[:k]...); err != nil {
			b.Fatal(err)
		}
		msgs = msgs[k:]
	}
	s := NewSender(SenderOptions{Store: store, API: NewClient(fake.URL, fake.Token, nil), Config: cfg, Name: "bench",
		Log: slog.New(slog.DiscardHandler)})
	b.ResetTimer()
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	sent := fake.Wait(b, time.Duration(b.N)*time.Second/10+time.Minute, "every message sent", func(sent []bottest.Sent) bool { return len(sent) >= b.N })
	b.StopTimer()
	cancel()
	<-done
	if b.N > 1 {
		elapsed := sent[len(sent)-1].At.Sub(sent[0].At)
		rate := float64(len(sent)-1) / elapsed.Seconds()
		b.ReportMetric(rate, "msgs/s")
		b.ReportMetric(100*rate/30, "%of30/s")
	}
	b.ReportMetric(float64(fake.Throttled()), "429s")
}
