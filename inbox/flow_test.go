package inbox_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/unmigration-iraq/netdesk/inbox"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

// sent is a mail the SMTP server received, read back.
type sent struct {
	header message.Header
	body   string
	raw    string
}

func readSent(t testing.TB, m smtpMessage) sent {
	t.Helper()
	e, err := message.Read(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("sent mail does not parse: %v\n%s", err, m.Data)
	}
	b, err := io.ReadAll(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sent{header: e.Header, body: string(b), raw: string(m.Data)}
}

func (s sent) subject(t testing.TB) string {
	v, err := s.header.Text("Subject")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) mailsTo(addr string, n int) []sent {
	e.t.Helper()
	waitFor(e.t, 20*time.Second, "mail to "+addr, func() bool { return len(e.smtp.to(addr)) >= n })
	var out []sent
	for _, m := range e.smtp.to(addr) {
		out = append(out, readSent(e.t, m))
	}
	if len(out) != n {
		e.t.Fatalf("%d mails to %s, want %d", len(out), addr, n)
	}
	return out
}

// TestMailFlow takes every kind of mail through a real IMAP server (go-imap
// over TCP), real Redis, the router workers and the SMTP sender, and checks
// what becomes of each.
func TestMailFlow(t *testing.T) {
	// The in-memory server cannot store a message whose header does not
	// parse; Dovecot can (TestDovecot).
	testMailFlow(t, startMemIMAP(t, memOptions{}), false)
}

func testMailFlow(t *testing.T, srv *imapServer, rawMalformed bool) {
	e := newEnv(t, envOptions{imap: srv})
	const sara = "sara.ahmed@example.org"
	delivered := 0
	deliver := func(raws ...[]byte) {
		e.imap.deliver(t, "INBOX", raws...)
		delivered += len(raws)
		e.settled(delivered)
	}

	// 1. A new inquiry: routed, acknowledged, and the agency told by email.
	first := mail{from: "Sara Ahmed <Sara.Ahmed@Example.org>", subject: "Registration help", messageID: "<m1@example.org>",
		body: "I am a refugee in Domiz camp and need help with my UNHCR registration and asylum case.\n"}
	deliver(first.raw())
	qs := e.byContact(sara)
	if len(qs) != 1 {
		t.Fatalf("%d inquiries for %s, want 1", len(qs), sara)
	}
	q := qs[0]
	ref := q.Reference
	if q.Agency != "UNHCR" || q.Channel != inquiry.Email || len(q.Messages) != 1 || q.Subject != "Registration help" {
		t.Fatalf("inquiry = %+v", q)
	}
	acks := e.mailsTo(sara, 1)
	ack := acks[0]
	if got := ack.header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("ack Auto-Submitted = %q", got)
	}
	if !strings.Contains(ack.subject(t), "["+string(ref)+"]") || ack.header.Get("In-Reply-To") != "<m1@example.org>" {
		t.Errorf("ack subject %q, In-Reply-To %q", ack.subject(t), ack.header.Get("In-Reply-To"))
	}
	if !strings.Contains(ack.body, string(ref)) {
		t.Errorf("ack body lacks the reference: %q", ack.body)
	}
	ackID := ack.header.Get("Message-Id")
	staff := e.mailsTo(unhcrMail, 1)[0]
	if !strings.Contains(staff.subject(t), "["+string(ref)+"]") || staff.header.Get("Auto-Submitted") != "" {
		t.Errorf("staff mail subject %q", staff.subject(t))
	}
	staffID := staff.header.Get("Message-Id")
	if ackID == "" || staffID == "" {
		t.Fatal("sent mail without Message-ID")
	}

	// The same mail delivered again (a crash before the move, a copy by
	// the MTA) changes nothing.
	deliver(first.raw())
	if n := len(e.byContact(sara)); n != 1 || len(e.inquiry(ref).Messages) != 1 {
		t.Fatalf("a redelivered mail made %d inquiries / %d messages", n, len(e.inquiry(ref).Messages))
	}

	// 2. A reply found by [REF] in the subject alone.
	deliver(mail{from: sara, subject: "Re: my case [" + string(ref) + "]", messageID: "<m2@example.org>",
		body: "My case number is 123-456.\n\n-- \nSara\n"}.raw())
	q = e.inquiry(ref)
	if len(q.Messages) != 2 || q.Messages[1].Text != "My case number is 123-456." {
		t.Fatalf("reply by [REF]: messages = %+v", q.Messages)
	}

	// 3. A reply found by In-Reply-To alone, its quote trimmed.
	deliver(mail{from: sara, subject: "Re: Registration help", messageID: "<m3@example.org>", inReplyTo: ackID,
		references: "<m1@example.org> " + ackID,
		body:       "When can I come to the office?\n\nOn Mon, Jan 6, 2025 at 11:00 AM UN Network <" + deskMail + "> wrote:\n> Thank you, we have received your message.\n"}.raw())
	q = e.inquiry(ref)
	if len(q.Messages) != 3 || q.Messages[2].Text != "When can I come to the office?" {
		t.Fatalf("reply by In-Reply-To: messages = %+v", q.Messages)
	}
	if n := len(e.byContact(sara)); n != 1 {
		t.Fatalf("%d inquiries for %s after replies, want 1", n, sara)
	}

	// 4. Her out-of-office answer is noted, not a message, and not acked.
	deliver(mail{from: sara, subject: "Automatic reply: Re: Registration help [" + string(ref) + "]", messageID: "<ooo1@example.org>",
		inReplyTo: ackID, headers: []string{"Auto-Submitted: auto-replied"}, body: "I am out of the office until Sunday.\n"}.raw())
	if q = e.inquiry(ref); len(q.Messages) != 3 || !hasAudit(e.audit(ref), "auto_reply") {
		t.Fatalf("out-of-office: %d messages, audit %+v", len(q.Messages), e.audit(ref))
	}

	// 5. UNHCR's focal point answers the notification mail: the reply goes
	// to Sara, without the quoted notification.
	deliver(mail{from: "Amina Hassan <amina@unhcr.example>", subject: "RE: " + staff.subject(t), messageID: "<amina1@unhcr.example>",
		inReplyTo: staffID, body: "Please come to our Erbil office on Sunday with your documents.\n\nBest regards\nAmina\n\n" +
			"________________________________\nFrom: UN Network <" + deskMail + ">\nSent: Monday, January 6, 2025 11:00 AM\n" +
			"To: UNHCR <" + unhcrMail + ">\nSubject: " + staff.subject(t) + "\n\nA new inquiry was routed to UNHCR.\n"}.raw())
	q = e.inquiry(ref)
	last := q.Messages[len(q.Messages)-1]
	if len(q.Messages) != 4 || last.Direction != inquiry.Out || last.Author != "amina" || q.Status != inquiry.Answered {
		t.Fatalf("staff reply: status %s, messages %+v", q.Status, q.Messages)
	}
	if want := "Please come to our Erbil office on Sunday with your documents.\n\nBest regards\nAmina"; last.Text != want {
		t.Errorf("staff reply text = %q, want %q", last.Text, want)
	}
	toSara := e.mailsTo(sara, 2)
	reply := toSara[1]
	if !strings.Contains(reply.body, "Erbil office on Sunday") || strings.Contains(reply.body, "A new inquiry was routed") {
		t.Errorf("reply to the person = %q", reply.body)
	}
	if reply.header.Get("Auto-Submitted") != "" || !strings.Contains(reply.subject(t), string(ref)) || reply.header.Get("In-Reply-To") == "" {
		t.Errorf("reply headers: %v", reply.raw[:min(600, len(reply.raw))])
	}

	// 6. The same answer from an address not on the staff list, and from
	// staff of an agency not involved, is refused and reported.
	deliver(mail{from: "intern@unhcr.example", subject: "RE: " + staff.subject(t), messageID: "<intern1@unhcr.example>",
		inReplyTo: staffID, body: "I can help too.\n"}.raw())
	deliver(mail{from: omar.Email, subject: "Re: [" + string(ref) + "]", messageID: "<omar1@wfp.example>", body: "WFP here.\n"}.raw())
	q = e.inquiry(ref)
	if len(q.Messages) != 4 {
		t.Fatalf("a refused reply was delivered: %+v", q.Messages)
	}
	refused := 0
	for _, a := range e.audit(ref) {
		if a.Action == "email_reply_refused" {
			refused++
			if strings.Contains(a.Detail, "@") {
				t.Errorf("audit names the sender: %q", a.Detail)
			}
		}
	}
	if refused != 2 {
		t.Errorf("%d refusals audited, want 2", refused)
	}
	notices := e.mailsTo(secretariatMail, 2)
	if !strings.Contains(notices[0].body, "intern@unhcr.example") || !strings.Contains(notices[0].body, string(ref)) ||
		strings.Contains(notices[0].subject(t), string(ref)) {
		t.Errorf("notice to the secretariat: %q / %q", notices[0].subject(t), notices[0].body)
	}
	if len(e.smtp.to(sara)) != 2 {
		t.Errorf("a refused reply reached the person")
	}

	// 7. A mailing-list post is an inquiry, but gets no ack.
	deliver(readFixture(t, "list.eml"))
	if qs := e.byContact("news@lists.example"); len(qs) != 1 {
		t.Fatalf("list mail: %d inquiries", len(qs))
	}

	// 8. A bounce of the ack is recorded on Sara's inquiry; a bounce that
	// matches nothing goes to the dead letters. Neither is an inquiry.
	before := len(e.inquiries())
	bounce := strings.ReplaceAll(string(readFixture(t, "bounce.eml")), "<netdesk.ack9@network.example>", ackID)
	deliver([]byte(bounce))
	if !hasAudit(e.audit(ref), "delivery_failed") {
		t.Errorf("bounce not recorded: %+v", e.audit(ref))
	}
	stray := strings.ReplaceAll(string(readFixture(t, "bounce.eml")), "bounce.1@", "bounce.2@")
	stray = strings.ReplaceAll(stray, "[NM-4K7Q2X]", "")
	deliver([]byte(stray))
	if n := len(e.inquiries()); n != before {
		t.Errorf("bounces made %d inquiries", n-before)
	}
	dl := e.deadLetters()
	if len(dl) != 1 || !strings.Contains(dl[0]["reason"].(string), "bounce") {
		t.Errorf("dead letters = %v", dl)
	}

	// 9. Arabic in windows-1256, with an encoded-word subject: decoded,
	// routed, and acked in Arabic (base64 UTF-8).
	deliver(readFixture(t, "arabic-1256.eml"))
	aq := e.byContact("ahmed.ali@example.iq")
	if len(aq) != 1 || !strings.Contains(aq[0].Messages[0].Text, "مخيم دوميز") || aq[0].Subject != "طلب مساعدة في التسجيل" ||
		aq[0].Language != "ar" || aq[0].Contact.Name != "أحمد علي" {
		t.Fatalf("arabic mail: %+v", aq)
	}
	arAck := e.mailsTo("ahmed.ali@example.iq", 1)[0]
	if arAck.header.Get("Content-Transfer-Encoding") != "base64" || !strings.Contains(arAck.body, "شكراً") ||
		!strings.Contains(arAck.subject(t), "طلب مساعدة") {
		t.Errorf("arabic ack: %s / %q", arAck.header.Get("Content-Transfer-Encoding"), arAck.body)
	}

	// 10. HTML only: readable text with links, no script.
	deliver(readFixture(t, "html-only.eml"))
	hq := e.byContact("reporter@news.example")
	if len(hq) != 1 {
		t.Fatalf("html mail: %d inquiries", len(hq))
	}
	if txt := hq[0].Messages[0].Text; !strings.Contains(txt, "interview a spokesperson") ||
		!strings.Contains(txt, "our story (https://news.example/story)") || strings.Contains(txt, "alert") || strings.Contains(txt, "<p>") {
		t.Errorf("html text = %q", txt)
	}

	// 11. Malformed messages are kept, flagged, as best-effort text: a
	// broken MIME part, and (where the server stores it as it is) a
	// header that cannot be read at all.
	fixtures := map[string]string{"malformed-mime.eml": "broken-mime@example.net"}
	if rawMalformed {
		fixtures["malformed.eml"] = "broken@example.net"
	}
	for f, from := range fixtures {
		deliver(readFixture(t, f))
		mq := e.byContact(from)
		if len(mq) != 1 || !mq[0].Messages[0].Flagged || !strings.Contains(mq[0].Messages[0].Text, "passport") {
			t.Fatalf("%s: %+v", f, mq)
		}
	}

	// Everything delivered was moved, nothing is left.
	if n := e.imap.count(t, "Processed"); n != delivered {
		t.Errorf("%d in Processed, want %d", n, delivered)
	}
	st := e.listener.Stats()
	if st.Outcomes[inbox.StaffReplied] != 1 || st.Outcomes[inbox.Refused] != 2 || st.Outcomes[inbox.Noted] != 2 ||
		st.Outcomes[inbox.DeadLettered] != 1 || st.Outcomes[inbox.Duplicate] != 1 {
		t.Errorf("outcomes = %v", st.Outcomes)
	}
}

// TestMailWhileDown: mail that arrived while netdesk was not running is
// taken in at start.
func TestMailWhileDown(t *testing.T) {
	srv := startMemIMAP(t, memOptions{})
	for i := range 30 {
		srv.deliver(t, "INBOX", mail{from: "p" + string(rune('a'+i%26)) + "@example.org", subject: "waiting",
			messageID: "<wait" + strings.Repeat("x", i) + "@example.org>", body: "A message that waited for the desk to start.\n"}.raw())
	}
	e := newEnv(t, envOptions{imap: srv})
	e.settled(30)
	// Mail without [REF] or thread headers starts an inquiry each.
	if n := len(e.inquiries()); n != 30 {
		t.Fatalf("%d inquiries, want 30", n)
	}
}
