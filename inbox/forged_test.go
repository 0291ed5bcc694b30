package inbox_test

import (
	"strings"
	"testing"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Nobody can speak to a person as staff by forging a From (issue 10,
// finding 1). A mail is a staff reply only when it answers the desk's own
// notification (In-Reply-To/References name its Message-ID), from a
// strictly parsed address of staff of the agency it went to. Each attack
// below worked before: none reaches the person, none becomes an outgoing
// message, each is audited as refused; the real answer still goes through.
func TestForgedStaffMailNeverReachesThePerson(t *testing.T) {
	e := newEnv(t, envOptions{})
	const sara = "sara.ahmed@example.org"
	delivered := 0
	deliver := func(m mail) {
		e.imap.deliver(t, "INBOX", m.raw())
		delivered++
		e.settled(delivered)
	}
	deliver(mail{from: "Sara Ahmed <" + sara + ">", subject: "Registration help", messageID: "<f1@example.org>",
		body: "I am a refugee in Domiz camp and need help with my UNHCR registration.\n"})
	q := e.byContact(sara)[0]
	ref := string(q.Reference)
	e.mailsTo(sara, 1)
	staffID := e.mailsTo(unhcrMail, 1)[0].header.Get("Message-Id")
	lure := "Send a photo of your ID and your home address to +964 750 000 0000 today.\n"

	for _, attack := range []struct {
		name string
		m    mail
	}{
		{"a staff From and [REF] in the subject", mail{from: "Amina Hassan <amina@unhcr.example>", subject: "Re: [" + ref + "]",
			messageID: "<forge1@evil.example>", body: lure}},
		{"a staff From with [REF] and a made-up In-Reply-To", mail{from: "amina@unhcr.example", subject: "Re: [" + ref + "]",
			messageID: "<forge2@evil.example>", inReplyTo: "<made-up@network.example>", body: lure}},
		{"a staff address as display name", mail{from: "amina@unhcr.example <mallory@evil.example>", subject: "RE: notification",
			messageID: "<forge3@evil.example>", inReplyTo: staffID, body: lure}},
		{"an unparseable From with a staff address first", mail{from: "amina@unhcr.example mallory@evil.example", subject: "RE: notification",
			messageID: "<forge4@evil.example>", inReplyTo: staffID, body: lure}},
		{"staff of an agency the notification did not go to", mail{from: omar.Email, subject: "RE: notification",
			messageID: "<forge5@wfp.example>", inReplyTo: staffID, body: lure}},
	} {
		deliver(attack.m)
		got := e.inquiry(q.Reference)
		for _, msg := range got.Messages {
			if msg.Direction == inquiry.Out && strings.Contains(msg.Text, "home address") {
				t.Fatalf("%s: recorded as a staff reply", attack.name)
			}
		}
		if n := len(e.smtp.to(sara)); n != 1 {
			t.Fatalf("%s: %d mails reached the person, want only the ack", attack.name, n)
		}
	}
	refused := 0
	for _, a := range e.audit(q.Reference) {
		if a.Action == "email_reply_refused" {
			refused++
		}
	}
	if refused < 4 {
		t.Errorf("%d refusals audited for 5 forged replies", refused)
	}
	// The real answer, to the notification, from Amina's own address.
	deliver(mail{from: "Amina Hassan <amina@unhcr.example>", subject: "RE: notification", messageID: "<real@unhcr.example>",
		inReplyTo: staffID, body: "Please come to our Erbil office on Sunday.\n"})
	if got := e.mailsTo(sara, 2)[1]; !strings.Contains(got.body, "Erbil office on Sunday") {
		t.Errorf("the real staff reply: %q", got.body)
	}
	// A person's mail with a sender read loosely never joins an existing
	// inquiry (it could be anyone's): it opens its own.
	deliver(mail{from: sara + " <mallory@evil.example", subject: "Re: [" + ref + "]", messageID: "<loose@evil.example>",
		body: "Please send the case file to this new address.\n"})
	for _, m := range e.inquiry(q.Reference).Messages {
		if strings.Contains(m.Text, "new address") {
			t.Error("a mail with a loosely read sender joined the person's inquiry")
		}
	}
}

// Forged bounces and auto-replies cannot be attached to anyone's inquiry
// (issue 10, finding 8): a bounce counts only when it returns a Message-ID
// the desk sent, an auto-reply only from the inquiry's own person.
func TestForgedBounceAndAutoReplyAreNotNoted(t *testing.T) {
	e := newEnv(t, envOptions{})
	delivered := 0
	deliver := func(raw []byte) {
		e.imap.deliver(t, "INBOX", raw)
		delivered++
		e.settled(delivered)
	}
	deliver(mail{from: "Sara Ahmed <sara@example.org>", subject: "Registration help", messageID: "<fb1@example.org>",
		body: "I am a refugee in Domiz camp and need help with my UNHCR registration.\n"}.raw())
	q := e.byContact("sara@example.org")[0]
	ref := string(q.Reference)
	// A "bounce" that names the inquiry only by [REF] and a Message-ID the
	// desk never sent.
	forged := strings.ReplaceAll(string(readFixture(t, "bounce.eml")), "NM-4K7Q2X", ref)
	forged = strings.ReplaceAll(forged, "<netdesk.ack9@network.example>", "<not-ours@evil.example>")
	forged = strings.ReplaceAll(forged, "bounce.1@", "bounce.forged@")
	deliver([]byte(forged))
	// An out-of-office "from" someone else, naming the inquiry.
	deliver(mail{from: "mallory@evil.example", subject: "Automatic reply: [" + ref + "]", messageID: "<ooo-forged@evil.example>",
		headers: []string{"Auto-Submitted: auto-replied"}, body: "I am away.\n"}.raw())
	for _, a := range e.audit(q.Reference) {
		if a.Action == "delivery_failed" || a.Action == "auto_reply" {
			t.Errorf("a forged automatic mail was noted on the inquiry: %s %q", a.Action, a.Detail)
		}
	}
	// Sara's own out-of-office is still noted.
	deliver(mail{from: "sara@example.org", subject: "Automatic reply: [" + ref + "]", messageID: "<ooo-real@example.org>",
		headers: []string{"Auto-Submitted: auto-replied"}, body: "I am away.\n"}.raw())
	if !hasAudit(e.audit(q.Reference), "auto_reply") {
		t.Error("the person's own auto-reply was not noted")
	}
}
