package inbox_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/followuptest"
	"github.com/unmigration-iraq/netdesk/queue"
)

// TestEmailCheckInsSentOnceWithTwoSchedulers: two schedulers tick at once
// after a third died holding claims; with the real SMTP sender, every
// person gets exactly one check-in mail, counted at the SMTP server.
func TestEmailCheckInsSentOnceWithTwoSchedulers(t *testing.T) {
	e := newEnv(t, envOptions{noListener: true})
	ctx := context.Background()
	var refs []inquiry.Reference
	for i := range 5 {
		addr := fmt.Sprintf("person%d@example.org", i)
		id := fmt.Sprintf("<q%d@example.org>", i)
		m := &queue.Inbound{ID: "mail:" + id + "|" + addr, Channel: inquiry.Email, Address: addr, Subject: "Refugee registration",
			Text: "I am a refugee and my registration expired, how do I renew it?", MessageID: id, At: time.Now()}
		if _, err := e.store.Enqueue(ctx, "mail", m.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	e.routed()
	for _, q := range e.inquiries() {
		if _, _, err := e.desk.Reply(ctx, amina, q.Reference, "Please come to the registration centre."); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, q.Reference)
	}
	if len(refs) != 5 {
		t.Fatalf("%d inquiries, want 5", len(refs))
	}
	later := time.Now().Add(80 * time.Hour)
	if dead, err := e.store.ClaimDue(ctx, later, 2*time.Minute, 2); err != nil || len(dead) != 2 {
		t.Fatalf("the dying scheduler claimed %d: %v", len(dead), err)
	}
	afterLease := later.Add(3 * time.Minute)
	followuptest.TickTogether(t, followup.Options{Desk: e.desk, Now: func() time.Time { return afterLease }}, 2, 3)
	checkIns := func(ref inquiry.Reference) int {
		n := 0
		for _, m := range e.smtp.received() {
			if strings.Contains(string(m.Data), "Please reply YES or NO") && strings.Contains(string(m.Data), string(ref)) {
				n++
			}
		}
		return n
	}
	waitFor(t, 20*time.Second, "a check-in mail for every inquiry, and the outbox drained", func() bool {
		for _, r := range refs {
			if checkIns(r) == 0 {
				return false
			}
		}
		p, err := e.rdb.XPending(ctx, e.store.Keys().Outbox(inquiry.Email), "senders").Result()
		return err == nil && p.Count == 0
	})
	for _, r := range refs {
		if n := checkIns(r); n != 1 {
			t.Errorf("%s: %d check-in mails, want exactly 1", r, n)
		}
	}
}
