package desk

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// The person's own word that they are in danger. The router flags urgency
// from the words of a message, and measured on wordings nobody anticipated
// it hears about half of the dangers told indirectly (router/doc.go). So a
// Telegram ack carries a button "I am in danger now", and /urgent does the
// same: the safety message goes out at once, and an inquiry not yet urgent
// becomes urgent (first in every queue) with an urgent card in the agency's
// group.

// DangerData is the callback data of the danger button of an ack.
func DangerData(ref inquiry.Reference) string { return "danger:" + string(ref) }

// ParseDangerData reads DangerData.
func ParseDangerData(data string) (inquiry.Reference, bool) {
	r, ok := strings.CutPrefix(data, "danger:")
	if !ok {
		return "", false
	}
	return inquiry.ParseReference(r)
}

// PersonInDanger marks ref urgent at its person's word and sends them the
// safety message (again, when it was already urgent: they may need the
// hotlines now). Only the inquiry's own person may do it: anyone else gets
// ENOTFOUND. idem makes a replayed button press or command change nothing.
func (d *Desk) PersonInDanger(ctx context.Context, ch inquiry.Channel, address string, ref inquiry.Reference, idem string) error {
	now := d.now()
	_, err := d.store.Update(ctx, ref, idem, func(q *inquiry.Inquiry) (*queue.Effects, error) {
		if !ownedBy(q, ch, address) {
			return nil, notFound(ref)
		}
		eff := &queue.Effects{Processed: idem, Count: map[string]int64{}}
		if o, ok := d.toPerson(q, d.cfg.SafetyMessage(q.Language), queue.KindSafety, nil); ok {
			eff.Outbox = append(eff.Outbox, o)
		}
		if q.ReopenIfDone(now) {
			// Danger now, on an inquiry staff thought done: back to them.
			eff.AddAudit(now, "system", queue.AuditReopened, "the person said they are in danger")
		} else if q.Urgent {
			eff.AddAudit(now, "person", queue.AuditDanger, "said again they are in danger; safety message sent again")
			return eff, nil
		}
		if q.Urgent {
			eff.AddAudit(now, "person", queue.AuditDanger, "said again they are in danger")
			eff.Outbox = append(eff.Outbox, d.staffNotice(q, lastIncoming(q), queue.KindFollowupCard)...)
			return eff, nil
		}
		q.Urgent = true
		q.UpdatedAt = now
		eff.Count["urgent"]++
		eff.Count["urgent_by_person"]++ // what the router missed
		eff.AddAudit(now, "person", queue.AuditUrgent, "the person said they are in danger now")
		eff.Outbox = append(eff.Outbox, d.staffNotice(q, lastIncoming(q), queue.KindFollowupCard)...)
		return eff, nil
	})
	if errors.Is(err, queue.ErrDuplicate) {
		return nil
	}
	if err == nil {
		d.log.Info("a person said they are in danger", "ref", ref)
	}
	return err
}

// lastIncoming is the person's latest message (the card shows it).
func lastIncoming(q *inquiry.Inquiry) inquiry.Message {
	for _, m := range slices.Backward(q.Messages) {
		if m.Direction == inquiry.In {
			return m
		}
	}
	return inquiry.Message{}
}
