package desk

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Operations of the email channel (inbox) that change inquiries. Each is
// applied once per mail: idem is the mail's idempotency key, stored in the
// same transaction as the change, so the IMAP listener may run it again
// after a crash (before it moved the mail) without doing it twice. (An
// agency's emailed answer is ReplyOnce with the mail's key.)

// MailRefused records that an emailed reply to an inquiry was not
// delivered (the sender may not answer it, or it had no text) and tells
// the secretariat, in its Telegram group or by email. The audit entry does
// not name the sender; the notice to the secretariat does, so they can add
// a colleague to the staff list.
func (d *Desk) MailRefused(ctx context.Context, ref inquiry.Reference, reason, sender, idem string) error {
	_, err := d.store.Update(ctx, ref, idem, func(q *inquiry.Inquiry) (*queue.Effects, error) {
		eff := &queue.Effects{Count: map[string]int64{"email_reply_refused": 1}}
		eff.AddAudit(d.now(), "system", queue.AuditEmailReplyRefused, reason)
		text := d.cfg.Text("email_reply_refused", "en", map[string]string{"reference": string(ref), "reason": reason, "sender": sender})
		if text == "" {
			text = "An email reply to inquiry " + string(ref) + " was NOT delivered to the person: " + reason + ".\n" +
				"It came from " + sender + ". If this address should answer for its agency, add it to the staff list " +
				"(staff: email). The mail is kept in the desk mailbox's done folder."
		}
		if o, ok := d.secretariatNotice(ref, queue.KindEmailRefused, text); ok {
			eff.Outbox = append(eff.Outbox, o)
		}
		return eff, nil
	})
	if errors.Is(err, queue.ErrDuplicate) {
		return nil
	}
	return err
}

// MailNote records automatic mail about an inquiry (a bounce of a mail the
// desk sent, an out-of-office answer) in its audit trail, without making
// it a message of the conversation or changing its status.
func (d *Desk) MailNote(ctx context.Context, ref inquiry.Reference, action queue.AuditAction, detail, idem string) error {
	_, err := d.store.Update(ctx, ref, idem, func(q *inquiry.Inquiry) (*queue.Effects, error) {
		eff := &queue.Effects{Count: map[string]int64{string(action) + ":email": 1}}
		eff.AddAudit(d.now(), "system", action, detail)
		return eff, nil
	})
	if errors.Is(err, queue.ErrDuplicate) {
		return nil
	}
	return err
}

// secretariatNotice composes a message to the secretariat's staff.
func (d *Desk) secretariatNotice(ref inquiry.Reference, kind queue.Kind, text string) (queue.Outbound, bool) {
	a, ok := d.cfg.Agency(d.cfg.Network.Secretariat)
	if !ok {
		return queue.Outbound{}, false
	}
	o := queue.Outbound{ID: queue.NewID(), Kind: kind, Reference: ref, Text: text, Created: d.now()}
	switch {
	case a.TelegramChat != 0 && d.channels.Telegram:
		o.Channel, o.To, o.Group, o.Agency = inquiry.Telegram, strconv.FormatInt(a.TelegramChat, 10), true, a.ID
	case a.Email != "" && d.channels.Email:
		// No reference in the subject and no Agency: a reply to this notice
		// must not be taken for an answer to the person.
		o.Channel, o.To = inquiry.Email, strings.ToLower(a.Email)
		o.Subject = d.cfg.Network.Name + ": an email reply was refused"
		o.MessageID = d.newMessageID()
	default:
		return o, false
	}
	return o, true
}
