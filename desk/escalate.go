package desk

import (
	"fmt"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/router"
)

// Every message of an inquiry is classified, not only the first: a person
// who opens with a food question and then writes that their brother was
// sold must reach the agency that can act. What a later message reveals
// only ever raises an inquiry: it becomes urgent (the safety message goes
// out once, the card is marked, it sorts first), or sensitive for good with
// the sensitive topic's lead added as a supporting agency and the
// secretariat told. The lead agency and topic stay (staff may reassign), and
// nothing already sent is rewritten.

// sensitiveStaffText tells the secretariat why an inquiry became sensitive
// when the network file has no sensitive_staff template.
const sensitiveStaffText = "{urgent}Inquiry {reference} ({topic}, {agency}) is now sensitive: a later message reads as {sensitive_topic}. {added} Read it in the dashboard."

// escalateOnMessage applies decision dec of the person's new message msg to
// q and queues the cards it calls for.
func (d *Desk) escalateOnMessage(q *inquiry.Inquiry, msg inquiry.Message, dec router.Decision, m *queue.Inbound, eff *queue.Effects) {
	if eff.Count == nil {
		eff.Count = map[string]int64{}
	}
	if dec.Urgent && !q.Urgent {
		q.Urgent = true
		eff.Count["urgent"]++
		eff.Count["urgent_later_message"]++
		eff.AddAudit(m.At, "system", queue.AuditUrgent, fmt.Sprintf("a later message signals danger (p=%.2f)", dec.UrgentP))
		if o, ok := d.toPerson(q, d.cfg.SafetyMessage(q.Language), queue.KindSafety, m); ok {
			eff.Outbox = append(eff.Outbox, o)
		}
	}
	if !dec.Sensitive || (q.Sensitive && q.Involves(dec.Agency)) {
		eff.Outbox = append(eff.Outbox, d.staffNotice(q, msg, queue.KindFollowupCard)...)
		return
	}
	_, added := q.MarkSensitive(dec.Agency)
	eff.Count["sensitive_later_message"]++
	why := fmt.Sprintf("a later message reads as %s (p=%.2f)", dec.Topic, dec.TopicP)
	if added != "" {
		why += "; " + added + " added as supporting agency"
	}
	eff.AddAudit(m.At, "system", queue.AuditSensitive, why)
	// The lead's group learns that a message came, not what it says: the
	// disclosure is for the agency that handles it (and the dashboard).
	withheld := msg
	withheld.Text = "🔒 A sensitive message (" + dec.Topic + "). Read it in the dashboard."
	withheld.Attachments = nil
	eff.Outbox = append(eff.Outbox, d.staffNotice(q, withheld, queue.KindFollowupCard)...)
	if added != "" {
		eff.Outbox = append(eff.Outbox, d.staffNoticeFor(added, q, msg, queue.KindFollowupCard)...)
	}
	vars := d.cardVars(q, withheld)
	vars["sensitive_topic"] = dec.Topic
	vars["added"] = ""
	if added != "" {
		vars["added"] = added + " was added as a supporting agency."
	}
	text := d.cfg.Text("sensitive_staff", "en", vars)
	if text == "" {
		text = config.Fill(sensitiveStaffText, vars)
	}
	if sec := d.cfg.Network.Secretariat; sec != q.Agency && sec != added {
		eff.Outbox = append(eff.Outbox, d.toAgency(sec, q, queue.KindSensitive, text)...)
	}
}
