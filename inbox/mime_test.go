package inbox

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/mail/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNormalizeFixtures(t *testing.T) {
	cases := []struct {
		file                string
		from, name, subject string
		messageID           string
		text                string // the new text, exactly
		body                string // contained in the body
		kind                Kind
		noAck, flagged      bool
		attachments         []string
		thread              []string
	}{
		{file: "plain.eml", from: "sara.ahmed@example.org", name: "Sara Ahmed", subject: "Question about residency permits",
			messageID: "<CAF1234567890@mail.example.org>", kind: Person, body: "+964 750",
			text: "Hello,\n\nI am a migrant worker in Erbil and my residency permit expires next month.\nWho can help me renew it?\n\nThank you,\nSara"},
		{file: "arabic-1256.eml", from: "ahmed.ali@example.iq", name: "أحمد علي", subject: "طلب مساعدة في التسجيل", kind: Person,
			text: "السلام عليكم،\nأنا لاجئ في مخيم دوميز وأحتاج إلى مساعدة في التسجيل لدى المفوضية.\nشكراً لكم"},
		{file: "arabic-iso88596-qp.eml", from: "layla@example.iq", subject: "عمل", kind: Person, text: "صاحب العمل لم يدفع راتبي منذ ثلاثة أشهر"},
		{file: "arabic-undeclared.eml", from: "omar@example.iq", subject: "مساعدة", kind: Person, text: "أحتاج إلى سلة غذائية لعائلتي"},
		{file: "latin1.eml", from: "renee@example.fr", name: "Renée Dupré", subject: "Demande d'entretien à Bagdad", kind: Person,
			text: "Bonjour, je suis journaliste et je prépare un reportage sur la migration. Pouvez-vous m'aider ?"},
		{file: "html-only.eml", from: "reporter@news.example", kind: Person,
			text: "Dear team,\n\nI would like to interview a spokesperson about returns from Syria. See our story (https://news.example/story) and https://news.example/.\n\n- Date: next week\n- Place: Baghdad\n\nBest regards,\nReporter"},
		{file: "alternative-attachment.eml", from: "info@ngo.example", kind: Person, text: "Please find our report on returnees attached.",
			attachments: []string{"réport final.pdf application/pdf 48", "صورة.png image/png 8"}},
		{file: "reply-gmail.eml", from: "sara.ahmed@example.org", kind: Person, text: "Thank you. My permit number is 12345. When can I come to the office?",
			thread: []string{"<CAF1234567890@mail.example.org>", "<netdesk.abc@network.example>"}},
		{file: "reply-outlook.eml", from: "amina@unhcr.example", kind: Person, text: "Dear Sir,\nPlease visit our office in Erbil on Sunday with your documents.\n\nBest regards\nAmina",
			thread: []string{"<netdesk.staff1@network.example>"}},
		{file: "reply-arabic.eml", from: "ahmed.ali@example.iq", kind: Person, text: "شكراً جزيلاً، سأحضر غداً."},
		{file: "ooo.eml", from: "sara.ahmed@example.org", kind: AutoReply, noAck: true},
		{file: "list.eml", from: "news@lists.example", kind: Person, noAck: true, text: "This week: new figures on returns to Sinjar and Mosul."},
		{file: "bounce.eml", from: "mailer-daemon@mx.network.example", kind: Bounce, noAck: true},
		{file: "malformed.eml", from: "broken@example.net", subject: "help please", kind: Person, flagged: true, body: "passport"},
		{file: "malformed-mime.eml", from: "broken-mime@example.net", kind: Person, flagged: true, text: "My employer took my passport. Please help."},
		{file: "no-message-id.eml", from: "anon@example.net", kind: Person, text: "A message without a Message-ID."},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			m := Normalize(fixture(t, c.file), Limits{})
			check := func(what, got, want string) {
				if want != "" && got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("From", m.From, c.from)
			check("Name", m.Name, c.name)
			check("Subject", m.Subject, c.subject)
			check("MessageID", m.MessageID, c.messageID)
			check("Text", m.Text, c.text)
			if !strings.Contains(m.Body, c.body) {
				t.Errorf("Body %q lacks %q", m.Body, c.body)
			}
			if m.Kind != c.kind || m.NoAck != c.noAck || m.Flagged != c.flagged {
				t.Errorf("kind %s noAck %v (%s) flagged %v (%v); want %s %v %v", m.Kind, m.NoAck, m.NoAckReason, m.Flagged, m.Problems, c.kind, c.noAck, c.flagged)
			}
			var atts []string
			for _, a := range m.Attachments {
				atts = append(atts, fmt.Sprintf("%s %s %d", a.Name, a.Type, a.Size))
			}
			if c.attachments != nil && strings.Join(atts, "|") != strings.Join(c.attachments, "|") {
				t.Errorf("attachments = %q, want %q", atts, c.attachments)
			}
			if c.thread != nil && strings.Join(m.Thread(), " ") != strings.Join(c.thread, " ") {
				t.Errorf("thread = %q, want %q", m.Thread(), c.thread)
			}
		})
	}
}

func TestBounceReport(t *testing.T) {
	m := Normalize(fixture(t, "bounce.eml"), Limits{})
	if m.Report == nil || m.Report.Action != "failed" || m.Report.Status != "5.1.1" {
		t.Errorf("report = %+v", m.Report)
	}
	if o := m.Original; o == nil || o.MessageID != "<netdesk.ack9@network.example>" || o.Subject != "Re: Help [NM-4K7Q2X]" {
		t.Errorf("original = %+v", m.Original)
	}
}

func TestKey(t *testing.T) {
	m := Normalize(fixture(t, "plain.eml"), Limits{})
	if k := m.Key(); k != "mail:CAF1234567890@mail.example.org|sara.ahmed@example.org" {
		t.Errorf("key = %q", k)
	}
	n := Normalize(fixture(t, "no-message-id.eml"), Limits{})
	if k := n.Key(); !strings.HasPrefix(k, "mail:sha256:") || !strings.HasSuffix(k, "|anon@example.net") || k != Normalize(fixture(t, "no-message-id.eml"), Limits{}).Key() {
		t.Errorf("key = %q", k)
	}
}

// Auto-reply suppression (SPEC §8, RFC 3834): each header alone.
func TestNoAck(t *testing.T) {
	base := "From: %s\r\nSubject: %s\r\nMessage-ID: <x@y>\r\n%s\r\nhello\r\n"
	cases := []struct {
		from, subject, headers string
		noAck                  bool
		kind                   Kind
	}{
		{"a@example.org", "question", "", false, Person},
		{"a@example.org", "question", "Auto-Submitted: no\r\n", false, Person},
		{"a@example.org", "question", "Auto-Submitted: auto-generated\r\n", true, Person},
		{"a@example.org", "question", "Auto-Submitted: auto-replied; vacation\r\n", true, AutoReply},
		{"a@example.org", "question", "Precedence: bulk\r\n", true, Person},
		{"a@example.org", "question", "Precedence: junk\r\n", true, Person},
		{"a@example.org", "question", "Precedence: list\r\n", true, Person},
		{"a@example.org", "question", "List-Id: <l.example.org>\r\n", true, Person},
		{"a@example.org", "question", "Return-Path: <>\r\n", true, Person},
		{"a@example.org", "question", "Return-Path: <a@example.org>\r\n", false, Person},
		{"a@example.org", "question", "X-Autoreply: yes\r\n", true, AutoReply},
		{"a@example.org", "Automatic reply: question", "", true, AutoReply},
		{"a@example.org", "رد تلقائي: سؤال", "", true, AutoReply},
		{"MAILER-DAEMON@mx.example.org", "hello", "", true, Person},
		{"postmaster@mx.example.org", "Undeliverable: question", "", true, Bounce},
		{"no-reply@service.example", "your receipt", "", true, Person},
		{"noreply@service.example", "your receipt", "", true, Person},
		{"do_not_reply@service.example", "your receipt", "", true, Person},
		{"a@example.org", "report", "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n", true, Bounce},
		{"a@example.org", "receipt", "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n", true, AutoReply},
	}
	for _, c := range cases {
		m := Normalize([]byte(fmt.Sprintf(base, c.from, c.subject, c.headers)), Limits{})
		if m.NoAck != c.noAck || m.Kind != c.kind {
			t.Errorf("%s / %q / %q: noAck %v (%s) kind %s; want %v %s", c.from, c.subject, c.headers, m.NoAck, m.NoAckReason, m.Kind, c.noAck, c.kind)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Run("parts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := range 500 {
			fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
		}
		b.WriteString("--b--\r\n")
		m := Normalize([]byte(b.String()), Limits{})
		if !m.Flagged || !strings.Contains(m.Body, "part 0") || strings.Contains(m.Body, "part 200") {
			t.Errorf("flagged %v, body %d bytes", m.Flagged, len(m.Body))
		}
	})
	t.Run("depth", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; i <= 50; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
		}
		b.WriteString("--b50\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
		m := Normalize([]byte(b.String()), Limits{})
		if !m.Flagged || strings.Contains(m.Body, "deep") {
			t.Errorf("flagged %v problems %v body %q", m.Flagged, m.Problems, m.Body)
		}
	})
	t.Run("size", func(t *testing.T) {
		raw := "From: a@example.org\r\n\r\n" + strings.Repeat("abcdefghij", 1000)
		m := Normalize([]byte(raw), Limits{MaxBytes: 2000})
		if !m.Flagged || len(m.Body) > 2000 {
			t.Errorf("flagged %v, body %d", m.Flagged, len(m.Body))
		}
	})
	t.Run("text", func(t *testing.T) {
		raw := "From: a@example.org\r\n\r\n" + strings.Repeat("كلمة ", 5000)
		m := Normalize([]byte(raw), Limits{MaxTextChars: 100})
		if n := utf8.RuneCountInString(m.Body); n > 100 || !strings.HasSuffix(m.Body, "[…]") {
			t.Errorf("%d runes: %q", n, m.Body)
		}
	})
}

func TestCharsets(t *testing.T) {
	cases := []struct{ cs, raw, want string }{
		{"windows-1256", "\xc7\xe1\xd3\xe1\xc7\xe3", "السلام"},
		{"cp1256", "\xc7\xe1\xd3\xe1\xc7\xe3", "السلام"},
		{"ISO-8859-6", "\xc7\xe4\xd3\xe4\xc7\xe5", "السلام"},
		{"iso-8859-6-i", "\xc7\xe4\xd3\xe4\xc7\xe5", "السلام"},
		{"iso-8859-1", "caf\xe9", "café"},
		{"utf-8", "café", "café"},
		{"", "\xc7\xe1\xd3\xe1\xc7\xe3 \xc7\xe1\xda\xd1\xc7\xde", "السلام العراق"},
		{"", "caf\xe9 cr\xe8me", "café crème"},
		{"x-unknown-charset", "caf\xe9", "café"},
		{"utf-8", "\xc7\xe1\xd3\xe1\xc7\xe3", "السلام"}, // mislabelled
	}
	for _, c := range cases {
		if got := decodeBytes([]byte(c.raw), c.cs); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.cs, c.raw, got, c.want)
		}
	}
}

func TestEncodedWords(t *testing.T) {
	cases := map[string]string{
		"=?UTF-8?B?2YXYsdit2KjYpw==?=":          "مرحبا",
		"=?windows-1256?Q?=E3=D1=CD=C8=C7?=":    "مرحبا",
		"=?ISO-8859-6?B?5dHNyMc=?=":             "مرحبا",
		"Re: =?utf-8?q?caf=C3=A9?= [NM-4K7Q2X]": "Re: café [NM-4K7Q2X]",
		"=?utf-8?B?broken":                      "=?utf-8?B?broken",
		"=?x-unknown?Q?abc?=":                   "=?x-unknown?Q?abc?=",
		"two\r\n words":                         "two words",
		"=?utf-8?Q?a?= =?utf-8?Q?b?=":           "ab",
	}
	for in, want := range cases {
		if got := headerText(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestDate(t *testing.T) {
	m := Normalize(fixture(t, "plain.eml"), Limits{})
	if want := time.Date(2025, 1, 6, 7, 15, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("date = %v", m.Date)
	}
}
