package inbox

import (
	"strings"

	"github.com/emersion/go-message/textproto"
)

// classify decides the message's Kind and whether it may be acknowledged
// (SPEC §8, RFC 3834): no ack to anything automatic, to lists and bulk
// mail, to mail with an empty Return-Path, or to robots' addresses.
func classify(m *Mail, h textproto.Header, w *walker) {
	noAck := func(reason string) {
		if !m.NoAck {
			m.NoAck, m.NoAckReason = true, reason
		}
	}
	local, _, _ := strings.Cut(m.From, "@")
	local = strings.ToLower(local)
	robot := local == "mailer-daemon" || local == "postmaster" || strings.HasPrefix(local, "mailer-daemon")
	subject := strings.ToLower(m.Subject)

	// Delivery reports.
	ct := strings.ToLower(h.Get("Content-Type"))
	isReport := w.report || w.statusPart || strings.HasPrefix(ct, "message/delivery-status")
	if !isReport && (robot || isNullPath(h.Get("Return-Path"))) && hasPrefixAny(subject, bounceSubjects) {
		isReport = true // a non-standard bounce (plain text from an old MTA)
	}
	if isReport {
		m.Kind = Bounce
		noAck("delivery report")
		return
	}

	// Automatic answers: out-of-office, vacation, read receipts.
	auto := strings.ToLower(strings.TrimSpace(firstToken(h.Get("Auto-Submitted"))))
	prec := strings.ToLower(strings.TrimSpace(h.Get("Precedence")))
	switch {
	case w.mdn:
		m.Kind = AutoReply
		noAck("read receipt")
	case auto == "auto-replied":
		m.Kind = AutoReply
		noAck("Auto-Submitted: auto-replied")
	case h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || h.Get("X-Auto-Reply") != "" ||
		prec == "auto_reply" || strings.EqualFold(strings.TrimSpace(h.Get("X-Precedence")), "auto_reply"):
		m.Kind = AutoReply
		noAck("auto-reply header")
	case hasPrefixAny(subject, autoReplySubjects) || strings.Contains(subject, "out of office") || strings.Contains(subject, "out of the office"):
		m.Kind = AutoReply
		noAck("auto-reply subject")
	}

	// Mail that is a message, but not one to answer automatically.
	switch {
	case auto != "" && auto != "no":
		noAck("Auto-Submitted: " + auto)
	case prec == "bulk" || prec == "list" || prec == "junk":
		noAck("Precedence: " + prec)
	case h.Get("List-Id") != "":
		noAck("List-Id")
	case h.Get("List-Unsubscribe") != "":
		noAck("List-Unsubscribe")
	case isNullPath(h.Get("Return-Path")):
		noAck("empty Return-Path")
	case robot:
		noAck("robot sender")
	case isNoReply(local):
		noAck("no-reply sender")
	case m.From == "":
		noAck("no sender address")
	}
}

func firstToken(v string) string {
	v, _, _ = strings.Cut(v, ";")
	return v
}

// isNullPath reports an empty Return-Path ("<>"), which automatic mail
// (bounces, many auto-replies) carries. A missing header is not empty.
func isNullPath(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && strings.Trim(v, "<> \t") == ""
}

func isNoReply(local string) bool {
	l := strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	return strings.HasPrefix(l, "noreply") || strings.HasPrefix(l, "donotreply") || strings.HasPrefix(l, "dontreply") ||
		strings.HasSuffix(l, "noreply")
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Subjects, lower-cased, that mark bounces from MTAs that send no
// multipart/report (only trusted with a robot sender or a null path).
var bounceSubjects = []string{
	"undelivered mail", "undeliverable", "delivery status notification", "delivery failure",
	"returned mail", "mail delivery failed", "failure notice", "delivery has failed",
	"message not delivered", "mail system error", "non remis", "unzustellbar",
	"تعذر التسليم", "فشل التسليم",
}

// Subjects, lower-cased, of out-of-office answers that carry no header.
var autoReplySubjects = []string{
	"automatic reply:", "auto reply:", "autoreply:", "auto-reply:", "auto:", "out of office", "ooo:",
	"réponse automatique", "abwesenheitsnotiz", "automatische antwort", "respuesta automática",
	"رد تلقائي", "الرد التلقائي", "خارج المكتب",
}
