package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Keys builds every Redis key netdesk uses; no other file spells a key.
//
// All keys of one desk carry the same hash tag, {prefix}, so they live in
// one Redis Cluster slot and any MULTI or script may touch several of them.
// A desk's traffic is orders of magnitude below what one shard serves, so
// one slot costs nothing and keeps every multi-key update atomic.
//
// Personal identifiers (chat ids, email addresses, Message-IDs) never appear
// in key names: they are hashed, so a KEYS listing or MONITOR leaks nothing.
type Keys struct{ p string }

// NewKeys returns the key builder for prefix (e.g. "netdesk").
func NewKeys(prefix string) Keys { return Keys{p: "{" + prefix + "}:"} }

// Inbound is the stream of normalized inbound messages.
func (k Keys) Inbound() string { return k.p + "inbound" }

// Outbox is the stream of messages waiting to be sent on channel.
func (k Keys) Outbox(channel inquiry.Channel) string { return k.p + "outbox:" + string(channel) }

// OutboxDone marks an outbox entry as sent, so a redelivery is not sent twice.
func (k Keys) OutboxDone(id string) string { return k.p + "sent:" + id }

// DeadLetters keeps outbox entries that could not be delivered after all retries.
func (k Keys) DeadLetters() string { return k.p + "dead" }

// Inquiry is the hash holding one inquiry's record.
func (k Keys) Inquiry(ref inquiry.Reference) string { return k.p + "inq:" + string(ref) }

// Messages is the list of one inquiry's messages (JSON, oldest first).
func (k Keys) Messages(ref inquiry.Reference) string { return k.p + "msgs:" + string(ref) }

// Audit is the list of one inquiry's audit entries (JSON, oldest first).
func (k Keys) Audit(ref inquiry.Reference) string { return k.p + "audit:" + string(ref) }

// AgencyQueue is the sorted set of an agency's inquiries that are not closed,
// as lead or supporting agency; the score sorts urgent first, then oldest.
func (k Keys) AgencyQueue(agency string) string { return k.p + "queue:" + agency }

// All is the sorted set of every inquiry by creation time.
func (k Keys) All() string { return k.p + "all" }

// Closed is the sorted set of closed inquiries by closing time.
func (k Keys) Closed() string { return k.p + "closed" }

// Due is the sorted set of follow-up timers ("kind|ref") by due time.
func (k Keys) Due() string { return k.p + "due" }

// DueClaims holds timers being handled by a scheduler ("kind|ref" → lease
// expiry); a timer whose lease expired is handled again.
func (k Keys) DueClaims() string { return k.p + "due:claims" }

// Processed marks an inbound idempotency key as turned into an inquiry message.
func (k Keys) Processed(idem string) string { return k.p + "done:" + hashed(idem) }

// Idempotency holds the first answer to a request with an Idempotency-Key.
func (k Keys) Idempotency(scope, key string) string {
	return k.p + "idem:" + scope + ":" + hashed(key)
}

// Seen marks an inbound message (Telegram update, email) as taken in, so a
// redelivery by the source is not queued twice.
func (k Keys) Seen(source, id string) string { return k.p + "seen:" + source + ":" + hashed(id) }

// Person holds, in one hash, what the desk keeps about one address on a
// channel: its current inquiry (field "conv"), every inquiry it took part
// in ("r:REF") and its settings ("lang", "blocked"). One key, not three:
// each key costs Redis about a hundred bytes of its own.
func (k Keys) Person(channel inquiry.Channel, address string) string {
	return k.p + "person:" + string(channel) + ":" + hashed(address)
}

// MessageID maps an email Message-ID the desk sent or received to its inquiry.
func (k Keys) MessageID(id string) string { return k.p + "mid:" + hashed(strings.Trim(id, "<> ")) }

// StaffMail maps the Message-ID of a mail sent to an agency's staff (a
// "staff_email") to its inquiry, so a reply to it is known as a staff reply.
func (k Keys) StaffMail(id string) string {
	return k.p + "staffmid:" + hashed(strings.Trim(id, "<> "))
}

// OutboxRetry is the sorted set of outbox entries waiting to be tried again
// on channel, scored by when (Unix ms).
func (k Keys) OutboxRetry(channel inquiry.Channel) string {
	return k.p + "outbox-retry:" + string(channel)
}

// DigestSent marks an agency's daily digest for day (YYYY-MM-DD in the
// network's time zone) as queued, so it goes out once however many
// schedulers run.
func (k Keys) DigestSent(agency, day string) string { return k.p + "digest:" + agency + ":" + day }

// Lease is the key a singleton component (poller, IMAP listener, scheduler) holds.
func (k Keys) Lease(name string) string { return k.p + "lease:" + name }

// Rate is a fixed-window counter for a rate limit.
func (k Keys) Rate(scope, id string, window int64) string {
	return k.p + "rate:" + scope + ":" + hashed(id) + ":" + strconv.FormatInt(window, 10)
}

// Session is a staff member's dashboard session. The id is the secret in
// the cookie, so only its hash appears in the key name.
func (k Keys) Session(id string) string { return k.p + "session:" + hashed(id) }

// Counters is the hash of anonymous totals kept after personal data is erased.
func (k Keys) Counters() string { return k.p + "counters" }

// Mailbox keeps the IMAP listener's UIDVALIDITY and last handled UID.
func (k Keys) Mailbox(name string) string { return k.p + "mailbox:" + hashed(name) }

// State is the hash of small per-component state (Telegram offset, ...).
func (k Keys) State(name string) string { return k.p + "state:" + name }

// AckSent limits email acks to one per sender per hour.
func (k Keys) AckSent(address string) string {
	return k.p + "acked:" + hashed(strings.ToLower(address))
}

// Flood counts a person's messages per minute on the bot.
func (k Keys) Flood(channel inquiry.Channel, address string) string {
	return k.p + "flood:" + string(channel) + ":" + hashed(address)
}

// Telegram: the bot and its rate-limited sender.

// SendSlot names a Telegram chat in the sender's schedule. Chat ids of
// people are personal, so the slot is a hash of the chat id.
func (k Keys) SendSlot(chat string) string { return hashed("telegram:" + chat) }

// SendQueue is the sorted set of outbox entries waiting for one chat
// (slot from SendSlot), by priority then age.
func (k Keys) SendQueue(slot string) string { return k.p + "tgq:" + slot }

// SendReady is the sorted set of chat slots that may be sent to now, by
// the age of their oldest waiting entry; one set per band (the priority of
// a chat's next entry: 0 safety message, 1 ack, 2 reply, 3 other).
func (k Keys) SendReady(band int) string { return k.p + "tgready:" + strconv.Itoa(band) }

// SendWait is the sorted set of chat slots with entries waiting that may
// not be sent to yet (their rate limit, a retry_after, a sender's claim),
// by the time (ms) they may; one set per band.
func (k Keys) SendWait(band int) string { return k.p + "tgwait:" + strconv.Itoa(band) }

// SendHeads maps each slot with entries waiting to its oldest entry's score.
func (k Keys) SendHeads() string { return k.p + "tgheads" }

// SendNext holds the time (ms) a chat may next be sent to; it expires then.
func (k Keys) SendNext(slot string) string { return k.p + "tgnext:" + slot }

// Sending tracks one outbox entry while it is being sent: the part of a
// split text reached, whether a request is in flight, transient failures.
func (k Keys) Sending(id string) string { return k.p + "tgsending:" + id }

// SendBucket is the shared token bucket of all Telegram sends (one bot,
// one limit, however many processes send).
func (k Keys) SendBucket() string { return k.p + "tgbucket" }

// CardMessage maps a message the bot posted in a staff group to the
// inquiries it shows (one reference, or several for a combined message).
func (k Keys) CardMessage(chat string, messageID int) string {
	return k.p + "tgcard:" + chat + ":" + strconv.Itoa(messageID)
}

func hashed(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:12])
}
