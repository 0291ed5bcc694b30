package desk

// The person's answer to a check-in ("did the answer help?"): a tap on the
// Telegram Yes/No buttons (CheckInAnswer), or a message whose first line is
// yes or no in one of the network's languages (checkInReply, from append).

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// CheckInButtons are the Yes/No buttons of a Telegram check-in; the bot
// passes "checkin:yes:REF" and "checkin:no:REF" to CheckInAnswer.
func CheckInButtons(yes, no string, ref inquiry.Reference) [][]queue.Button {
	return [][]queue.Button{{
		{Text: yes, Data: "checkin:yes:" + string(ref)},
		{Text: no, Data: "checkin:no:" + string(ref)},
	}}
}

// ParseCheckInData reads the callback data of a check-in button.
func ParseCheckInData(data string) (ref inquiry.Reference, yes bool, ok bool) {
	rest, found := strings.CutPrefix(data, "checkin:")
	if !found {
		return "", false, false
	}
	answer, r, _ := strings.Cut(rest, ":")
	if answer != "yes" && answer != "no" {
		return "", false, false
	}
	ref, ok = inquiry.ParseReference(r)
	return ref, answer == "yes", ok
}

// errNoCheckIn aborts an answer when no check-in waits for one.
var errNoCheckIn = inquiry.Errorf(inquiry.ECONFLICT, "no check-in waits for an answer")

// CheckInAnswer applies a person's answer to the check-in of ref: yes
// closes the inquiry and thanks them; no reopens it with priority for the
// agency, tells the agency's staff, and tells the person. address must be
// the inquiry's contact on ch (anything else answers not_found). It is
// idempotent: an answer when no check-in is pending (a second tap, or
// staff replied since) changes nothing and returns nil.
func (d *Desk) CheckInAnswer(ctx context.Context, ch inquiry.Channel, address string, ref inquiry.Reference, yes bool) error {
	now := d.now()
	_, err := d.store.Update(ctx, ref, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
		if !ownedBy(q, ch, address) {
			return nil, notFound(ref)
		}
		eff := &queue.Effects{Count: map[string]int64{}}
		if !d.applyCheckIn(q, eff, yes, now, "button") {
			return nil, errNoCheckIn
		}
		return eff, nil
	})
	if errors.Is(err, errNoCheckIn) {
		return nil
	}
	return err
}

// checkInReply handles a message that answers a check-in (its first line
// is yes or no, nothing is attached, and a check-in was sent since staff
// last replied). The message is kept in the conversation like any other,
// but instead of the usual effect of a new message (reopen, staff card) it
// applies the answer; a "yes" to an inquiry already closed reopens
// nothing. ok is false for any other message, which append handles as usual.
func (d *Desk) checkInReply(q *inquiry.Inquiry, m *queue.Inbound) (*queue.Effects, bool) {
	if q.CheckInAt.IsZero() || len(m.Attachments) > 0 {
		return nil, false
	}
	yes, ok := ParseCheckInAnswer(m.Text)
	if !ok {
		return nil, false
	}
	eff := &queue.Effects{Count: map[string]int64{}}
	if !d.applyCheckIn(q, eff, yes, m.At, "message") {
		if !yes || q.Status != inquiry.Closed || q.Erased {
			return nil, false
		}
		// A "yes" once the inquiry is closed (a second answer, or after the
		// auto-close): kept in the conversation, and nothing reopens.
		eff.AddAudit(m.At, "person", queue.AuditCheckInYes, "already closed")
	}
	eff.RewriteMessages = !q.KeepIncoming(d.message(m))
	eff.AddAudit(m.At, "system", queue.AuditMessageIn, "channel="+string(m.Channel)+" (answer to the check-in)")
	if m.MessageID != "" {
		eff.MessageIDs = append(eff.MessageIDs, m.MessageID)
		q.Contact.Thread = appendThread(q.Contact.Thread, m.MessageID)
	}
	return eff, true
}

// applyCheckIn applies yes or no to q. It reports false, changing nothing,
// when no check-in waits for that answer: none was asked, staff replied
// since, a yes to an inquiry already closed, a no to one already reopened
// or closed longer ago than the reopen window.
func (d *Desk) applyCheckIn(q *inquiry.Inquiry, eff *queue.Effects, yes bool, now time.Time, via string) bool {
	if q.Erased || q.CheckInAt.IsZero() {
		return false
	}
	vars := map[string]string{"reference": string(q.Reference)}
	switch {
	case yes && q.Status == inquiry.Answered:
		if q.Close(now) != nil {
			return false
		}
		eff.AddAudit(now, "person", queue.AuditCheckInYes, "closed: the answer helped ("+via+")")
		eff.Count["followup:check_in_yes"]++
		if o, ok := d.toPerson(q, d.cfg.Text("thanks_closed", q.Language, vars), queue.KindThanksClosed, nil); ok {
			d.personOutbox(q, eff, o)
		}
		return true
	case !yes && (q.Status == inquiry.Answered || (q.Status == inquiry.Closed && q.CanReopen(now, d.cfg.Followups.ReopenWindow.D()))):
		q.Reopen(now)
		q.Priority = true
		eff.AddAudit(now, "person", queue.AuditCheckInNo, "reopened with priority: the answer did not help ("+via+")")
		eff.Count["followup:check_in_no"]++
		if o, ok := d.toPerson(q, d.cfg.Text("reopened", q.Language, vars), queue.KindReopened, nil); ok {
			d.personOutbox(q, eff, o)
		}
		text := d.cfg.Text("reopened_staff", "en", d.followUpVars(q, now))
		if text == "" { // a network file that replaced the templates without this one
			text = "Inquiry " + string(q.Reference) + " (" + q.Topic + ") is open again: the person says the answer did not help."
		}
		d.staffOutbox(eff, d.toAgency(q.Agency, q, queue.KindReopenedNotice, text), now, queue.AuditStaffTold, "reopened, to "+q.Agency)
		return true
	}
	return false
}

// ParseCheckInAnswer reads a yes or a no from a message: the whole first
// line (trimmed, any case, a final "." or "!" allowed) must be the answer,
// in English (yes, y, no, n), Arabic (نعم, لا), Kurdish Sorani (بەڵێ,
// نەخێر, نا) or Kurmanji (erê, belê, na, nexêr; with or without accents, or
// in Arabic script). Anything longer is an ordinary message.
func ParseCheckInAnswer(text string) (yes bool, ok bool) {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.Map(func(r rune) rune {
		switch {
		case r == '\u0640' || r == '\u200c' || r == '\u200d' || r == '\u200f' || r == '\u200e' || r == '\ufeff':
			return -1 // tatweel, zero-width joiners, direction marks
		case r >= '\u064b' && r <= '\u0652':
			return -1 // Arabic diacritics
		}
		return unicode.ToLower(r)
	}, line)
	line = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line), ".!۔"))
	switch line {
	case "yes", "y", "نعم", "بەڵێ", "بەلێ", "بەڵی", "بەلی", "erê", "ere", "belê", "bele", "ئەرێ", "ئەری":
		return true, true
	case "no", "n", "لا", "نەخێر", "نەخیر", "نا", "na", "nexêr", "nexer":
		return false, true
	}
	return false, false
}
