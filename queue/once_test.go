package queue_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

func TestSendOnceQueuesOnce(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	key := s.Keys().DigestSent("WFP", "2026-11-27")
	var sent atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			ok, err := s.SendOnce(ctx, key, time.Hour, queue.Outbound{Channel: inquiry.Telegram, Kind: "digest", To: "-1005", Text: "digest"})
			if err != nil {
				t.Error(err)
			}
			if ok {
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	if n, _ := c.XLen(ctx, s.Keys().Outbox(inquiry.Telegram)).Result(); n != 1 || sent.Load() != 1 {
		t.Errorf("queued %d, reported sent %d; want 1 and 1", n, sent.Load())
	}
	if ttl, _ := c.TTL(ctx, key).Result(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("mark TTL = %v", ttl)
	}
	// Another day has its own mark.
	if ok, _ := s.SendOnce(ctx, s.Keys().DigestSent("WFP", "2026-11-28"), time.Hour, queue.Outbound{Channel: inquiry.Telegram, Kind: "digest", To: "-1005"}); !ok {
		t.Error("next day's digest refused")
	}
}

func TestQueueScorePriority(t *testing.T) {
	older := newInquiry("NM-AAAA01", "WFP", false, t0)
	urgent := newInquiry("NM-AAAA02", "WFP", true, t0.Add(2*time.Hour))
	reopened := newInquiry("NM-AAAA03", "WFP", false, t0.Add(time.Hour))
	reopened.Priority = true
	if !(queue.QueueScore(urgent) < queue.QueueScore(reopened) && queue.QueueScore(reopened) < queue.QueueScore(older)) {
		t.Errorf("scores urgent %v, priority %v, other %v: want urgent first, then priority", queue.QueueScore(urgent), queue.QueueScore(reopened), queue.QueueScore(older))
	}
}
