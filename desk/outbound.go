package desk

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// ack composes the acknowledgement of a new inquiry, in the person's language.
func (d *Desk) ack(ctx context.Context, q *inquiry.Inquiry, m *queue.Inbound) (queue.Outbound, bool) {
	text := d.cfg.Text("ack", q.Language, map[string]string{"reference": string(q.Reference)})
	if q.Channel == inquiry.Email {
		// At most one ack per sender per hour (RFC 3834's advice), so two
		// auto-responders can never talk to each other for long.
		ok, err := d.store.Allow(ctx, "ack", strings.ToLower(q.Contact.Address), 1, time.Hour)
		if err != nil || !ok {
			return queue.Outbound{}, false
		}
	}
	o, ok := d.toPerson(q, text, queue.KindAck, m)
	o.AutoReply = true
	if o.Channel == inquiry.Telegram && !q.Urgent {
		// The router cannot hear every danger: the person can say it.
		o.Buttons = [][]queue.Button{{{Text: d.cfg.Text("danger_button", q.Language, nil), Data: DangerData(q.Reference)}}}
	}
	return o, ok
}

// toPerson composes a message to the person through their own channel.
// The web channel has no way back unless the person left an email address.
func (d *Desk) toPerson(q *inquiry.Inquiry, text string, kind queue.Kind, m *queue.Inbound) (queue.Outbound, bool) {
	o := queue.Outbound{ID: queue.NewID(), Kind: kind, Reference: q.Reference, Text: text, Language: q.Language, Created: d.now()}
	switch q.Contact.Channel {
	case inquiry.Telegram:
		if !d.channels.Telegram || q.Contact.Address == "" {
			return o, false
		}
		o.Channel, o.To = inquiry.Telegram, q.Contact.Address
		if m != nil && m.TelegramMessage != 0 && kind == queue.KindAck {
			o.ReplyTo = m.TelegramMessage
		}
	case inquiry.Email, inquiry.Web:
		addr, ok := emailAddress(q.Contact.Address)
		if !d.channels.Email || !ok {
			return o, false
		}
		o.Channel, o.To = inquiry.Email, addr
		o.Subject = d.subject(q)
		o.MessageID = d.newMessageID()
		if len(q.Contact.Thread) > 0 {
			o.InReplyTo = q.Contact.Thread[len(q.Contact.Thread)-1]
			o.References = append([]string{}, q.Contact.Thread...)
		}
	default:
		return o, false
	}
	return o, true
}

// subject is the email subject of every mail about an inquiry: [REF] first,
// so any reply threads back even if headers are lost.
func (d *Desk) subject(q *inquiry.Inquiry) string {
	s := strings.TrimSpace(q.Subject)
	tag := "[" + string(q.Reference) + "]"
	if s == "" {
		return tag + " " + d.cfg.Network.Name
	}
	if strings.Contains(s, tag) {
		if !strings.HasPrefix(strings.ToLower(s), "re:") {
			return "Re: " + s
		}
		return s
	}
	return "Re: " + s + " " + tag
}

func (d *Desk) newMessageID() string {
	domain := d.channels.MailDomain
	if domain == "" {
		domain = "netdesk.invalid"
	}
	return "<netdesk." + queue.NewID() + "@" + domain + ">"
}

// staffNotice tells the lead agency's staff about a new inquiry or message:
// a card in their Telegram group, or an email when the agency works by email.
func (d *Desk) staffNotice(q *inquiry.Inquiry, msg inquiry.Message, kind queue.Kind) []queue.Outbound {
	return d.staffNoticeFor(q.Agency, q, msg, kind)
}

// staffNoticeFor is staffNotice to the staff of agency (a supporting agency
// that a later message brought in).
func (d *Desk) staffNoticeFor(agency string, q *inquiry.Inquiry, msg inquiry.Message, kind queue.Kind) []queue.Outbound {
	a, ok := d.cfg.Agency(agency)
	if !ok {
		return nil
	}
	vars := d.cardVars(q, msg)
	switch {
	case a.TelegramChat != 0 && d.channels.Telegram:
		return []queue.Outbound{{
			ID: queue.NewID(), Channel: inquiry.Telegram, Kind: kind, Reference: q.Reference,
			To: strconv.FormatInt(a.TelegramChat, 10), Group: true, Agency: a.ID,
			Text: d.cfg.Text("card", "en", vars), Buttons: CardButtons(q.Reference), Created: d.now(),
		}}
	case a.Email != "" && d.channels.Email:
		return []queue.Outbound{{
			ID: queue.NewID(), Channel: inquiry.Email, Kind: queue.KindStaffEmail, Reference: q.Reference,
			To: a.Email, Agency: a.ID, MessageID: d.newMessageID(), Created: d.now(),
			Subject: d.cfg.Text("staff_email_subject", "en", vars),
			Text:    d.cfg.Text("staff_email", "en", vars),
		}}
	}
	return nil
}

func (d *Desk) cardVars(q *inquiry.Inquiry, msg inquiry.Message) map[string]string {
	urgent := ""
	if q.Urgent {
		urgent = "🚨 URGENT — "
	}
	text := msg.Text
	if msg.Edited {
		text = "✏️ (edited) " + text
	}
	if len(msg.Attachments) > 0 {
		text += fmt.Sprintf("\n[%d attachment(s)]", len(msg.Attachments))
	}
	link := ""
	if u := d.cfg.Network.DashboardURL; u != "" {
		link = strings.TrimRight(u, "/") + "/inquiries/" + string(q.Reference)
	}
	return map[string]string{
		"reference": string(q.Reference), "topic": q.Topic, "language": q.Language,
		"channel": string(q.Channel), "agency": q.Agency, "urgent": urgent,
		"text": truncate(text, 3000), "link": link,
	}
}

// CardButtons are the actions on a staff card.
func CardButtons(ref inquiry.Reference) [][]queue.Button {
	r := string(ref)
	return [][]queue.Button{{
		{Text: "Claim", Data: "claim:" + r},
		{Text: "Reassign", Data: "reassign:" + r},
		{Text: "Close", Data: "close:" + r},
	}}
}
