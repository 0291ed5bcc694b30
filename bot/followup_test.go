package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/followuptest"
	"github.com/unmigration-iraq/netdesk/queue"
)

// TestCheckInsSentOnceWithTwoSchedulers runs the real scheduler twice at
// once, after a third one died holding claims, with the real sender and
// the Bot API fake: every person gets exactly one check-in message,
// counted at the fake.
func TestCheckInsSentOnceWithTwoSchedulers(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	amina, _ := e.cfg.StaffByTelegram(userAmina)
	people := []int64{44101, 44102, 44103, 44104, 44105, 44106}
	refs := map[int64]inquiry.Reference{}
	for _, p := range people {
		q, _ := refugeeInquiry(e, p)
		if _, _, err := e.desk.Reply(ctx, amina, q.Reference, "Please come to the registration centre."); err != nil {
			t.Fatal(err)
		}
		refs[p] = q.Reference
	}
	// Three days later. A scheduler claims the first timers and dies.
	later := time.Now().Add(80 * time.Hour)
	dead, err := e.store.ClaimDue(ctx, later, 2*time.Minute, 3)
	if err != nil || len(dead) != 3 {
		t.Fatalf("the dying scheduler claimed %d: %v", len(dead), err)
	}
	// Two live schedulers tick at once, past the dead one's claim lease.
	afterLease := later.Add(3 * time.Minute)
	followuptest.TickTogether(t, followup.Options{Desk: e.desk, Now: func() time.Time { return afterLease }, Log: e.log}, 2, 3)
	checkIns := func(p int64) int {
		n := 0
		for _, s := range e.fake.SentTo(p) {
			if strings.Contains(s.Text, "Did the answer to your inquiry "+string(refs[p])) {
				n++
			}
		}
		return n
	}
	eventually(t, 20*time.Second, "a check-in to every person", func() bool {
		for _, p := range people {
			if checkIns(p) == 0 {
				return false
			}
		}
		return true
	})
	// Let the sender finish everything queued, then count again.
	eventually(t, 20*time.Second, "the sender idle", func() bool {
		n := int64(0)
		for b := range queue.SendBands {
			c, _ := e.rdb.ZCard(ctx, e.store.Keys().SendReady(b)).Result()
			n += c
		}
		l, _ := e.rdb.XLen(ctx, e.store.Keys().Outbox(inquiry.Telegram)).Result()
		return n == 0 && l == 0
	})
	for _, p := range people {
		if n := checkIns(p); n != 1 {
			t.Errorf("person %d got %d check-ins, want exactly 1", p, n)
		}
		if q := e.load(refs[p]); q.CheckInAt.IsZero() {
			t.Errorf("%s: check-in not recorded", refs[p])
		}
	}
}
