package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/router"
)

// Submission is a message sent through the web intake.
type Submission struct {
	Text     string
	Language string
	Name     string
	Contact  string
}

// Receipt is the intake's answer.
type Receipt struct {
	Reference inquiry.Reference `json:"reference"`
	Status    inquiry.Status    `json:"status"`
	Topic     string            `json:"topic"`
	Agency    string            `json:"agency"`
	Urgent    bool              `json:"urgent"`
	// SafetyMessage is given at once to an urgent message.
	SafetyMessage string `json:"safety_message,omitempty"`
}

// IntakeScope is the idempotency scope of the web intake.
const IntakeScope = "intake"

// routedWait bounds how long an intake waits for its inquiry to be stored;
// past it the 201 still stands (the message is durably queued).
const routedWait = 5 * time.Second

// CheckText validates a person's text and returns it trimmed.
func (d *Desk) CheckText(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", inquiry.Errorf(inquiry.EINVALID, "text is not valid UTF-8")
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\x00", ""))
	if text == "" {
		return "", inquiry.Errorf(inquiry.EINVALID, "text is empty")
	}
	if n := utf8.RuneCountInString(text); d.cfg.Limits.MaxTextChars > 0 && n > d.cfg.Limits.MaxTextChars {
		return "", inquiry.Errorf(inquiry.ETOOLARGE, "text has %d characters; the limit is %d", n, d.cfg.Limits.MaxTextChars)
	}
	return text, nil
}

// Submit takes a web intake message: it is routed, durably queued, and
// answered with its reference once a router worker stored it. With an
// idempotency key, the answer is stored with the queued message, and a
// retry of the same request gets it again (replayed true).
func (d *Desk) Submit(ctx context.Context, s Submission, idem Idempotency) (r Receipt, replayed bool, err error) {
	var key, hash string
	if idem.Key != "" {
		key, hash = idem.scoped(), bodyHash(s)
		if r, replayed, err = d.replay(ctx, idem, hash); err != nil || replayed {
			return r, replayed, err
		}
		defer func() {
			if err != nil { // nothing was queued: the key is free for a retry
				_ = d.store.Forget(context.WithoutCancel(ctx), IntakeScope, key)
			}
		}()
	}
	r, err = d.submit(ctx, s, key, hash)
	return r, false, err
}

func (d *Desk) submit(ctx context.Context, s Submission, idemKey, hash string) (Receipt, error) {
	text, err := d.CheckText(s.Text)
	if err != nil {
		return Receipt{}, err
	}
	if s.Language != "" && !d.speaks(s.Language) {
		return Receipt{}, inquiry.Errorf(inquiry.EINVALID, "language %q is not one of %s", s.Language, strings.Join(d.cfg.Network.Languages, ", "))
	}
	if utf8.RuneCountInString(s.Name) > 200 || utf8.RuneCountInString(s.Contact) > 320 || !utf8.ValidString(s.Name+s.Contact) {
		return Receipt{}, inquiry.Errorf(inquiry.EINVALID, "name or contact is too long or not valid UTF-8")
	}
	dec := d.router.Route(text, s.Language)
	ref := inquiry.NewReference(d.rand)
	id := "web:" + string(ref)
	m := &queue.Inbound{
		ID: id, Channel: inquiry.Web, Reference: ref, Address: strings.TrimSpace(s.Contact),
		Name: strings.TrimSpace(s.Name), Language: dec.Language, Text: text, At: d.now(),
		Routed: &queue.Routed{Language: dec.Language, Topic: dec.Topic, Agency: dec.Agency, Support: dec.Support,
			Urgent: dec.Urgent, Sensitive: dec.Sensitive, Matched: dec.Matched, TopicP: dec.TopicP, UrgentP: dec.UrgentP},
	}
	r := Receipt{Reference: ref, Status: inquiry.Open, Topic: dec.Topic, Agency: dec.Agency, Urgent: dec.Urgent}
	if dec.Urgent {
		r.SafetyMessage = d.cfg.SafetyMessage(dec.Language)
	}
	answer, err := json.Marshal(r)
	if err != nil {
		return Receipt{}, err
	}
	ch := d.routed.add(ref)
	defer d.routed.remove(ref)
	stored := string(answer)
	if idemKey != "" {
		stored = hash + " " + stored
	}
	if err := d.store.EnqueueAnswered(ctx, m, IntakeScope, idemKey, stored); err != nil {
		return Receipt{}, err
	}
	d.routed.wait(ctx, ch, func() bool {
		_, ok, _ := d.store.Processed(ctx, id)
		return ok
	}, routedWait)
	return r, nil
}

func (d *Desk) speaks(lang string) bool {
	for _, l := range d.cfg.Network.Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// HandleInbound is the router workers' handler for one inbound stream entry:
// it creates the inquiry or adds the message to the person's open one. It is
// idempotent: a redelivered entry changes nothing.
func (d *Desk) HandleInbound(ctx context.Context, _ string, values map[string]any) error {
	m, err := queue.DecodeInbound(values)
	if err != nil {
		return err
	}
	if m.ID == "" || !m.Channel.Valid() {
		return queue.Permanent(fmt.Errorf("inbound entry without id or channel"))
	}
	for range 8 {
		err = d.take(ctx, m)
		if !errors.Is(err, queue.ErrRetry) {
			break
		}
	}
	if errors.Is(err, queue.ErrDuplicate) {
		err = nil
	}
	if err == nil && m.Reference != "" {
		d.routed.done(m.Reference)
	}
	return err
}

// take stores one message. A redelivered message is caught inside the
// transaction that would store it (Create and Update watch its marker).
func (d *Desk) take(ctx context.Context, m *queue.Inbound) error {
	dec := d.route(m)
	target, seen, err := d.conversationFor(ctx, m)
	if err != nil {
		return err
	}
	if target != nil {
		if target.CanReopen(m.At, d.cfg.Followups.ReopenWindow.D()) {
			return d.append(ctx, target.Reference, m, dec)
		}
		return d.create(ctx, m, dec, target.Reference, seen)
	}
	return d.create(ctx, m, dec, "", seen)
}

// route decides where m goes: the decision it carries (the web intake
// routed it to answer at once), else the router's.
func (d *Desk) route(m *queue.Inbound) router.Decision {
	r := m.Routed
	if r == nil {
		return d.router.Route(m.Text, m.Language)
	}
	return router.Decision{Language: r.Language, Topic: r.Topic, Agency: r.Agency, Support: append([]string{}, r.Support...),
		Urgent: r.Urgent, Sensitive: r.Sensitive, Matched: append([]string{}, r.Matched...), TopicP: r.TopicP, UrgentP: r.UrgentP}
}

// conversationFor finds the inquiry a message continues, if any: the
// person's current Telegram conversation, or the email thread it answers
// (by [REF] in the subject or by Message-ID) when the sender takes part in it.
// seen is the person's Telegram conversation pointer as read, which a new
// inquiry's transaction checks is still there.
func (d *Desk) conversationFor(ctx context.Context, m *queue.Inbound) (q *inquiry.Inquiry, seen inquiry.Reference, err error) {
	var candidates []inquiry.Reference
	switch m.Channel {
	case inquiry.Telegram:
		ref, ok, err := d.store.Conversation(ctx, inquiry.Telegram, m.Address)
		if err != nil {
			return nil, "", err
		}
		if ok {
			candidates = append(candidates, ref)
			seen = ref
		}
	case inquiry.Email:
		if m.LooseFrom {
			return nil, "", nil // a sender nobody can be sure of joins nothing
		}
		if ref, ok := inquiry.FindReference(m.Subject); ok {
			candidates = append(candidates, ref)
		}
		for _, id := range m.Thread {
			ref, ok, err := d.store.ThreadReference(ctx, id)
			if err != nil {
				return nil, "", err
			}
			if ok {
				candidates = append(candidates, ref)
			}
		}
	default:
		return nil, "", nil
	}
	for _, ref := range candidates {
		q, err := d.store.Load(ctx, ref)
		if inquiry.ErrorCode(err) == inquiry.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if q.Erased || !sameContact(q.Contact, m) {
			continue // a forwarded thread or someone else's reference: not theirs
		}
		return q, seen, nil
	}
	return nil, seen, nil
}

func (d *Desk) message(m *queue.Inbound) inquiry.Message {
	author := inquiry.CleanLine(m.Name)
	if author == "" {
		author = "person"
	}
	for i := range m.Attachments {
		m.Attachments[i].Name = inquiry.CleanLine(m.Attachments[i].Name)
	}
	msg := inquiry.Message{
		ID: queue.NewID(), Direction: inquiry.In, Channel: m.Channel, Author: author,
		Text: m.Text, At: m.At, Attachments: m.Attachments, Flagged: m.Flagged,
		Seq: int64(m.TelegramMessage), Edited: m.Edited,
	}
	if m.Edited {
		msg.Seq = 0 // a correction goes last, where staff will see it
	}
	return msg
}

func (d *Desk) create(ctx context.Context, m *queue.Inbound, dec router.Decision, linked, seen inquiry.Reference) error {
	ref := m.Reference
	if ref == "" {
		ref = inquiry.NewReference(d.rand)
	}
	q := &inquiry.Inquiry{
		Reference: ref, Channel: m.Channel, Status: inquiry.Open,
		Topic: dec.Topic, Agency: dec.Agency, Support: append([]string{}, dec.Support...),
		Urgent: dec.Urgent, Sensitive: dec.Sensitive, Language: d.language(dec.Language),
		Subject: subjectOf(m), CreatedAt: m.At, UpdatedAt: m.At, OpenedAt: m.At,
		Matched: dec.Matched, LinkedFrom: linked,
		Contact: inquiry.Contact{Channel: m.Channel, Address: m.Address, Name: inquiry.CleanLine(m.Name)},
	}
	if m.MessageID != "" {
		q.Contact.Thread = append(append([]string{}, m.Thread...), m.MessageID)
	}
	q.AddIncoming(d.message(m))
	q.Status = inquiry.Open
	eff := &queue.Effects{Processed: m.ID, Count: map[string]int64{
		"inquiries": 1, "channel:" + string(m.Channel): 1, "topic:" + q.Topic: 1, "agency:" + q.Agency: 1,
	}}
	if q.Urgent {
		eff.Count["urgent"] = 1
	}
	eff.AddAudit(m.At, "system", queue.AuditCreated, fmt.Sprintf("channel=%s topic=%s agency=%s urgent=%t", q.Channel, q.Topic, q.Agency, q.Urgent))
	if linked != "" {
		eff.AddAudit(m.At, "system", queue.AuditLinked, "continues "+string(linked))
	}
	if m.Channel == inquiry.Telegram {
		eff.Conversation = &queue.Conversation{Channel: m.Channel, Address: m.Address, Expect: seen}
	}
	if m.MessageID != "" {
		eff.MessageIDs = append(eff.MessageIDs, m.MessageID)
	}
	if m.Channel != inquiry.Web && !m.NoAck {
		if o, ok := d.ack(ctx, q, m); ok {
			eff.Outbox = append(eff.Outbox, o)
			if o.MessageID != "" {
				eff.MessageIDs = append(eff.MessageIDs, o.MessageID)
			}
		}
	}
	if q.Urgent && !m.NoAck {
		if o, ok := d.toPerson(q, d.cfg.SafetyMessage(q.Language), queue.KindSafety, m); ok && m.Channel != inquiry.Web {
			eff.Outbox = append(eff.Outbox, o)
		}
	}
	eff.Outbox = append(eff.Outbox, d.staffNotice(q, q.Messages[len(q.Messages)-1], queue.KindCard)...)
	err := d.store.Create(ctx, q, eff)
	if err == nil {
		d.log.Info("inquiry created", "ref", q.Reference, "channel", q.Channel, "topic", q.Topic, "agency", q.Agency, "urgent", q.Urgent)
	}
	return err
}

func (d *Desk) append(ctx context.Context, ref inquiry.Reference, m *queue.Inbound, dec router.Decision) error {
	q, err := d.store.Update(ctx, ref, m.ID, func(q *inquiry.Inquiry) (*queue.Effects, error) {
		if eff, ok := d.checkInReply(q, m); ok { // "yes"/"no" to a check-in (followup_checkin.go)
			return eff, nil
		}
		eff := &queue.Effects{}
		wasClosed := q.Status == inquiry.Closed || q.Status == inquiry.Answered
		msg := d.message(m)
		eff.RewriteMessages = !q.AddIncoming(msg) // a quicker message overtook this one
		eff.AddAudit(m.At, "system", queue.AuditMessageIn, "channel="+string(m.Channel))
		if wasClosed {
			eff.AddAudit(m.At, "system", queue.AuditReopened, "new message from the person")
		}
		if m.MessageID != "" {
			eff.MessageIDs = append(eff.MessageIDs, m.MessageID)
			q.Contact.Thread = appendThread(q.Contact.Thread, m.MessageID)
		}
		d.escalateOnMessage(q, msg, dec, m, eff)
		return eff, nil
	})
	if err == nil {
		d.log.Info("message added", "ref", q.Reference, "channel", q.Channel, "status", q.Status)
	}
	return err
}

func subjectOf(m *queue.Inbound) string {
	return truncate(inquiry.CleanLine(m.Subject), 200)
}

func appendThread(thread []string, id string) []string {
	for _, t := range thread {
		if t == id {
			return thread
		}
	}
	thread = append(thread, id)
	if len(thread) > 20 { // References grow with a thread; the newest matter
		thread = thread[len(thread)-20:]
	}
	return thread
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// sameContact reports whether an inbound message comes from the inquiry's
// person: the same channel and address, or, for a web inquiry that left an
// email address (and so was answered by email), a mail from that address.
// ownedBy reports whether address on ch is the person of q (and q still
// holds their data): only they may answer its check-in or flag its danger.
func ownedBy(q *inquiry.Inquiry, ch inquiry.Channel, address string) bool {
	return !q.Erased && q.Contact.Channel == ch && address != "" && strings.EqualFold(q.Contact.Address, strings.TrimSpace(address))
}

func sameContact(c inquiry.Contact, m *queue.Inbound) bool {
	if c.Channel == m.Channel {
		return strings.EqualFold(c.Address, m.Address)
	}
	if c.Channel == inquiry.Web && m.Channel == inquiry.Email {
		addr, ok := emailAddress(c.Address)
		return ok && strings.EqualFold(addr, m.Address)
	}
	return false
}
