package followup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// The life of one inquiry with seconds-long follow-up delays, driven
// through the desk and the scheduler's tick with the injected clock:
// inquiry → reminder → escalation; staff reply → check-in → "No" →
// reopened (SLA clock restarted) → reply → check-in → "Yes" → closed →
// personal data purged.
func TestFollowUpLifeEndToEnd(t *testing.T) {
	sec := func(n int) config.Duration { return config.Duration(time.Duration(n) * time.Second) }
	e := newEnv(t, 2, followup.Options{ClaimLease: 30 * time.Second}, func(c *config.Config) {
		f := &c.Followups
		f.FirstResponse, f.EscalateAfter, f.CheckInAfter, f.AutoCloseAfter = sec(2), sec(4), sec(3), sec(5)
		f.ReopenWindow, f.Retention = sec(8), sec(10)
	})
	ctx := context.Background()
	const chat = "7001"
	ref := e.telegram(t, chat, "Our food rations stopped two months ago")
	at := func(d time.Duration) { e.clock.Set(e.t0.Add(d)) }
	tick := func() followup.TickResult { return e.tickAll(t, 1) }
	sent := func(kind string) []queue.Outbound {
		var out []queue.Outbound
		for _, o := range e.outbox(t) {
			if string(o.Kind) == kind && o.Reference == ref {
				out = append(out, o)
			}
		}
		return out
	}
	expect := func(step string, want map[string]int) {
		t.Helper()
		for kind, n := range want {
			if got := len(sent(kind)); got != n {
				t.Errorf("%s: %d %s, want %d", step, got, kind, n)
			}
		}
	}

	at(1 * time.Second)
	if r := tick(); r.Claimed != 0 {
		t.Fatalf("tick at 1s: %+v", r)
	}
	at(2 * time.Second)
	tick()
	expect("at 2s", map[string]int{"reminder": 1, "escalation": 0})
	if r := sent("reminder"); r[0].To != wfpChat {
		t.Errorf("reminder to %s", r[0].To)
	}
	at(4 * time.Second)
	tick()
	expect("at 4s", map[string]int{"reminder": 1, "escalation": 1})
	if q := e.load(t, ref); !q.Overdue {
		t.Error("not overdue after the escalation")
	}

	at(5 * time.Second)
	if _, _, err := e.desk().Reply(ctx, wfpAgent, ref, "Rations resume on Sunday at the Hay al-Arabi point"); err != nil {
		t.Fatal(err)
	}
	if q := e.load(t, ref); q.Overdue || q.Status != inquiry.Answered {
		t.Errorf("after the reply: overdue=%t status=%s", q.Overdue, q.Status)
	}
	at(7 * time.Second)
	tick()
	expect("at 7s", map[string]int{"check_in": 0})
	at(8 * time.Second)
	tick()
	expect("at 8s", map[string]int{"check_in": 1})
	ci := sent("check_in")[0]
	if ci.To != chat || len(ci.Buttons) != 1 || ci.Buttons[0][1].Data != "checkin:no:"+string(ref) {
		t.Fatalf("check-in = %+v", ci)
	}

	// The person taps "No".
	at(9 * time.Second)
	if err := e.desk().CheckInAnswer(ctx, inquiry.Telegram, chat, ref, false); err != nil {
		t.Fatal(err)
	}
	expect("after No", map[string]int{"reopened": 1, "reopened_notice": 1})
	if q := e.load(t, ref); q.Status != inquiry.Open || !q.Priority {
		t.Errorf("after No: %s priority=%t", q.Status, q.Priority)
	}
	// The SLA clock restarted at 9s: the next reminder is due at 11s, not before.
	at(10 * time.Second)
	tick()
	expect("at 10s", map[string]int{"reminder": 1})
	at(11 * time.Second)
	tick()
	expect("at 11s", map[string]int{"reminder": 2, "escalation": 1})

	at(12 * time.Second)
	if _, _, err := e.desk().Reply(ctx, wfpAgent, ref, "The Sunday distribution moved to the market square"); err != nil {
		t.Fatal(err)
	}
	// No auto-close from the first check-in: the reply started afresh.
	at(15 * time.Second)
	tick()
	expect("at 15s", map[string]int{"check_in": 2, "auto_close": 0})

	// The person answers "yes" in a message this time.
	at(16 * time.Second)
	e.inbound(t, &queue.Inbound{ID: "tg:7001:yes", Channel: inquiry.Telegram, Address: chat, Text: "Yes"})
	q := e.load(t, ref)
	if q.Status != inquiry.Closed {
		t.Fatalf("after Yes: %s", q.Status)
	}
	expect("after Yes", map[string]int{"thanks_closed": 1, "followup_card": 0})
	at(21 * time.Second)
	tick()
	expect("at 21s", map[string]int{"auto_close": 0})

	at(26 * time.Second) // closed at 16s + retention 10s
	if r := tick(); r.Done != 1 {
		t.Errorf("retention tick: %+v", r)
	}
	q = e.load(t, ref)
	if !q.Erased || q.Contact.Address != "" {
		t.Errorf("not erased after the retention period: %+v", q)
	}
	for _, m := range q.Messages {
		if m.Text != "" {
			t.Errorf("message text kept: %q", m.Text)
		}
	}
	counts := e.counts(t)
	total := 0
	for k, n := range counts {
		if strings.HasSuffix(k, " "+string(ref)) {
			total += n
		}
	}
	// ack, card, reminder×2, escalation, reply×2, check_in×2, reopened,
	// reopened_notice, thanks_closed.
	if total != 12 {
		t.Errorf("%d messages about the inquiry, want 12: %v", total, counts)
	}
}
