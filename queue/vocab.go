package queue

// The vocabularies that cross packages, named in one place: what an
// outbound message is (senders and schedulers decide by it) and what an
// audit entry records. A new kind or action is added here, never as a bare
// string where it is used.

// Kind is what an outbound message is.
type Kind string

// Outbound kinds. To the person: ack, safety, reply, check-in and its
// answers, auto-close, the bot's own notices and edits. To staff: cards
// (first, follow-up, blanked after erasure), reminders, escalations,
// digests, notices to an agency's email, and the secretariat's notice
// that an inquiry became sensitive.
const (
	KindAck            Kind = "ack"
	KindSafety         Kind = "safety"
	KindReply          Kind = "reply"
	KindCheckIn        Kind = "check_in"
	KindThanksClosed   Kind = "thanks_closed"
	KindReopened       Kind = "reopened"
	KindAutoClose      Kind = "auto_close"
	KindNotice         Kind = "notice"
	KindEdit           Kind = "edit"
	KindCard           Kind = "card"
	KindFollowupCard   Kind = "followup_card"
	KindBlankCard      Kind = "blank_card"
	KindReminder       Kind = "reminder"
	KindEscalation     Kind = "escalation"
	KindDigest         Kind = "digest"
	KindReopenedNotice Kind = "reopened_notice"
	KindStaffEmail     Kind = "staff_email"
	KindSensitive      Kind = "sensitive"
	KindEmailRefused   Kind = "email_refused"
	KindCardEdit       Kind = "card_edit"   // a card redrawn after a button (claimed, closed)
	KindUndecodable    Kind = "undecodable" // an outbox entry that could not be read: dead-lettered
)

// ToPerson reports whether an entry of kind k carries the desk's words about
// an inquiry to its person (what an erasure must stop): everything to a
// person but the bot's own notices and edits of its own messages.
func (o Outbound) ToPerson() bool {
	return o.Reference != "" && o.Agency == "" && !o.Group && o.Kind != KindNotice && o.Kind != KindEdit
}

// IsCard reports whether k is a staff card about an inquiry (combined
// when a group is behind, blanked on erasure).
func (k Kind) IsCard() bool { return k == KindCard || k == KindFollowupCard }

// AuditAction is what an audit entry records.
type AuditAction string

// Audit actions: by staff, by the person, by the system.
const (
	AuditCreated           AuditAction = "created"
	AuditLinked            AuditAction = "linked"
	AuditMessageIn         AuditAction = "message_in"
	AuditReopened          AuditAction = "reopened"
	AuditUrgent            AuditAction = "urgent"
	AuditSensitive         AuditAction = "sensitive"
	AuditDanger            AuditAction = "danger"
	AuditViewedAudit       AuditAction = "viewed_audit"
	AuditViewed            AuditAction = "viewed"
	AuditClaimed           AuditAction = "claimed"
	AuditClosed            AuditAction = "closed"
	AuditAssigned          AuditAction = "assigned"
	AuditReplied           AuditAction = "replied"
	AuditErased            AuditAction = "erased"
	AuditNotDelivered      AuditAction = "not_delivered"
	AuditDeliveryFailed    AuditAction = "delivery_failed"
	AuditContactStopped    AuditAction = "contact_stopped"
	AuditReminded          AuditAction = "reminded"
	AuditReminderSkipped   AuditAction = "reminder_skipped"
	AuditEscalated         AuditAction = "escalated"
	AuditCheckIn           AuditAction = "check_in"
	AuditCheckInSkipped    AuditAction = "check_in_skipped"
	AuditCheckInYes        AuditAction = "check_in_yes"
	AuditCheckInNo         AuditAction = "check_in_no"
	AuditStaffTold         AuditAction = "staff_told"
	AuditAutoClosed        AuditAction = "auto_closed"
	AuditEmailReplyRefused AuditAction = "email_reply_refused"
	AuditAutoReply         AuditAction = "auto_reply"
)
