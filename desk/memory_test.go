package desk_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

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
// text and asserts the SPEC §11 bound of 4 KB.
func TestMemoryPerInquiry(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 2,000 inquiries")
	}
	h := newHarness(t)
	ctx := context.Background()
	text := strings.Repeat("We need help with food baskets for the family. ", 22)[:1024]
	const n = 2000
	// Warm up the structures (streams, groups, indexes) before measuring.
	h.handle(t, &queue.Inbound{ID: "warm", Channel: inquiry.Web, Text: text})
	h.rdb.Del(ctx, h.store.Keys().Outbox(inquiry.Telegram))
	before := usedMemory(t, h)
	for i := range n {
		m := &queue.Inbound{ID: "web:" + strconv.Itoa(i), Channel: inquiry.Web, Address: "person" + strconv.Itoa(i) + "@example.org", Text: text, At: h.clock.t}
		h.handle(t, m)
	}
	// What the senders would have sent and deleted, and the drained inbound stream.
	h.rdb.Del(ctx, h.store.Keys().Outbox(inquiry.Telegram), h.store.Keys().Outbox(inquiry.Email), h.store.Keys().Inbound())
	after := usedMemory(t, h)
	per := float64(after-before) / n
	t.Logf("Redis memory per inquiry with a 1 KB text: %.0f bytes", per)
	if per > 4096 {
		t.Errorf("%.0f bytes per inquiry, over the 4 KB target", per)
	}
}
