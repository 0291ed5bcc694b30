package desk_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

const (
	secretariatChat = "-1000"
	wfpChat         = "-1005"
)

// telegramInquiry opens a WFP inquiry from a Telegram chat and returns its reference.
func (h *harness) telegramInquiry(t *testing.T, chat, text string) inquiry.Reference {
	t.Helper()
	h.handle(t, &queue.Inbound{ID: "tg:" + chat + ":" + queue.NewID(), Channel: inquiry.Telegram, Address: chat, Text: text})
	ref, ok, err := h.store.Conversation(context.Background(), inquiry.Telegram, chat)
	if err != nil || !ok {
		t.Fatalf("no conversation for %s: %v", chat, err)
	}
	return ref
}

func (h *harness) followUp(t *testing.T, kind string, ref inquiry.Reference, at time.Time) string {
	t.Helper()
	out, err := h.desk.FollowUp(context.Background(), kind, ref, at)
	if err != nil {
		t.Fatalf("FollowUp(%s, %s): %v", kind, ref, err)
	}
	return out
}

func (h *harness) load(t *testing.T, ref inquiry.Reference) *inquiry.Inquiry {
	t.Helper()
	q, err := h.store.Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// sent returns the outbox entries of kind on ch.
func (h *harness) sent(t *testing.T, ch inquiry.Channel, kind string) []queue.Outbound {
	t.Helper()
	var out []queue.Outbound
	for _, o := range h.outbox(t, ch) {
		if string(o.Kind) == kind {
			out = append(out, o)
		}
	}
	return out
}

func (h *harness) audited(t *testing.T, ref inquiry.Reference, action string) bool {
	t.Helper()
	trail, err := h.store.AuditTrail(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range trail {
		if string(e.Action) == action {
			return true
		}
	}
	return false
}

func TestReminderThenEscalation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	t0 := h.clock.t
	ref := h.telegramInquiry(t, "501", "We need food assistance, the rations stopped")
	f := h.cfg.Followups

	// Not yet due: nothing, and the timer stays scheduled.
	if got := h.followUp(t, inquiry.TimerRemind, ref, t0.Add(f.FirstResponse.D()-time.Second)); got != desk.FollowUpNotDue {
		t.Fatalf("early reminder = %s", got)
	}
	if len(h.sent(t, inquiry.Telegram, "reminder")) != 0 {
		t.Fatal("a reminder went out early")
	}
	if ts, _ := h.store.DueTimers(ctx, ref); !ts[inquiry.TimerRemind].Equal(t0.Add(f.FirstResponse.D())) {
		t.Fatalf("remind timer after an early call = %v", ts)
	}

	at := t0.Add(f.FirstResponse.D())
	if got := h.followUp(t, inquiry.TimerRemind, ref, at); got != desk.FollowUpDone {
		t.Fatalf("reminder = %s", got)
	}
	rem := h.sent(t, inquiry.Telegram, "reminder")
	if len(rem) != 1 || rem[0].To != wfpChat || !rem[0].Group || rem[0].Reference != ref ||
		!strings.Contains(rem[0].Text, string(ref)) || !strings.Contains(rem[0].Text, "24h") || len(rem[0].Buttons) == 0 {
		t.Fatalf("reminder = %+v", rem)
	}
	if strings.Contains(rem[0].Text, "rations") {
		t.Error("the reminder quotes the person's text")
	}
	if q := h.load(t, ref); !q.Reminded || q.Overdue {
		t.Errorf("after the reminder: reminded=%t overdue=%t", q.Reminded, q.Overdue)
	}
	// A second call (a retried claim) sends nothing more.
	if got := h.followUp(t, inquiry.TimerRemind, ref, at.Add(time.Minute)); got != desk.FollowUpGone {
		t.Errorf("second reminder = %s", got)
	}
	if n := len(h.sent(t, inquiry.Telegram, "reminder")); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}

	at = t0.Add(f.EscalateAfter.D())
	if got := h.followUp(t, inquiry.TimerEscalate, ref, at); got != desk.FollowUpDone {
		t.Fatalf("escalation = %s", got)
	}
	esc := h.sent(t, inquiry.Telegram, "escalation")
	if len(esc) != 1 || esc[0].To != secretariatChat || !strings.Contains(esc[0].Text, "WFP") || !strings.Contains(esc[0].Text, "2d") {
		t.Fatalf("escalation = %+v", esc)
	}
	if q := h.load(t, ref); !q.Overdue {
		t.Error("escalated inquiry not overdue")
	}
	h.followUp(t, inquiry.TimerEscalate, ref, at)
	if n := len(h.sent(t, inquiry.Telegram, "escalation")); n != 1 {
		t.Errorf("%d escalations, want 1", n)
	}
	// Coordinators find it with ?overdue=true.
	list, err := h.desk.Queue(ctx, coord, desk.Filter{Overdue: true})
	if err != nil || len(list) != 1 || list[0].Reference != ref || !list[0].Overdue {
		t.Errorf("overdue queue = %+v %v", list, err)
	}
	if ts, _ := h.store.DueTimers(ctx, ref); len(ts) != 0 {
		t.Errorf("timers left after the escalation: %v", ts)
	}
	if !h.audited(t, ref, "reminded") || !h.audited(t, ref, "escalated") {
		t.Error("reminder or escalation not audited")
	}
}

func TestReminderAfterEscalationIsSkipped(t *testing.T) {
	h := newHarness(t)
	ref := h.telegramInquiry(t, "502", "food rations please")
	late := h.clock.t.Add(h.cfg.Followups.EscalateAfter.D() + time.Hour)
	// The scheduler was down; the escalation was handled first.
	h.followUp(t, inquiry.TimerEscalate, ref, late)
	if got := h.followUp(t, inquiry.TimerRemind, ref, late); got != desk.FollowUpDone {
		t.Fatalf("reminder = %s", got)
	}
	if n := len(h.sent(t, inquiry.Telegram, "reminder")); n != 0 {
		t.Errorf("a reminder went out after the escalation")
	}
	if q := h.load(t, ref); !q.Reminded {
		t.Error("skipped reminder still pending")
	}
}

func TestReminderByEmailWhenNoGroup(t *testing.T) {
	h := newHarness(t)
	for i := range h.cfg.Agencies {
		if h.cfg.Agencies[i].ID == "WFP" {
			h.cfg.Agencies[i].TelegramChat = 0
			h.cfg.Agencies[i].Email = "desk@wfp.example"
		}
	}
	ref := h.telegramInquiry(t, "503", "food basket")
	h.followUp(t, inquiry.TimerRemind, ref, h.clock.t.Add(h.cfg.Followups.FirstResponse.D()))
	rem := h.sent(t, inquiry.Email, "reminder")
	if len(rem) != 1 || rem[0].To != "desk@wfp.example" || !strings.HasPrefix(rem[0].Subject, "["+string(ref)+"]") || rem[0].MessageID == "" {
		t.Fatalf("email reminder = %+v", rem)
	}
}

// Every staff action and every message from the person moves or cancels
// the pending follow-up; a timer claimed before the change does nothing.
func TestStaffActionsCancelTimers(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		act  func(h *harness, ref inquiry.Reference) error
		// what remains pending, and what a stale remind timer gives
		remind string
	}{
		{"claim", func(h *harness, ref inquiry.Reference) error { _, err := h.desk.Claim(ctx, wfpAgent, ref); return err }, desk.FollowUpGone},
		{"reply", func(h *harness, ref inquiry.Reference) error {
			_, _, err := h.desk.Reply(ctx, wfpAgent, ref, "Rations resume on Sunday")
			return err
		}, desk.FollowUpGone},
		{"close", func(h *harness, ref inquiry.Reference) error { _, err := h.desk.Close(ctx, wfpAgent, ref); return err }, desk.FollowUpGone},
		{"assign", func(h *harness, ref inquiry.Reference) error {
			_, err := h.desk.Assign(ctx, wfpAgent, ref, "UNHCR", "camp registration")
			return err
		}, desk.FollowUpNotDue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			t0 := h.clock.t
			ref := h.telegramInquiry(t, "510", "food rations stopped")
			h.clock.t = t0.Add(20 * time.Hour)
			if err := c.act(h, ref); err != nil {
				t.Fatal(err)
			}
			due := t0.Add(h.cfg.Followups.FirstResponse.D())
			if got := h.followUp(t, inquiry.TimerRemind, ref, due); got != c.remind {
				t.Errorf("remind after %s = %s, want %s", c.name, got, c.remind)
			}
			if got := h.followUp(t, inquiry.TimerEscalate, ref, t0.Add(h.cfg.Followups.EscalateAfter.D())); got == desk.FollowUpDone {
				t.Errorf("escalated after %s", c.name)
			}
			if n := len(h.sent(t, inquiry.Telegram, "reminder")) + len(h.sent(t, inquiry.Telegram, "escalation")); n != 0 {
				t.Errorf("%d follow-ups sent after %s", n, c.name)
			}
			ts, _ := h.store.DueTimers(ctx, ref)
			if c.name == "assign" {
				// Reassigning restarts the SLA clock for the new agency.
				if !ts[inquiry.TimerRemind].Equal(h.clock.t.Add(h.cfg.Followups.FirstResponse.D())) {
					t.Errorf("remind timer after assign = %v", ts)
				}
			} else if _, ok := ts[inquiry.TimerRemind]; ok {
				t.Errorf("remind timer still pending after %s: %v", c.name, ts)
			}
		})
	}
}

func TestCheckInTelegram(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref := h.telegramInquiry(t, "520", "نحتاج سلة غذائية لعائلتي")
	if _, _, err := h.desk.Reply(ctx, wfpAgent, ref, "Distribution on Sunday"); err != nil {
		t.Fatal(err)
	}
	answered := h.clock.t
	f := h.cfg.Followups
	if got := h.followUp(t, inquiry.TimerCheckIn, ref, answered.Add(f.CheckInAfter.D()-time.Minute)); got != desk.FollowUpNotDue {
		t.Fatalf("early check-in = %s", got)
	}
	at := answered.Add(f.CheckInAfter.D())
	if got := h.followUp(t, inquiry.TimerCheckIn, ref, at); got != desk.FollowUpDone {
		t.Fatalf("check-in = %s", got)
	}
	ci := h.sent(t, inquiry.Telegram, "check_in")
	if len(ci) != 1 || ci[0].To != "520" || ci[0].Group || !strings.Contains(ci[0].Text, string(ref)) || !strings.Contains(ci[0].Text, "هل ساعدك") {
		t.Fatalf("check-in = %+v", ci)
	}
	b := ci[0].Buttons
	if len(b) != 1 || len(b[0]) != 2 || b[0][0].Text != "نعم" || b[0][0].Data != "checkin:yes:"+string(ref) ||
		b[0][1].Text != "لا" || b[0][1].Data != "checkin:no:"+string(ref) {
		t.Errorf("buttons = %+v", b)
	}
	if q := h.load(t, ref); !q.CheckInAt.Equal(at) {
		t.Errorf("CheckInAt = %v", q.CheckInAt)
	}
	h.followUp(t, inquiry.TimerCheckIn, ref, at)
	if n := len(h.sent(t, inquiry.Telegram, "check_in")); n != 1 {
		t.Errorf("%d check-ins, want 1", n)
	}
	ts, _ := h.store.DueTimers(ctx, ref)
	if len(ts) != 1 || !ts[inquiry.TimerAutoClose].Equal(at.Add(f.AutoCloseAfter.D())) {
		t.Errorf("timers after the check-in = %v", ts)
	}
}

func TestCheckInEmailAndWeb(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "mail:1", Channel: inquiry.Email, Address: "rania@example.org", Subject: "Food rations",
		Text: "Our food rations stopped", MessageID: "<m1@example.org>"})
	ref, _, _ := h.store.ThreadReference(ctx, "<m1@example.org>")
	h.handle(t, &queue.Inbound{ID: "web:1", Channel: inquiry.Web, Address: "", Text: "food basket please", Reference: "NM-WEB001"})
	h.handle(t, &queue.Inbound{ID: "web:2", Channel: inquiry.Web, Address: "Sami <sami@example.org>", Text: "food rations", Reference: "NM-WEB002"})
	for _, r := range []inquiry.Reference{ref, "NM-WEB001", "NM-WEB002"} {
		if _, _, err := h.desk.Reply(ctx, wfpAgent, r, "Rations resume on Sunday"); err != nil {
			t.Fatal(err)
		}
		h.followUp(t, inquiry.TimerCheckIn, r, h.clock.t.Add(h.cfg.Followups.CheckInAfter.D()))
	}
	ci := h.sent(t, inquiry.Email, "check_in")
	if len(ci) != 2 {
		t.Fatalf("email check-ins = %+v", ci)
	}
	if ci[0].To != "rania@example.org" || !strings.Contains(ci[0].Subject, "["+string(ref)+"]") || !strings.Contains(ci[0].Text, "YES or NO") || ci[0].InReplyTo == "" {
		t.Errorf("email check-in = %+v", ci[0])
	}
	if ci[1].To != "sami@example.org" || ci[1].Reference != "NM-WEB002" {
		t.Errorf("web check-in = %+v", ci[1])
	}
	// A web inquiry without a way back: nothing sent, but recorded, and the
	// inquiry goes on to close itself.
	q := h.load(t, "NM-WEB001")
	if q.CheckInAt.IsZero() || !h.audited(t, "NM-WEB001", "check_in_skipped") {
		t.Errorf("skipped check-in not recorded: %+v", q)
	}
	if ts, _ := h.store.DueTimers(ctx, "NM-WEB001"); ts[inquiry.TimerAutoClose].IsZero() {
		t.Errorf("no auto-close after a skipped check-in: %v", ts)
	}
}

func TestPersonMessageCancelsCheckIn(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref := h.telegramInquiry(t, "530", "food rations stopped")
	h.desk.Reply(ctx, wfpAgent, ref, "Rations resume on Sunday")
	due := h.clock.t.Add(h.cfg.Followups.CheckInAfter.D())
	h.clock.t = h.clock.t.Add(time.Hour)
	h.handle(t, &queue.Inbound{ID: "tg:530:2", Channel: inquiry.Telegram, Address: "530", Text: "Which distribution point?"})
	if got := h.followUp(t, inquiry.TimerCheckIn, ref, due); got != desk.FollowUpGone {
		t.Errorf("check-in after the person wrote = %s", got)
	}
	// And a message after the check-in cancels the auto-close.
	h.desk.Reply(ctx, wfpAgent, ref, "The one near the market")
	at := h.clock.t.Add(h.cfg.Followups.CheckInAfter.D())
	h.followUp(t, inquiry.TimerCheckIn, ref, at)
	h.clock.t = at.Add(time.Hour)
	h.handle(t, &queue.Inbound{ID: "tg:530:3", Channel: inquiry.Telegram, Address: "530", Text: "It was closed when I went there"})
	if got := h.followUp(t, inquiry.TimerAutoClose, ref, at.Add(h.cfg.Followups.AutoCloseAfter.D())); got != desk.FollowUpGone {
		t.Errorf("auto-close after the person wrote = %s", got)
	}
	if q := h.load(t, ref); q.Status == inquiry.Closed || !q.CheckInAt.IsZero() {
		t.Errorf("status %s, check-in %v", q.Status, q.CheckInAt)
	}
	if n := len(h.sent(t, inquiry.Telegram, "auto_close")); n != 0 {
		t.Errorf("%d auto-close messages", n)
	}
}

// checkedIn returns an inquiry whose check-in was sent.
func (h *harness) checkedIn(t *testing.T, chat string) inquiry.Reference {
	t.Helper()
	ref := h.telegramInquiry(t, chat, "food rations stopped")
	if _, _, err := h.desk.Reply(context.Background(), wfpAgent, ref, "Rations resume on Sunday"); err != nil {
		t.Fatal(err)
	}
	h.clock.t = h.clock.t.Add(h.cfg.Followups.CheckInAfter.D())
	if got := h.followUp(t, inquiry.TimerCheckIn, ref, h.clock.t); got != desk.FollowUpDone {
		t.Fatalf("check-in = %s", got)
	}
	return ref
}

func TestCheckInAnswerYes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref := h.checkedIn(t, "540")
	// Someone else's chat, or the wrong channel: not found, nothing changes.
	if err := h.desk.CheckInAnswer(ctx, inquiry.Telegram, "541", ref, true); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Errorf("other chat: %v", err)
	}
	if err := h.desk.CheckInAnswer(ctx, inquiry.Email, "540", ref, true); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Errorf("other channel: %v", err)
	}
	if q := h.load(t, ref); q.Status != inquiry.Answered {
		t.Fatalf("a stranger's answer changed the inquiry: %s", q.Status)
	}
	for range 2 { // a second tap changes nothing
		if err := h.desk.CheckInAnswer(ctx, inquiry.Telegram, "540", ref, true); err != nil {
			t.Fatal(err)
		}
	}
	q := h.load(t, ref)
	if q.Status != inquiry.Closed || !q.ClosedAt.Equal(h.clock.t) {
		t.Errorf("after yes: %s", q.Status)
	}
	th := h.sent(t, inquiry.Telegram, "thanks_closed")
	if len(th) != 1 || th[0].To != "540" || !strings.Contains(th[0].Text, string(ref)) {
		t.Errorf("thanks = %+v", th)
	}
	if got := h.followUp(t, inquiry.TimerAutoClose, ref, h.clock.t.Add(h.cfg.Followups.AutoCloseAfter.D())); got != desk.FollowUpGone {
		t.Errorf("auto-close after yes = %s", got)
	}
	if !h.audited(t, ref, "check_in_yes") {
		t.Error("answer not audited")
	}
}

func TestCheckInAnswerNoReopensFirst(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	older := h.telegramInquiry(t, "549", "food rations for my family") // waits in WFP's queue
	h.clock.t = h.clock.t.Add(time.Minute)
	ref := h.checkedIn(t, "550")
	for range 2 { // a second tap changes nothing
		if err := h.desk.CheckInAnswer(ctx, inquiry.Telegram, "550", ref, false); err != nil {
			t.Fatal(err)
		}
	}
	q := h.load(t, ref)
	if q.Status != inquiry.Open || !q.Priority || !q.OpenedAt.Equal(h.clock.t) || !q.CheckInAt.IsZero() {
		t.Errorf("after no: status %s priority %t opened %v", q.Status, q.Priority, q.OpenedAt)
	}
	if n := len(h.sent(t, inquiry.Telegram, "reopened")); n != 1 {
		t.Errorf("%d reopened messages to the person, want 1", n)
	}
	notice := h.sent(t, inquiry.Telegram, "reopened_notice")
	if len(notice) != 1 || notice[0].To != wfpChat || !notice[0].Group || !strings.Contains(notice[0].Text, string(ref)) || len(notice[0].Buttons) == 0 {
		t.Errorf("staff notice = %+v", notice)
	}
	// Reopened with priority: first in the agency's queue, ahead of an older inquiry.
	list, err := h.desk.Queue(ctx, wfpAgent, desk.Filter{})
	if err != nil || len(list) != 2 || list[0].Reference != ref || !list[0].Priority || list[1].Reference != older {
		t.Errorf("WFP queue = %+v", list)
	}
	// The SLA clock restarts from the reopening.
	ts, _ := h.store.DueTimers(ctx, ref)
	if !ts[inquiry.TimerRemind].Equal(h.clock.t.Add(h.cfg.Followups.FirstResponse.D())) {
		t.Errorf("timers after reopening = %v", ts)
	}
	// The next answer ends the priority.
	if _, _, err := h.desk.Reply(ctx, wfpAgent, ref, "Here is the right office"); err != nil {
		t.Fatal(err)
	}
	if q := h.load(t, ref); q.Priority {
		t.Error("still priority after the next answer")
	}
}

func TestCheckInTextAnswers(t *testing.T) {
	ctx := context.Background()
	t.Run("yes in Kurdish", func(t *testing.T) {
		h := newHarness(t)
		ref := h.checkedIn(t, "560")
		h.handle(t, &queue.Inbound{ID: "tg:560:yes", Channel: inquiry.Telegram, Address: "560", Text: " بەڵێ "})
		q := h.load(t, ref)
		if q.Status != inquiry.Closed {
			t.Errorf("status after بەڵێ = %s", q.Status)
		}
		if last := q.Messages[len(q.Messages)-1]; last.Direction != inquiry.In || strings.TrimSpace(last.Text) != "بەڵێ" {
			t.Errorf("the answer is not kept in the conversation: %+v", last)
		}
		if len(h.sent(t, inquiry.Telegram, "thanks_closed")) != 1 || len(h.sent(t, inquiry.Telegram, "followup_card")) != 0 {
			t.Errorf("outbox = %s", kinds(h.outbox(t, inquiry.Telegram)))
		}
		// A second "yes" is kept, and reopens nothing.
		h.handle(t, &queue.Inbound{ID: "tg:560:yes2", Channel: inquiry.Telegram, Address: "560", Text: "Yes!"})
		if q := h.load(t, ref); q.Status != inquiry.Closed || len(q.Messages) != 4 {
			t.Errorf("after a second yes: %s, %d messages", q.Status, len(q.Messages))
		}
		if len(h.sent(t, inquiry.Telegram, "thanks_closed")) != 1 || len(h.sent(t, inquiry.Telegram, "followup_card")) != 0 {
			t.Errorf("outbox after a second yes = %s", kinds(h.outbox(t, inquiry.Telegram)))
		}
	})
	t.Run("NO by email", func(t *testing.T) {
		h := newHarness(t)
		h.handle(t, &queue.Inbound{ID: "mail:1", Channel: inquiry.Email, Address: "rania@example.org", Subject: "Food", Text: "food rations stopped", MessageID: "<m1@example.org>"})
		ref, _, _ := h.store.ThreadReference(ctx, "<m1@example.org>")
		h.desk.Reply(ctx, wfpAgent, ref, "Rations resume on Sunday")
		h.clock.t = h.clock.t.Add(h.cfg.Followups.CheckInAfter.D())
		h.followUp(t, inquiry.TimerCheckIn, ref, h.clock.t)
		h.handle(t, &queue.Inbound{ID: "mail:2", Channel: inquiry.Email, Address: "rania@example.org", Subject: "Re: Food [" + string(ref) + "]",
			Text: "NO\n\nOn Monday the desk wrote:\n> Did the answer help?", MessageID: "<m2@example.org>"})
		q := h.load(t, ref)
		if q.Status != inquiry.Open || !q.Priority {
			t.Errorf("after NO: %s priority=%t", q.Status, q.Priority)
		}
		if len(h.sent(t, inquiry.Email, "reopened")) != 1 || len(h.sent(t, inquiry.Telegram, "reopened_notice")) != 1 {
			t.Errorf("outbox = %s / %s", kinds(h.outbox(t, inquiry.Email)), kinds(h.outbox(t, inquiry.Telegram)))
		}
	})
	t.Run("a longer message is a message", func(t *testing.T) {
		h := newHarness(t)
		ref := h.checkedIn(t, "570")
		h.handle(t, &queue.Inbound{ID: "tg:570:2", Channel: inquiry.Telegram, Address: "570", Text: "no, the office was closed"})
		q := h.load(t, ref)
		if q.Status != inquiry.Claimed || q.Priority || !q.CheckInAt.IsZero() {
			t.Errorf("after a normal message: %s priority=%t", q.Status, q.Priority)
		}
		if len(h.sent(t, inquiry.Telegram, "followup_card")) != 1 || len(h.sent(t, inquiry.Telegram, "reopened")) != 0 {
			t.Errorf("outbox = %s", kinds(h.outbox(t, inquiry.Telegram)))
		}
	})
	t.Run("yes without a check-in is a message", func(t *testing.T) {
		h := newHarness(t)
		ref := h.telegramInquiry(t, "580", "food rations stopped")
		h.desk.Reply(ctx, wfpAgent, ref, "Which governorate?")
		h.handle(t, &queue.Inbound{ID: "tg:580:2", Channel: inquiry.Telegram, Address: "580", Text: "yes"})
		if q := h.load(t, ref); q.Status == inquiry.Closed || len(q.Messages) != 3 {
			t.Errorf("a plain yes closed the inquiry: %s", q.Status)
		}
	})
}

func TestAutoClose(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref := h.checkedIn(t, "590")
	at := h.clock.t.Add(h.cfg.Followups.AutoCloseAfter.D())
	if got := h.followUp(t, inquiry.TimerAutoClose, ref, at.Add(-time.Second)); got != desk.FollowUpNotDue {
		t.Fatalf("early auto-close = %s", got)
	}
	if got := h.followUp(t, inquiry.TimerAutoClose, ref, at); got != desk.FollowUpDone {
		t.Fatalf("auto-close = %s", got)
	}
	h.followUp(t, inquiry.TimerAutoClose, ref, at)
	q := h.load(t, ref)
	if q.Status != inquiry.Closed || !q.ClosedAt.Equal(at) {
		t.Errorf("after auto-close: %s %v", q.Status, q.ClosedAt)
	}
	ac := h.sent(t, inquiry.Telegram, "auto_close")
	if len(ac) != 1 || ac[0].To != "590" || !strings.Contains(ac[0].Text, "reopen") {
		t.Errorf("auto-close messages = %+v", ac)
	}
	ts, _ := h.store.DueTimers(ctx, ref)
	if len(ts) != 1 || !ts[inquiry.TimerRetention].Equal(at.Add(h.cfg.Followups.Retention.D())) {
		t.Errorf("timers after auto-close = %v", ts)
	}
	// A "No" after the auto-close, within the reopen window, still reopens.
	h.clock.t = at.Add(time.Hour)
	if err := h.desk.CheckInAnswer(ctx, inquiry.Telegram, "590", ref, false); err != nil {
		t.Fatal(err)
	}
	if q := h.load(t, ref); q.Status != inquiry.Open || !q.Priority {
		t.Errorf("no after auto-close: %s", q.Status)
	}
}

func TestRetentionErases(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ref := h.telegramInquiry(t, "600", "food rations stopped in Mosul")
	// The bot posted its card, and later a combined message listing it.
	for _, id := range []int{77, 91} {
		if err := h.store.RememberCard(ctx, "-1005", id, []inquiry.Reference{ref}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	h.desk.Close(ctx, wfpAgent, ref)
	closed := h.clock.t
	before, _ := h.store.Counters(ctx)
	// A second person whose conversation moved on to a newer inquiry.
	old := h.telegramInquiry(t, "601", "food basket please")
	h.desk.Close(ctx, wfpAgent, old)
	h.clock.t = h.clock.t.Add(h.cfg.Followups.ReopenWindow.D() + time.Hour)
	newer := h.telegramInquiry(t, "601", "another food question")
	if newer == old {
		t.Fatal("no new inquiry after the reopen window")
	}

	at := closed.Add(h.cfg.Followups.Retention.D())
	if got := h.followUp(t, inquiry.TimerRetention, ref, at.Add(-time.Minute)); got != desk.FollowUpNotDue {
		t.Fatalf("early retention = %s", got)
	}
	for _, r := range []inquiry.Reference{ref, old} {
		if got := h.followUp(t, inquiry.TimerRetention, r, at); got != desk.FollowUpDone {
			t.Fatalf("retention of %s = %s", r, got)
		}
	}
	q := h.load(t, ref)
	if !q.Erased || q.Contact.Address != "" || q.Messages[0].Text != "" || q.Matched != nil || q.Status != inquiry.Closed {
		t.Errorf("not erased: %+v", q)
	}
	if q.Topic != "food" || q.Agency != "WFP" || len(q.Messages) != 1 {
		t.Errorf("anonymous facts lost: %+v", q)
	}
	after, _ := h.store.Counters(ctx)
	if after["inquiries"] < before["inquiries"] || after["followup:retention_erased"] != 2 {
		t.Errorf("counters before %v after %v", before, after)
	}
	if _, ok, _ := h.store.Conversation(ctx, inquiry.Telegram, "600"); ok {
		t.Error("the erased inquiry's conversation pointer was kept")
	}
	if cur, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "601"); cur != newer {
		t.Errorf("a newer inquiry's conversation was cleared: %q", cur)
	}
	if got := h.followUp(t, inquiry.TimerRetention, ref, at); got != desk.FollowUpGone {
		t.Errorf("second retention = %s", got)
	}
	if ts, _ := h.store.DueTimers(ctx, ref); len(ts) != 0 {
		t.Errorf("timers after erasure: %v", ts)
	}
	// Both staff-group messages are blanked.
	var blanked []int
	for _, o := range h.outbox(t, inquiry.Telegram) {
		if o.Kind == "blank_card" && o.Reference == ref && o.To == "-1005" && o.Text == desk.ErasedCard(ref) {
			blanked = append(blanked, o.EditMessage)
		}
	}
	if !slices.Equal(blanked, []int{77, 91}) {
		t.Errorf("blanked card messages %v, want [77 91]", blanked)
	}
}

func TestFollowUpMissingInquiry(t *testing.T) {
	h := newHarness(t)
	if got := h.followUp(t, inquiry.TimerRemind, "NM-NOPE00", h.clock.t); got != desk.FollowUpGone {
		t.Errorf("missing inquiry = %s", got)
	}
	ref := h.telegramInquiry(t, "610", "food")
	if got := h.followUp(t, "bogus", ref, h.clock.t.Add(1000*time.Hour)); got != desk.FollowUpGone {
		t.Errorf("unknown kind = %s", got)
	}
}

func TestDigests(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	t0 := h.clock.t
	h.telegramInquiry(t, "620", "Our food rations stopped in Mosul") // becomes overdue
	h.clock.t = t0.Add(20 * time.Hour)
	h.telegramInquiry(t, "621", "food basket please")
	h.handle(t, &queue.Inbound{ID: "tg:urgent", Channel: inquiry.Telegram, Address: "622", Text: "we are locked in and have no food, they beat us"})
	claimed := h.telegramInquiry(t, "623", "food assistance")
	h.desk.Claim(ctx, wfpAgent, claimed)

	msgs, err := h.desk.Digests(ctx, t0.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(h.cfg.Agencies) {
		t.Fatalf("%d digests for %d agencies", len(msgs), len(h.cfg.Agencies))
	}
	var wfp *queue.Outbound
	for i, o := range msgs {
		if o.Agency == "WFP" {
			wfp = &msgs[i]
		}
		if o.Kind != "digest" || !o.Group || o.Reference != "" || len(o.Buttons) != 0 {
			t.Errorf("digest %+v", o)
		}
	}
	if wfp == nil || wfp.To != wfpChat {
		t.Fatalf("WFP digest = %+v", wfp)
	}
	// Open (status open): 620, 621, the urgent 622; 623 is claimed.
	// Overdue: 620 (25h without a response). Urgent: 622.
	if want := "Daily digest for WFP: 3 open, 1 overdue, 1 urgent."; wfp.Text != want {
		t.Errorf("WFP digest = %q, want %q", wfp.Text, want)
	}
	for _, o := range msgs {
		for _, secret := range []string{"Mosul", "620", "NM-"} {
			if strings.Contains(o.Text, secret) {
				t.Errorf("digest %q holds %q", o.Text, secret)
			}
		}
	}
}

func TestParseCheckInAnswer(t *testing.T) {
	for _, c := range []struct {
		text    string
		yes, ok bool
	}{
		{"yes", true, true}, {"YES", true, true}, {" Yes. ", true, true}, {"y", true, true}, {"Y!", true, true},
		{"no", false, true}, {"NO", false, true}, {"n", false, true}, {"No\n\nOn Monday you wrote:\n> Did it help?", false, true},
		{"نعم", true, true}, {"نَعَم", true, true}, {"نعـــم", true, true}, {"لا", false, true},
		{"بەڵێ", true, true}, {"بەلێ", true, true}, {"نەخێر", false, true}, {"نا", false, true},
		{"Erê", true, true}, {"ERÊ", true, true}, {"ere", true, true}, {"belê!", true, true}, {"ئەرێ", true, true},
		{"Na", false, true}, {"nexêr", false, true}, {"NEXER.", false, true}, {"erê spas", false, false},
		{"\n  yes  \nthanks", true, true},
		{"yes please", false, false}, {"no, the office was closed", false, false}, {"not really", false, false},
		{"", false, false}, {"yess", false, false}, {"لا أعرف", false, false}, {"NM-ABC123", false, false},
		{"nope", false, false}, {"ok", false, false},
	} {
		yes, ok := desk.ParseCheckInAnswer(c.text)
		if yes != c.yes || ok != c.ok {
			t.Errorf("ParseCheckInAnswer(%q) = %t, %t; want %t, %t", c.text, yes, ok, c.yes, c.ok)
		}
	}
}

func TestParseCheckInData(t *testing.T) {
	for _, c := range []struct {
		data    string
		ref     inquiry.Reference
		yes, ok bool
	}{
		{"checkin:yes:NM-4K7Q2X", "NM-4K7Q2X", true, true},
		{"checkin:no:NM-4K7Q2X", "NM-4K7Q2X", false, true},
		{"checkin:maybe:NM-4K7Q2X", "", false, false},
		{"claim:NM-4K7Q2X", "", false, false},
		{"checkin:yes:not a ref", "", true, false},
	} {
		ref, yes, ok := desk.ParseCheckInData(c.data)
		if ok != c.ok || (ok && (ref != c.ref || yes != c.yes)) {
			t.Errorf("ParseCheckInData(%q) = %q %t %t", c.data, ref, yes, ok)
		}
	}
	b := desk.CheckInButtons("Yes", "No", "NM-4K7Q2X")
	for _, btn := range b[0] {
		if _, _, ok := desk.ParseCheckInData(btn.Data); !ok {
			t.Errorf("button data %q does not parse", btn.Data)
		}
	}
}
