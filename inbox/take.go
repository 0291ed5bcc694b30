package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Outcome says what became of a mail.
type Outcome string

const (
	// Enqueued: a person's message, now on the inbound stream.
	Enqueued Outcome = "enqueued"
	// Duplicate: taken in before (a redelivery after a crash or rescan).
	Duplicate Outcome = "duplicate"
	// StaffReplied: an agency's emailed answer, delivered to the person.
	StaffReplied Outcome = "staff_reply"
	// Refused: an emailed answer that may not be delivered; reported.
	Refused Outcome = "refused"
	// Noted: a bounce or auto-reply, recorded on the inquiry it concerns.
	Noted Outcome = "noted"
	// DeadLettered: automatic mail that concerns no inquiry, kept for staff.
	DeadLettered Outcome = "dead_letter"
)

// Taker turns normalized mail into durable desk state. When Take returns
// nil the mail's effect is stored in Redis (and marked by the mail's key,
// so taking it again changes nothing): only then may it leave the inbox.
type Taker struct {
	Store *queue.Store
	Desk  *desk.Desk
	// Self are the desk's own addresses (NETDESK_SMTP_FROM): mail from
	// them is a loop (a misrouted copy of the desk's own mail), never an
	// inquiry.
	Self []string
	Log  *slog.Logger
	Now  func() time.Time
}

// EnqueueSource is the source name of mail in Enqueue's (source, id) key.
const EnqueueSource = "mail"

// Take handles one mail. received is when the mail server got it (IMAP
// INTERNALDATE); zero when unknown. An error means nothing was stored and
// the mail must stay in the mailbox to be tried again (Redis unreachable);
// a mail that fails for any other reason is kept in the dead letters, so
// one bad message never blocks the mailbox nor is retried forever.
func (t *Taker) Take(ctx context.Context, m *Mail, received time.Time) (Outcome, error) {
	out, err := t.take(ctx, m, received)
	if err == nil || transient(err) {
		return out, err
	}
	t.log().Error("mail could not be handled; kept in dead letters", "err", err)
	return t.deadLetter(ctx, m, received, "could not be handled: "+err.Error())
}

// transient reports a failure that trying again later can fix.
func transient(err error) bool {
	return queue.IsUnavailable(err) || errors.Is(err, queue.ErrRetry) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func (t *Taker) take(ctx context.Context, m *Mail, received time.Time) (Outcome, error) {
	ids := m.Thread()
	staffRef, staffAgency, err := t.staffThread(ctx, ids)
	if err != nil {
		return "", err
	}
	if m.Kind == Bounce || m.Kind == AutoReply {
		return t.automatic(ctx, m, received, staffRef, ids)
	}
	for _, self := range t.Self {
		if m.From != "" && strings.EqualFold(m.From, self) {
			return t.deadLetter(ctx, m, received, "mail from the desk's own address (a mail loop?)")
		}
	}
	cfg := t.Desk.Config()
	st, isStaff := cfg.StaffByEmail(m.From)
	if m.From == "" || !m.FromStrict {
		isStaff = false
	}
	if staffRef != "" {
		if isStaff && staffAgency != "" && st.Agency != staffAgency && !st.SeesAll() {
			return t.refuse(ctx, m, staffRef, "the reply answers a notification sent to "+staffAgency+", not to "+st.Agency)
		}
		return t.staffReply(ctx, m, staffRef, st, isStaff)
	}
	if isStaff {
		// Only an answer to the desk's own notification (found above by
		// its Message-ID) speaks as staff: a From anyone can forge plus a
		// [REF] in a subject must never reach a person as the UN.
		ref, err := t.reference(ctx, m.Subject, ids)
		if err != nil {
			return "", err
		}
		if ref != "" {
			q, err := t.Store.Load(ctx, ref)
			switch {
			case inquiry.ErrorCode(err) == inquiry.ENOTFOUND:
			case err != nil:
				return "", err
			case !(q.Contact.Channel == inquiry.Email && strings.EqualFold(q.Contact.Address, m.From)):
				return t.refuse(ctx, m, ref, "a staff reply must answer the desk's notification mail (a [REF] in the subject is not enough)")
			}
		}
	}
	return t.person(ctx, m, received)
}

// person queues a person's message for the router workers.
func (t *Taker) person(ctx context.Context, m *Mail, received time.Time) (Outcome, error) {
	ib := t.inbound(m, received)
	added, err := t.Store.Enqueue(ctx, EnqueueSource, ib.ID, ib)
	if err != nil {
		return "", err
	}
	if !added {
		return Duplicate, nil
	}
	return Enqueued, nil
}

func (t *Taker) inbound(m *Mail, received time.Time) *queue.Inbound {
	text := m.Text
	if strings.TrimSpace(text) == "" {
		text = m.Body
	}
	if strings.TrimSpace(text) == "" {
		text = m.Subject
	}
	if m.Flagged && len(m.Problems) > 0 {
		text = strings.TrimSpace(text + "\n\n[netdesk: this email could not be read fully: " + strings.Join(m.Problems, "; ") + "]")
	}
	return &queue.Inbound{
		ID: m.Key(), Channel: inquiry.Email, Address: m.From, Name: m.Name, LooseFrom: !m.FromStrict,
		Subject: m.Subject, Text: text, At: t.at(m, received), Attachments: m.Attachments,
		MessageID: m.MessageID, Thread: m.Thread(), NoAck: m.NoAck, Flagged: m.Flagged,
	}
}

// at is when the message counts as received: the server's receipt time,
// else its Date header when plausible, else now. Follow-up timers start
// there, so a forged Date must not move them.
func (t *Taker) at(m *Mail, received time.Time) time.Time {
	now := t.now()
	switch {
	case !received.IsZero() && !received.After(now):
		return received
	case !m.Date.IsZero() && !m.Date.After(now.Add(time.Hour)) && m.Date.After(now.AddDate(0, -1, 0)):
		return m.Date
	}
	return now
}

func (t *Taker) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Taker) log() *slog.Logger {
	if t.Log != nil {
		return t.Log
	}
	return slog.New(slog.DiscardHandler)
}

// staffReply applies an emailed answer to the notification mail an agency
// got (or a staff member's mail about an inquiry), or refuses it.
func (t *Taker) staffReply(ctx context.Context, m *Mail, ref inquiry.Reference, st desk.Actor, isStaff bool) (Outcome, error) {
	idem := m.Key()
	if !isStaff {
		return t.refuse(ctx, m, ref, "the sender is not on the staff list")
	}
	_, err := t.Desk.ReplyOnce(ctx, st, ref, m.Text, idem)
	if errors.Is(err, queue.ErrDuplicate) {
		err = nil // applied before a crash; the mail was not moved yet
	}
	switch inquiry.ErrorCode(err) {
	case "":
		t.log().Info("staff reply by email delivered", "ref", ref, "staff", st.ID)
		return StaffReplied, nil
	case inquiry.ENOTFOUND:
		return t.refuse(ctx, m, ref, "staff member "+st.ID+" ("+st.Agency+") may not answer this inquiry")
	case inquiry.EINVALID, inquiry.ETOOLARGE:
		return t.refuse(ctx, m, ref, "the reply has no new text (only the quoted message) or is too long")
	case inquiry.ECONFLICT:
		return t.refuse(ctx, m, ref, "the inquiry's personal data was erased")
	}
	return "", err
}

func (t *Taker) refuse(ctx context.Context, m *Mail, ref inquiry.Reference, reason string) (Outcome, error) {
	err := t.Desk.MailRefused(ctx, ref, reason, m.From, m.Key())
	if inquiry.ErrorCode(err) == inquiry.ENOTFOUND {
		return t.deadLetter(ctx, m, time.Time{}, "email reply refused ("+reason+") for a missing inquiry "+string(ref))
	}
	if err != nil {
		return "", err
	}
	// The address is not logged: the secretariat's notice names it.
	t.log().Warn("email reply refused", "ref", ref, "reason", reason)
	return Refused, nil
}

// automatic handles bounces and auto-replies: noted on the inquiry they
// concern, never a new inquiry; dead-lettered when they concern none.
func (t *Taker) automatic(ctx context.Context, m *Mail, received time.Time, staffRef inquiry.Reference, ids []string) (Outcome, error) {
	// Candidates, strongest evidence first: a notification mail to an
	// agency, the returned message's ids, then the subjects' [REF]. A
	// bounce counts only for a Message-ID the desk itself sent (anyone can
	// write a [REF] into a "delivery failure"); an auto-reply only from the
	// inquiry's own person (checked below).
	bounce := m.Kind == Bounce
	var cands []inquiry.Reference
	if staffRef != "" {
		cands = append(cands, staffRef)
	}
	var subjects []string
	if o := m.Original; o != nil {
		oids := append([]string{}, o.Thread...)
		if o.MessageID != "" {
			oids = append(oids, o.MessageID)
		}
		if bounce {
			oids = sentByDesk(oids)
		}
		ref, _, err := t.staffThread(ctx, oids)
		if err != nil {
			return "", err
		}
		if ref != "" {
			cands = append(cands, ref)
		}
		refs, err := t.threadRefs(ctx, oids)
		if err != nil {
			return "", err
		}
		cands = append(cands, refs...)
		subjects = append(subjects, o.Subject)
	}
	if bounce {
		ids, subjects = sentByDesk(ids), nil
	} else {
		subjects = append(subjects, m.Subject)
	}
	refs, err := t.threadRefs(ctx, ids)
	if err != nil {
		return "", err
	}
	cands = append(cands, refs...)
	for _, s := range subjects {
		if ref, ok := inquiry.FindReference(s); ok {
			cands = append(cands, ref)
		}
	}
	action, detail := queue.AuditAutoReply, "an automatic answer (out of office or read receipt) arrived by email"
	if m.Kind == Bounce {
		action, detail = queue.AuditDeliveryFailed, "an email from the desk bounced"
		if r := m.Report; r != nil && (r.Action != "" || r.Status != "") {
			detail += fmt.Sprintf(" (action %s, status %s)", orDash(r.Action), orDash(r.Status))
		}
	}
	tried := map[inquiry.Reference]bool{}
	for _, ref := range cands {
		if tried[ref] {
			continue
		}
		tried[ref] = true
		if !bounce && ref != staffRef {
			q, err := t.Store.Load(ctx, ref)
			if inquiry.ErrorCode(err) == inquiry.ENOTFOUND {
				continue
			}
			if err != nil {
				return "", err
			}
			if !m.FromStrict || q.Contact.Channel != inquiry.Email || !strings.EqualFold(q.Contact.Address, m.From) {
				continue // someone else's automatic answer
			}
		}
		err := t.Desk.MailNote(ctx, ref, action, detail, m.Key())
		if inquiry.ErrorCode(err) == inquiry.ENOTFOUND {
			continue
		}
		if err != nil {
			return "", err
		}
		t.log().Info("automatic mail noted", "ref", ref, "kind", m.Kind)
		return Noted, nil
	}
	return t.deadLetter(ctx, m, received, string(m.Kind)+" that matches no inquiry")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// reference finds the inquiry a subject ([REF]) or thread ids point to.
func (t *Taker) reference(ctx context.Context, subject string, ids []string) (inquiry.Reference, error) {
	if ref, ok := inquiry.FindReference(subject); ok {
		return ref, nil
	}
	refs, err := t.threadRefs(ctx, ids)
	if err != nil || len(refs) == 0 {
		return "", err
	}
	return refs[0], nil
}

// threadRefs returns the inquiries the ids belong to, the direct parent
// (the last id) first.
func (t *Taker) threadRefs(ctx context.Context, ids []string) ([]inquiry.Reference, error) {
	var out []inquiry.Reference
	for i := len(ids) - 1; i >= 0; i-- {
		ref, ok, err := t.Store.ThreadReference(ctx, ids[i])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ref)
		}
	}
	return out, nil
}

// sentByDesk keeps the Message-IDs the desk generates itself
// ("<netdesk.ID@domain>").
func sentByDesk(ids []string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(strings.ToLower(strings.TrimLeft(strings.TrimSpace(id), "<")), "netdesk.") {
			out = append(out, id)
		}
	}
	return out
}

// staffThread returns the inquiry of a notification mail to an agency
// that one of ids names, if any.
func (t *Taker) staffThread(ctx context.Context, ids []string) (inquiry.Reference, string, error) {
	ref, agency, err := t.Store.StaffThread(ctx, ids)
	if err != nil {
		return "", "", fmt.Errorf("staff thread: %w", err)
	}
	return ref, agency, nil
}

// deadLetterTTL is how long a dead-lettered mail's key is remembered.
const deadLetterTTL = 30 * 24 * time.Hour

// deadLetter keeps a mail that concerns no inquiry in the dead letters,
// once: the marker and the entry are written in one transaction.
func (t *Taker) deadLetter(ctx context.Context, m *Mail, received time.Time, reason string) (Outcome, error) {
	ib := t.inbound(m, received)
	if err := t.Store.DeadInboundOnce(ctx, ib, reason, deadLetterTTL); err != nil {
		return "", err
	}
	t.log().Info("mail kept in dead letters", "kind", m.Kind, "reason", reason)
	return DeadLettered, nil
}
