package desk

import (
	"context"
	"slices"
	"strings"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Actor is the staff member who acts. Every action is checked against the
// actor's role and agency, whatever interface it came through.
type Actor = config.Staff

// sees reports whether the actor may see q: staff of the lead or a
// supporting agency, coordinators and admins. Sensitive inquiries follow
// the same rule, which already keeps them to those agencies.
func sees(a Actor, q *inquiry.Inquiry) bool {
	return a.SeesAll() || q.Involves(a.Agency)
}

// notFound is the answer to anything the actor may not see: it does not
// tell whether the reference exists.
func notFound(ref inquiry.Reference) error {
	return inquiry.Errorf(inquiry.ENOTFOUND, "no inquiry %s", ref)
}

// Get returns an inquiry the actor may see. Views of sensitive inquiries
// are audited.
func (d *Desk) Get(ctx context.Context, a Actor, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	q, err := d.store.Load(ctx, ref)
	if inquiry.ErrorCode(err) == inquiry.ENOTFOUND || (err == nil && !sees(a, q)) {
		return nil, notFound(ref)
	}
	if err != nil {
		return nil, err
	}
	if q.Sensitive {
		_ = d.store.Audit(ctx, ref, queue.AuditEntry{At: d.now(), Actor: a.ID, Action: queue.AuditViewed})
	}
	return q, nil
}

// AuditTrail returns the audit entries of an inquiry the actor may see.
// Reading a sensitive inquiry's trail is itself recorded.
func (d *Desk) AuditTrail(ctx context.Context, a Actor, ref inquiry.Reference) ([]queue.AuditEntry, error) {
	q, err := d.visible(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	trail, err := d.store.AuditTrail(ctx, ref)
	if err == nil && q.Sensitive {
		_ = d.store.Audit(ctx, ref, queue.AuditEntry{At: d.now(), Actor: a.ID, Action: queue.AuditViewedAudit})
	}
	return trail, err
}

// Viewed records that the actor was shown a sensitive inquiry in full by
// an answer other than Get (a claim, close or assign answers with it).
func (d *Desk) Viewed(ctx context.Context, a Actor, q *inquiry.Inquiry) {
	if q != nil && q.Sensitive {
		_ = d.store.Audit(ctx, q.Reference, queue.AuditEntry{At: d.now(), Actor: a.ID, Action: queue.AuditViewed})
	}
}

func (d *Desk) visible(ctx context.Context, a Actor, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	q, err := d.store.Load(ctx, ref)
	if inquiry.ErrorCode(err) == inquiry.ENOTFOUND || (err == nil && !sees(a, q)) {
		return nil, notFound(ref)
	}
	return q, err
}

// act applies a staff action to an inquiry the actor may see.
func (d *Desk) act(ctx context.Context, a Actor, ref inquiry.Reference, fn func(q *inquiry.Inquiry, eff *queue.Effects) error) (*inquiry.Inquiry, error) {
	return d.store.Update(ctx, ref, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
		if !sees(a, q) {
			return nil, notFound(ref)
		}
		eff := &queue.Effects{}
		if err := fn(q, eff); err != nil {
			return nil, err
		}
		return eff, nil
	})
}

// Claim gives the inquiry to the actor.
func (d *Desk) Claim(ctx context.Context, a Actor, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	return d.act(ctx, a, ref, func(q *inquiry.Inquiry, eff *queue.Effects) error {
		if err := q.Claim(a.ID, d.now()); err != nil {
			return err
		}
		eff.AddAudit(d.now(), a.ID, queue.AuditClaimed, "")
		return nil
	})
}

// Close closes the inquiry.
func (d *Desk) Close(ctx context.Context, a Actor, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	return d.act(ctx, a, ref, func(q *inquiry.Inquiry, eff *queue.Effects) error {
		if err := q.Close(d.now()); err != nil {
			return err
		}
		eff.AddAudit(d.now(), a.ID, queue.AuditClosed, "")
		return nil
	})
}

// Assign hands the inquiry to another agency, with a reason for the record.
func (d *Desk) Assign(ctx context.Context, a Actor, ref inquiry.Reference, agency, reason string) (*inquiry.Inquiry, error) {
	agency = strings.TrimSpace(agency)
	if _, ok := d.cfg.Agency(agency); !ok {
		return nil, inquiry.Errorf(inquiry.EINVALID, "unknown agency %q", agency)
	}
	if len(reason) > 1000 {
		return nil, inquiry.Errorf(inquiry.EINVALID, "reason is longer than 1000 characters")
	}
	return d.act(ctx, a, ref, func(q *inquiry.Inquiry, eff *queue.Effects) error {
		from := q.Agency
		if err := q.Assign(agency, d.now()); err != nil {
			return err
		}
		detail := "from " + from + " to " + agency
		if r := strings.TrimSpace(reason); r != "" {
			detail += ": " + r
		}
		eff.AddAudit(d.now(), a.ID, queue.AuditAssigned, detail)
		last := inquiry.Message{}
		for _, m := range slices.Backward(q.Messages) {
			if m.Direction == inquiry.In {
				last = m
				break
			}
		}
		eff.Outbox = append(eff.Outbox, d.staffNotice(q, last, queue.KindCard)...)
		return nil
	})
}

// Reply records a staff answer and queues its delivery through the
// person's own channel.
func (d *Desk) Reply(ctx context.Context, a Actor, ref inquiry.Reference, text string) (*inquiry.Inquiry, inquiry.Message, error) {
	return d.reply(ctx, a, ref, text, "")
}

// ReplyOnce is Reply for a reply that arrives by a channel that may deliver
// it again (a Telegram update after a crash, a webhook retry, a rescanned
// mail): idem (e.g. "tg:<update_id>") is recorded in the same transaction as
// the reply, and a second call with it changes nothing and answers
// queue.ErrDuplicate.
func (d *Desk) ReplyOnce(ctx context.Context, a Actor, ref inquiry.Reference, text, idem string) (*inquiry.Inquiry, error) {
	q, _, err := d.reply(ctx, a, ref, text, idem)
	return q, err
}

func (d *Desk) reply(ctx context.Context, a Actor, ref inquiry.Reference, text, idem string) (*inquiry.Inquiry, inquiry.Message, error) {
	text, err := d.CheckText(text)
	if err != nil {
		return nil, inquiry.Message{}, err
	}
	var msg inquiry.Message
	q, err := d.store.Update(ctx, ref, idem, func(q *inquiry.Inquiry) (*queue.Effects, error) {
		if !sees(a, q) {
			return nil, notFound(ref)
		}
		eff := &queue.Effects{}
		now := d.now()
		msg = inquiry.Message{ID: queue.NewID(), Channel: q.Contact.Channel, Author: a.ID, Text: text, At: now}
		if err := q.Reply(msg); err != nil {
			return nil, err
		}
		msg.Direction = inquiry.Out
		eff.AddAudit(now, a.ID, queue.AuditReplied, "")
		full := d.cfg.Text("reply", q.Language, map[string]string{"text": text, "agency": q.Agency, "reference": string(q.Reference)})
		if o, ok := d.toPerson(q, full, queue.KindReply, nil); ok {
			eff.Outbox = append(eff.Outbox, o)
			if o.MessageID != "" {
				eff.MessageIDs = append(eff.MessageIDs, o.MessageID)
				q.Contact.Thread = appendThread(q.Contact.Thread, o.MessageID)
			}
		} else {
			eff.AddAudit(now, "system", queue.AuditNotDelivered, "no delivery channel reaches this person (no Telegram chat, or no email address with SMTP configured); the reply is kept on the inquiry")
		}
		return eff, nil
	})
	return q, msg, err
}

// Erase removes the personal data of an inquiry (admins only); anonymous
// counts stay.
func (d *Desk) Erase(ctx context.Context, a Actor, ref inquiry.Reference) error {
	if a.Role != config.RoleAdmin {
		if _, err := d.visible(ctx, a, ref); err != nil {
			return err
		}
		return inquiry.Errorf(inquiry.EFORBIDDEN, "only an admin may erase personal data")
	}
	_, err := d.erase(ctx, a.ID, ref)
	return err
}

func (d *Desk) erase(ctx context.Context, actor string, ref inquiry.Reference) (*inquiry.Inquiry, error) {
	return d.store.Update(ctx, ref, "", func(q *inquiry.Inquiry) (*queue.Effects, error) {
		eff := &queue.Effects{RewriteMessages: true, ScrubAudit: true}
		if q.Contact.Address != "" {
			eff.Conversation = &queue.Conversation{Channel: q.Contact.Channel, Address: q.Contact.Address, Clear: true}
		}
		q.Erase(d.now())
		eff.AddAudit(d.now(), actor, queue.AuditErased, "")
		return eff, d.blankCards(ctx, q.Reference, eff)
	})
}

// ErasedCard is what a staff-group card of an erased inquiry says instead.
func ErasedCard(ref inquiry.Reference) string {
	return string(ref) + " — personal data erased; the text is no longer shown."
}

// blankCards queues an edit of every staff-group message that showed the
// inquiry, so an erasure does not leave the person's words in the groups.
// Mail already sent to an agency cannot be recalled.
func (d *Desk) blankCards(ctx context.Context, ref inquiry.Reference, eff *queue.Effects) error {
	if !d.channels.Telegram {
		return nil
	}
	posts, err := d.store.CardsOf(ctx, ref)
	if err != nil {
		return err
	}
	for _, p := range posts {
		eff.Outbox = append(eff.Outbox, queue.Outbound{
			ID: queue.NewID(), Channel: inquiry.Telegram, Kind: queue.KindBlankCard, Reference: ref,
			To: p.Chat, Group: true, EditMessage: p.MessageID, Text: ErasedCard(ref), Created: d.now(),
		})
	}
	return nil
}

// Forget erases everything the desk holds about a person on a channel
// (Telegram's /forget).
func (d *Desk) Forget(ctx context.Context, ch inquiry.Channel, address string) (int, error) {
	refs, err := d.store.PersonInquiries(ctx, ch, address)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ref := range refs {
		if _, err := d.erase(ctx, "person", ref); err != nil && inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
			return n, err
		}
		n++
	}
	return n, d.store.ForgetPerson(ctx, ch, address)
}

// Filter narrows a queue listing.
type Filter struct {
	Agency  string
	Status  inquiry.Status
	Topic   string
	Channel inquiry.Channel
	Overdue bool
	Limit   int
}

// Queue lists the inquiries the actor may see, urgent first, then oldest.
func (d *Desk) Queue(ctx context.Context, a Actor, f Filter) ([]inquiry.Summary, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, inquiry.Errorf(inquiry.EINVALID, "status %q must be open, claimed, answered or closed", f.Status)
	}
	if f.Channel != "" && !f.Channel.Valid() {
		return nil, inquiry.Errorf(inquiry.EINVALID, "channel %q must be web, telegram or email", f.Channel)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	var agencies []string
	switch {
	case f.Agency != "":
		if _, ok := d.cfg.Agency(f.Agency); !ok {
			return nil, inquiry.Errorf(inquiry.ENOTFOUND, "no agency %q", f.Agency)
		}
		if !a.SeesAll() && f.Agency != a.Agency {
			return nil, inquiry.Errorf(inquiry.ENOTFOUND, "no queue for agency %q", f.Agency)
		}
		agencies = []string{f.Agency}
	case a.SeesAll():
		for _, ag := range d.cfg.Agencies {
			agencies = append(agencies, ag.ID)
		}
	default:
		agencies = []string{a.Agency}
	}
	qs, err := d.store.Queue(ctx, agencies, f.Status == inquiry.Closed, f.Limit)
	if err != nil {
		return nil, err
	}
	out := []inquiry.Summary{}
	for _, q := range qs {
		if (f.Status != "" && q.Status != f.Status) || (f.Topic != "" && q.Topic != f.Topic) ||
			(f.Channel != "" && q.Channel != f.Channel) || !sees(a, q) {
			continue
		}
		sum := q.Summarize()
		sum.Overdue = d.Overdue(q)
		if f.Overdue && !sum.Overdue {
			continue
		}
		out = append(out, sum)
		if len(out) >= f.Limit {
			break
		}
	}
	return out, nil
}

// Overdue reports whether an open inquiry has waited past first_response.
func (d *Desk) Overdue(q *inquiry.Inquiry) bool {
	return q.Overdue || (q.Status == inquiry.Open && d.now().Sub(q.OpenedAt) > d.cfg.Followups.FirstResponse.D())
}
