package inquiry

import (
	"slices"
	"time"
)

// The functions below are the only way an inquiry changes status. They are
// pure: callers load the inquiry, apply one, and save it atomically.

// Claim gives the inquiry to a staff member.
func (q *Inquiry) Claim(staffID string, now time.Time) error {
	if q.Status == Closed {
		return Errorf(ECONFLICT, "inquiry %s is closed", q.Reference)
	}
	if q.Status == Claimed && q.Assignee == staffID {
		return nil
	}
	q.Status = Claimed
	q.Assignee = staffID
	q.touchStaff(now)
	return nil
}

// Reply records a staff answer and waits for the person.
func (q *Inquiry) Reply(m Message) error {
	if q.Erased {
		return Errorf(ECONFLICT, "inquiry %s was erased", q.Reference)
	}
	m.Direction = Out
	q.Messages = append(q.Messages, m)
	q.Status = Answered
	q.ClosedAt = time.Time{}
	q.AnsweredAt = m.At
	q.CheckInAt = time.Time{}
	q.Priority = false
	if q.Assignee == "" {
		q.Assignee = m.Author
	}
	q.touchStaff(m.At)
	return nil
}

// Assign hands the inquiry to another agency, which starts it afresh.
func (q *Inquiry) Assign(agency string, now time.Time) error {
	if q.Status == Closed {
		return Errorf(ECONFLICT, "inquiry %s is closed", q.Reference)
	}
	if agency == q.Agency {
		return Errorf(ECONFLICT, "inquiry %s is already with %s", q.Reference, agency)
	}
	q.Support = slices.DeleteFunc(slices.Clone(q.Support), func(s string) bool { return s == agency })
	q.Agency = agency
	q.Status = Open
	q.Assignee = ""
	q.Overdue = false
	q.Reminded = false
	q.OpenedAt = now
	q.UpdatedAt = now
	return nil
}

// Close ends the conversation. A later message from the person reopens it
// within the reopen window.
func (q *Inquiry) Close(now time.Time) error {
	if q.Status == Closed {
		return Errorf(ECONFLICT, "inquiry %s is already closed", q.Reference)
	}
	q.Status = Closed
	q.ClosedAt = now
	q.Overdue = false
	q.Priority = false
	q.UpdatedAt = now
	return nil
}

// Reopen puts the inquiry back in its agency's queue.
func (q *Inquiry) Reopen(now time.Time) {
	q.Status = Open
	q.ClosedAt = time.Time{}
	q.CheckInAt = time.Time{}
	q.Reminded = false
	q.Overdue = false
	q.OpenedAt = now
	q.UpdatedAt = now
}

// AddIncoming adds a message from the person. An answered or closed
// inquiry is reopened (the caller checks the reopen window first).
// It reports false when the message had to go before ones already stored
// (see Insert): the caller must then rewrite the stored conversation.
func (q *Inquiry) AddIncoming(m Message) (appended bool) {
	appended = q.KeepIncoming(m)
	q.UpdatedAt = m.At
	q.CheckInAt = time.Time{}
	q.ReopenIfDone(m.At)
	return appended
}

// KeepIncoming adds a message from the person to the conversation, in
// order (see Insert), without changing the inquiry's state: an answer to a
// check-in is kept this way. It reports what Insert reports.
func (q *Inquiry) KeepIncoming(m Message) (appended bool) {
	m.Direction = In
	appended = q.Insert(m)
	if m.At.After(q.LastInAt) {
		q.LastInAt = m.At
	}
	return appended
}

// ReopenIfDone gives an answered or closed inquiry back to staff: open, or
// claimed by its assignee. It reports whether it did.
func (q *Inquiry) ReopenIfDone(now time.Time) bool {
	if q.Status != Answered && q.Status != Closed {
		return false
	}
	q.Reopen(now)
	if q.Assignee != "" {
		q.Status = Claimed
	}
	return true
}

// Insert adds an incoming message in the order the person wrote it: before
// the trailing incoming messages with a higher Seq, never before anything
// staff sent (their order is what the person saw). It reports whether the
// message simply went at the end.
func (q *Inquiry) Insert(m Message) (appended bool) {
	i := len(q.Messages)
	for m.Seq > 0 && i > 0 {
		prev := q.Messages[i-1]
		if prev.Direction != In || prev.Channel != m.Channel || prev.Seq <= m.Seq {
			break
		}
		i--
	}
	q.Messages = slices.Insert(q.Messages, i, m)
	return i == len(q.Messages)-1
}

// CanReopen reports whether a closed inquiry may take a new message, or
// whether the person's message must start a new, linked inquiry.
func (q *Inquiry) CanReopen(now time.Time, window time.Duration) bool {
	return q.Status != Closed || now.Sub(q.ClosedAt) <= window
}

// Erase removes personal data and keeps what anonymous statistics need.
func (q *Inquiry) Erase(now time.Time) {
	for i := range q.Messages {
		q.Messages[i].Text = ""
		q.Messages[i].Author = ""
		q.Messages[i].Attachments = nil
	}
	q.Subject = ""
	q.Matched = nil // keyword matches quote the text
	q.Contact = Contact{Channel: q.Contact.Channel}
	q.Erased = true
	if q.Status != Closed {
		q.Status = Closed
		q.ClosedAt = now
	}
	q.UpdatedAt = now
}

func (q *Inquiry) touchStaff(now time.Time) {
	if q.FirstResponseAt.IsZero() {
		q.FirstResponseAt = now
	}
	q.Overdue = false
	q.UpdatedAt = now
}
