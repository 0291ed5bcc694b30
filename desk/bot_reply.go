package desk

import (
	"context"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// ReplyOnce is Reply for a reply that arrives by a channel that may deliver
// it again (a Telegram update after a crash or a webhook retry): idem (e.g.
// "tg:<update_id>") is recorded in the same transaction as the reply, and a
// second call with it changes nothing and answers queue.ErrDuplicate.
func (d *Desk) ReplyOnce(ctx context.Context, a Actor, ref inquiry.Reference, text, idem string) (*inquiry.Inquiry, error) {
	text, err := d.CheckText(text)
	if err != nil {
		return nil, err
	}
	return d.store.Update(ctx, ref, idem, func(q *inquiry.Inquiry) (*queue.Effects, error) {
		if !sees(a, q) {
			return nil, notFound(ref)
		}
		eff := &queue.Effects{}
		now := d.now()
		msg := inquiry.Message{ID: queue.NewID(), Channel: q.Contact.Channel, Author: a.ID, Text: text, At: now}
		if err := q.Reply(msg); err != nil {
			return nil, err
		}
		eff.AddAudit(now, a.ID, "replied", "")
		full := d.cfg.Text("reply", q.Language, map[string]string{"text": text, "agency": q.Agency, "reference": string(q.Reference)})
		if o, ok := d.toPerson(q, full, "reply", nil); ok {
			eff.Outbox = append(eff.Outbox, o)
			if o.MessageID != "" {
				eff.MessageIDs = append(eff.MessageIDs, o.MessageID)
				q.Contact.Thread = appendThread(q.Contact.Thread, o.MessageID)
			}
		} else {
			eff.AddAudit(now, "system", "not_delivered", "the person left no way to reach them; the reply is kept on the inquiry")
		}
		return eff, nil
	})
}
