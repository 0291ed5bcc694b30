package desk_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

func usedMemory(t *testing.T, h *harness) int64 {
	info, err := h.rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no used_memory")
	return 0
}

// TestMemoryPerInquiry measures Redis memory per stored inquiry with a 1 KB
// text and asserts the SPEC §11 bound of 4 KB: a web inquiry, and a
// Telegram one with what that channel adds (the person's conversation and
// index, the update's dedup marker, the posted card and its reverse index).
func TestMemoryPerInquiry(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 2,000 inquiries")
	}
	text := strings.Repeat("We need help with food baskets for the family. ", 22)[:1024]
	const n = 2000
	for _, ch := range []inquiry.Channel{inquiry.Web, inquiry.Telegram} {
		t.Run(string(ch), func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			// Warm up the structures (streams, groups, indexes) before measuring.
			h.handle(t, &queue.Inbound{ID: "warm", Channel: ch, Address: "1", Text: text})
			h.rdb.Del(ctx, h.store.Keys().Outbox(inquiry.Telegram))
			before := usedMemory(t, h)
			for i := range n {
				m := &queue.Inbound{ID: string(ch) + ":" + strconv.Itoa(i), Channel: ch, Address: "person" + strconv.Itoa(i) + "@example.org", Text: text, At: h.clock.t}
				if ch == inquiry.Telegram {
					m.Address, m.TelegramMessage = strconv.Itoa(700000000+i), 1
					if _, err := h.store.Enqueue(ctx, "tg", strconv.Itoa(i), m); err != nil {
						t.Fatal(err)
					}
				}
				h.handle(t, m)
				if ch == inquiry.Telegram {
					ref, _, _ := h.store.Conversation(ctx, ch, m.Address)
					if err := h.store.RememberCard(ctx, "-1005", 1000+i, []inquiry.Reference{ref}, time.Hour); err != nil {
						t.Fatal(err)
					}
				}
			}
			// What the senders would have sent and deleted, and the drained inbound stream.
			h.rdb.Del(ctx, h.store.Keys().Outbox(inquiry.Telegram), h.store.Keys().Outbox(inquiry.Email), h.store.Keys().Inbound())
			after := usedMemory(t, h)
			per := float64(after-before) / n
			t.Logf("Redis memory per %s inquiry with a 1 KB text: %.0f bytes", ch, per)
			if per > 4096 {
				t.Errorf("%.0f bytes per inquiry, over the 4 KB target", per)
			}
		})
	}
}
