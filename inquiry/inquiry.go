// Package inquiry is the domain of netdesk: inquiries, their messages and the
// rules that move them between statuses. It does no I/O.
package inquiry

import (
	"slices"
	"strings"
	"time"
)

// Channel is how a person reached the desk, and how answers go back.
type Channel string

const (
	Web      Channel = "web"
	Telegram Channel = "telegram"
	Email    Channel = "email"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == Web || c == Telegram || c == Email }

// Status is where an inquiry stands in its life.
type Status string

const (
	Open     Status = "open"     // routed, waiting for staff
	Claimed  Status = "claimed"  // a staff member took it
	Answered Status = "answered" // staff replied, waiting for the person
	Closed   Status = "closed"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Open || s == Claimed || s == Answered || s == Closed }

// Direction tells whether a message came from the person or went to them.
type Direction string

const (
	In  Direction = "in"
	Out Direction = "out"
)

// Attachment is a file that came with a message. Its content is not stored:
// Telegram files are kept as file ids, email attachments as name, type and size.
type Attachment struct {
	Name   string `json:"name,omitempty"`
	Type   string `json:"type,omitempty"`
	Size   int64  `json:"size,omitempty"`
	FileID string `json:"file_id,omitempty"`
}

// Message is one message of a conversation, either way.
type Message struct {
	ID          string       `json:"id"`
	Direction   Direction    `json:"direction"`
	Channel     Channel      `json:"channel"`
	Author      string       `json:"author"`
	Text        string       `json:"text"`
	At          time.Time    `json:"at"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Flagged marks a message staff should look at by hand (for example mail
	// that could not be parsed and is kept as raw text).
	Flagged bool `json:"flagged,omitempty"`
	// Seq is the channel's own order of the person's messages (Telegram's
	// per-chat message_id): router workers may take two quick messages in
	// either order, and Seq puts them back in the order they were written.
	Seq int64 `json:"seq,omitempty"`
	// Edited marks the new text of a message the person changed after
	// sending it; it is added as a message of its own, so staff who read
	// the first version see the change, and nothing is rewritten.
	Edited bool `json:"edited,omitempty"`
}

// Contact is how to reach the person back through their own channel.
// Address is a Telegram chat id or an email address; it is personal data.
type Contact struct {
	Channel Channel `json:"channel"`
	Address string  `json:"address,omitempty"`
	Name    string  `json:"name,omitempty"`
	// Thread holds the Message-IDs that anchor an email conversation.
	Thread []string `json:"thread,omitempty"`
}

// Inquiry is one conversation between a person and the network.
type Inquiry struct {
	Reference Reference `json:"reference"`
	Channel   Channel   `json:"channel"`
	Status    Status    `json:"status"`
	Topic     string    `json:"topic"`
	Agency    string    `json:"agency"`
	Support   []string  `json:"support"`
	Urgent    bool      `json:"urgent"`
	Sensitive bool      `json:"sensitive"`
	Language  string    `json:"language"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Assignee  string    `json:"assignee"`
	// Matched explains the routing decision, for staff.
	Matched []string `json:"matched,omitempty"`
	Contact Contact  `json:"-"`
	// FirstResponseAt is when staff first acted; zero until then.
	FirstResponseAt time.Time `json:"first_response_at,omitzero"`
	// ClosedAt is when the inquiry was closed; zero while it is not.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// LastInAt is when the person last wrote.
	LastInAt time.Time `json:"last_in_at,omitzero"`
	// Overdue is set when the inquiry was escalated for lack of a staff response.
	Overdue bool `json:"overdue"`
	// OpenedAt is when the inquiry last entered the agency's queue (created,
	// reopened or reassigned): the SLA clock starts there.
	OpenedAt time.Time `json:"opened_at,omitzero"`
	// AnsweredAt is when staff last replied.
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	// Reminded is set once the first-response reminder went out.
	Reminded bool `json:"reminded,omitempty"`
	// CheckInAt is when the person was asked whether the answer helped.
	CheckInAt time.Time `json:"check_in_at,omitzero"`
	// Erased is set once personal data was removed.
	Erased bool `json:"erased,omitempty"`
	// Priority is set when the person said the answer did not help (a "No"
	// to the check-in): the inquiry sorts first in its agency's queue, after
	// urgent ones, until staff answer or close it.
	Priority bool `json:"priority,omitempty"`
	// LinkedFrom names the closed inquiry this one continues, if any.
	LinkedFrom Reference `json:"linked_from,omitempty"`
	Messages   []Message `json:"messages"`
	// Version increases on every change; it guards concurrent updates.
	Version int64 `json:"-"`
}

// Agencies returns the lead agency followed by the supporting ones.
func (q *Inquiry) Agencies() []string {
	out := make([]string, 0, 1+len(q.Support))
	out = append(out, q.Agency)
	for _, s := range q.Support {
		if s != q.Agency && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Involves reports whether agency is the lead or a supporting agency.
func (q *Inquiry) Involves(agency string) bool { return slices.Contains(q.Agencies(), agency) }

// Summary is the short form used in queue listings.
type Summary struct {
	Reference Reference `json:"reference"`
	Channel   Channel   `json:"channel"`
	Status    Status    `json:"status"`
	Topic     string    `json:"topic"`
	Agency    string    `json:"agency"`
	Support   []string  `json:"support"`
	Urgent    bool      `json:"urgent"`
	Sensitive bool      `json:"sensitive"`
	Overdue   bool      `json:"overdue"`
	Priority  bool      `json:"priority,omitempty"`
	Language  string    `json:"language"`
	Subject   string    `json:"subject"`
	Assignee  string    `json:"assignee"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Summarize returns the listing form of q.
func (q *Inquiry) Summarize() Summary {
	return Summary{
		Reference: q.Reference, Channel: q.Channel, Status: q.Status, Topic: q.Topic,
		Agency: q.Agency, Support: nonNil(q.Support), Urgent: q.Urgent, Sensitive: q.Sensitive,
		Overdue: q.Overdue, Priority: q.Priority, Language: q.Language, Subject: q.Subject, Assignee: q.Assignee,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MarkSensitive makes q sensitive for good, as a later message revealed a
// sensitive topic, and adds that topic's lead as a supporting agency so its
// staff see the inquiry. It reports whether anything changed, and the
// agency it added ("" when it was already involved).
func (q *Inquiry) MarkSensitive(lead string) (changed bool, added string) {
	changed = !q.Sensitive
	q.Sensitive = true
	if lead != "" && !q.Involves(lead) {
		q.Support = append(q.Support, lead)
		return true, lead
	}
	return changed, ""
}

// CleanLine makes a one-line label safe to show (a name, a subject, a file
// name): bidirectional overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which can make "invoice\u202Efdp.exe" read as
// "invoiceexe.pdf", and control characters are removed; tabs and line
// breaks become spaces.
func CleanLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s))
}
