package desk

// Follow-ups (SPEC §9): what happens when a follow-up timer falls due. The
// scheduler (package followup) claims due timers and calls FollowUp for
// each; FollowUp re-checks the inquiry inside the transaction that changes
// it and queues the message in that same transaction, so a timer handled
// twice (a retried claim, two schedulers) still sends one message.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// What FollowUp did with a timer.
const (
	// FollowUpDone: the follow-up was carried out (its message queued, its
	// flag set), or recorded as undeliverable in the audit trail.
	FollowUpDone = "done"
	// FollowUpGone: the inquiry changed (staff acted, the person wrote, it
	// was closed or erased): the timer no longer applies and nothing is done.
	FollowUpGone = "gone"
	// FollowUpNotDue: the timer moved later; it stays scheduled.
	FollowUpNotDue = "not_due"
)

// errNoFollowUp aborts an update whose timer no longer applies, so nothing
// is written.
var errNoFollowUp = inquiry.Errorf(inquiry.ECONFLICT, "the follow-up no longer applies")

// FollowUp carries out the follow-up timer kind (inquiry.TimerRemind, ...)
// of an inquiry, if the inquiry still calls for it at now. It is
// idempotent: the flag it sets (Reminded, Overdue, CheckInAt, closed,
// erased) and the message it queues are written in one transaction, and a
// second call finds the timer gone.
func (d *Desk) FollowUp(ctx context.Context, kind string, ref inquiry.Reference, now time.Time) (string, error) {
	policy := Policy(d.cfg)
	var outcome string
	_, err := d.store.Update(ctx, ref, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
		t, ok := timerOf(q.Timers(policy), kind)
		if !ok {
			return nil, errNoFollowUp
		}
		if t.At.After(now) {
			// Moved later (or claimed early by a scheduler whose clock is
			// ahead): saving the unchanged inquiry puts the timer back in
			// the due set at its time.
			outcome = FollowUpNotDue
			return &queue.Effects{}, nil
		}
		outcome = FollowUpDone
		eff := &queue.Effects{Count: map[string]int64{}}
		var err error
		switch kind {
		case inquiry.TimerRemind:
			d.remind(q, eff, now)
		case inquiry.TimerEscalate:
			d.escalate(q, eff, now)
		case inquiry.TimerCheckIn:
			d.checkIn(q, eff, now)
		case inquiry.TimerAutoClose:
			err = d.autoClose(q, eff, now)
		case inquiry.TimerRetention:
			err = d.retain(ctx, q, eff, now)
		default:
			return nil, errNoFollowUp
		}
		if err != nil {
			return nil, err
		}
		return eff, nil
	})
	switch {
	case errors.Is(err, errNoFollowUp), inquiry.ErrorCode(err) == inquiry.ENOTFOUND:
		return FollowUpGone, nil
	case err != nil:
		return "", err
	}
	if outcome == FollowUpDone {
		d.log.Info("follow-up done", "kind", kind, "ref", ref)
	}
	return outcome, nil
}

func timerOf(ts []inquiry.Timer, kind string) (inquiry.Timer, bool) {
	for _, t := range ts {
		if t.Kind == kind {
			return t, true
		}
	}
	return inquiry.Timer{}, false
}

// remind tells the lead agency's staff that an inquiry waits for a first
// response.
func (d *Desk) remind(q *inquiry.Inquiry, eff *queue.Effects, now time.Time) {
	q.Reminded = true
	if q.Overdue {
		// Already escalated (the two fell due together): a reminder after
		// the escalation would only be noise.
		eff.AddAudit(now, "system", queue.AuditReminderSkipped, "already escalated")
		return
	}
	text := d.cfg.Text("reminder", "en", d.followUpVars(q, now))
	msgs := d.toAgency(q.Agency, q, queue.KindReminder, text)
	d.staffOutbox(eff, msgs, now, queue.AuditReminded, "agency="+q.Agency)
	eff.Count["followup:reminders"]++
}

// escalate tells the secretariat that an agency has not responded, and
// marks the inquiry overdue (the API and dashboard show it).
func (d *Desk) escalate(q *inquiry.Inquiry, eff *queue.Effects, now time.Time) {
	q.Overdue = true
	text := d.cfg.Text("escalation", "en", d.followUpVars(q, now))
	msgs := d.toAgency(d.cfg.Network.Secretariat, q, queue.KindEscalation, text)
	d.staffOutbox(eff, msgs, now, queue.AuditEscalated, "to "+d.cfg.Network.Secretariat)
	eff.Count["followup:escalations"]++
}

// checkIn asks the person whether the answer helped: Yes/No buttons on
// Telegram, "reply YES or NO" by email.
func (d *Desk) checkIn(q *inquiry.Inquiry, eff *queue.Effects, now time.Time) {
	q.CheckInAt = now
	eff.Count["followup:check_ins"]++
	vars := map[string]string{"reference": string(q.Reference)}
	var o queue.Outbound
	var ok bool
	switch q.Contact.Channel {
	case inquiry.Telegram:
		o, ok = d.toPerson(q, d.cfg.Text("check_in", q.Language, vars), queue.KindCheckIn, nil)
		o.Buttons = CheckInButtons(d.cfg.Text("yes", q.Language, nil), d.cfg.Text("no", q.Language, nil), q.Reference)
	default:
		o, ok = d.toPerson(q, d.cfg.Text("check_in_email", q.Language, vars), queue.KindCheckIn, nil)
	}
	if !ok {
		eff.AddAudit(now, "system", queue.AuditCheckInSkipped, "no delivery channel reaches this person; the inquiry closes itself after auto_close_after")
		return
	}
	d.personOutbox(q, eff, o)
	eff.AddAudit(now, "system", queue.AuditCheckIn, "channel="+string(o.Channel))
}

// autoClose closes an inquiry whose check-in went unanswered and tells the
// person how to reopen it.
func (d *Desk) autoClose(q *inquiry.Inquiry, eff *queue.Effects, now time.Time) error {
	if err := q.Close(now); err != nil {
		return err
	}
	eff.Count["followup:auto_closed"]++
	eff.AddAudit(now, "system", queue.AuditAutoClosed, "no answer to the check-in")
	text := d.cfg.Text("auto_close", q.Language, map[string]string{"reference": string(q.Reference)})
	if o, ok := d.toPerson(q, text, queue.KindAutoClose, nil); ok {
		d.personOutbox(q, eff, o)
	}
	return nil
}

// retain erases the personal data of an inquiry closed longer ago than the
// retention period, as an admin's erasure does (desk.Erase): text, subject,
// contact and routing matches go; the record and anonymous counts stay.
func (d *Desk) retain(ctx context.Context, q *inquiry.Inquiry, eff *queue.Effects, now time.Time) error {
	eff.RewriteMessages, eff.ScrubAudit = true, true
	if c := q.Contact; c.Address != "" {
		// The person's conversation is cleared only if it still points
		// here: a newer inquiry of theirs keeps going.
		cur, ok, err := d.store.Conversation(ctx, c.Channel, c.Address)
		if err != nil {
			return err
		}
		if ok && cur == q.Reference {
			eff.Conversation = &queue.Conversation{Channel: c.Channel, Address: c.Address, Clear: true}
		}
	}
	q.Erase(now)
	eff.AddAudit(now, "retention", queue.AuditErased, "closed longer than the retention period")
	eff.Count["followup:retention_erased"]++
	return d.blankCards(ctx, q.Reference, eff)
}

// followUpVars fill the staff follow-up templates. They hold no personal
// data: reference, topic, agency and age only.
func (d *Desk) followUpVars(q *inquiry.Inquiry, now time.Time) map[string]string {
	link := ""
	if u := d.cfg.Network.DashboardURL; u != "" {
		link = strings.TrimRight(u, "/") + "/inquiries/" + string(q.Reference)
	}
	urgent := ""
	if q.Urgent {
		urgent = "🚨 URGENT — "
	}
	return map[string]string{
		"reference": string(q.Reference), "topic": q.Topic, "agency": q.Agency,
		"age": Age(now.Sub(q.OpenedAt)), "language": q.Language, "channel": string(q.Channel),
		"urgent": urgent, "link": link,
	}
}

// Age writes a waiting time for staff: "45m", "26h", "3d".
func Age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// toAgency composes a staff message to an agency: in its Telegram group
// (with the card's buttons when it is about an inquiry), or by email when
// the agency has no group. No channel: nothing.
func (d *Desk) toAgency(agency string, q *inquiry.Inquiry, kind queue.Kind, text string) []queue.Outbound {
	a, ok := d.cfg.Agency(agency)
	if !ok {
		return nil
	}
	var ref inquiry.Reference
	if q != nil {
		ref = q.Reference
	}
	switch {
	case a.TelegramChat != 0 && d.channels.Telegram:
		o := queue.Outbound{
			ID: queue.NewID(), Channel: inquiry.Telegram, Kind: kind, Reference: ref,
			To: strconv.FormatInt(a.TelegramChat, 10), Group: true, Agency: a.ID, Text: text, Created: d.now(),
		}
		if ref != "" {
			o.Buttons = CardButtons(ref)
		}
		return []queue.Outbound{o}
	case a.Email != "" && d.channels.Email:
		subject, _, _ := strings.Cut(text, "\n")
		if ref != "" && !strings.Contains(subject, "["+string(ref)+"]") {
			subject = "[" + string(ref) + "] " + subject
		}
		body := text
		if u := d.cfg.Network.DashboardURL; u != "" && ref != "" {
			body += "\n\n" + strings.TrimRight(u, "/") + "/inquiries/" + string(ref)
		}
		return []queue.Outbound{{
			ID: queue.NewID(), Channel: inquiry.Email, Kind: kind, Reference: ref,
			To: a.Email, Agency: a.ID, MessageID: d.newMessageID(), Created: d.now(),
			Subject: truncate(subject, 200), Text: body,
		}}
	}
	return nil
}

// staffOutbox queues staff messages with their audit entry, or records that
// no channel reaches the agency.
func (d *Desk) staffOutbox(eff *queue.Effects, msgs []queue.Outbound, now time.Time, action queue.AuditAction, detail string) {
	if len(msgs) == 0 {
		eff.AddAudit(now, "system", action, detail+" (not delivered: the agency has no Telegram group or email, or the channel is off)")
		return
	}
	eff.Outbox = append(eff.Outbox, msgs...)
	eff.AddAudit(now, "system", action, detail)
}

// personOutbox queues a message to the person, threading an email.
func (d *Desk) personOutbox(q *inquiry.Inquiry, eff *queue.Effects, o queue.Outbound) {
	eff.Outbox = append(eff.Outbox, o)
	if o.MessageID != "" {
		eff.MessageIDs = append(eff.MessageIDs, o.MessageID)
		q.Contact.Thread = appendThread(q.Contact.Thread, o.MessageID)
	}
}

// Digests composes each agency's daily digest: its open, overdue and urgent
// counts as lead agency, never a text or a personal detail. Agencies with
// no Telegram group or email (or whose channel is off) get none.
func (d *Desk) Digests(ctx context.Context, now time.Time) ([]queue.Outbound, error) {
	ids := make([]string, 0, len(d.cfg.Agencies))
	for _, a := range d.cfg.Agencies {
		ids = append(ids, a.ID)
	}
	qs, err := d.store.Queue(ctx, ids, false, 0)
	if err != nil {
		return nil, err
	}
	type counts struct{ open, overdue, urgent int }
	per := map[string]*counts{}
	for _, id := range ids {
		per[id] = &counts{}
	}
	for _, q := range qs {
		c, ok := per[q.Agency]
		if !ok || q.Status == inquiry.Closed {
			continue
		}
		if q.Status == inquiry.Open {
			c.open++
		}
		if q.Overdue || (q.Status == inquiry.Open && now.Sub(q.OpenedAt) > d.cfg.Followups.FirstResponse.D()) {
			c.overdue++
		}
		if q.Urgent {
			c.urgent++
		}
	}
	var out []queue.Outbound
	for _, id := range ids {
		c := per[id]
		text := d.cfg.Text("digest", "en", map[string]string{
			"agency": id, "open": strconv.Itoa(c.open), "overdue": strconv.Itoa(c.overdue), "urgent": strconv.Itoa(c.urgent),
		})
		out = append(out, d.toAgency(id, nil, queue.KindDigest, text)...)
	}
	return out, nil
}
