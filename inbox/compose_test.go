package inbox

import (
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

var deskFrom = &mail.Address{Name: "UN Network on Migration in Iraq", Address: "desk@network.example"}

func TestCompose(t *testing.T) {
	now := time.Date(2025, 1, 6, 11, 0, 0, 0, time.UTC)
	ar := queue.Outbound{ID: "abc", Channel: inquiry.Email, Kind: "ack", Reference: "NM-4K7Q2X", To: "Sara@Example.org",
		Subject: "Re: طلب مساعدة [NM-4K7Q2X]", Text: "شكراً لك، لقد استلمنا رسالتك.\nالرقم المرجعي NM-4K7Q2X",
		MessageID: "<netdesk.1@network.example>", InReplyTo: "<m1@example.org>", References: []string{"<m0@example.org>", "m1@example.org"}, AutoReply: true}
	raw, err := Compose(ar, deskFrom, now)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{"Auto-Submitted: auto-replied\r\n", "Content-Transfer-Encoding: base64\r\n", "Mime-Version: 1.0\r\n",
		"charset=utf-8", "Message-Id: <netdesk.1@network.example>\r\n", "In-Reply-To: <m1@example.org>\r\n",
		"References: <m0@example.org> <m1@example.org>\r\n", "Date: Mon, 06 Jan 2025 11:00:00 +0000\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	m := Normalize(raw, Limits{})
	if m.Subject != ar.Subject || m.Body != ar.Text || m.From != "desk@network.example" || m.Name != deskFrom.Name || m.MessageID != ar.MessageID {
		t.Errorf("read back: %+v", m)
	}
	if m.Kind != AutoReply || !m.NoAck {
		t.Error("an ack must read as an automatic reply")
	}

	en := queue.Outbound{ID: "def", Channel: inquiry.Email, Kind: "reply", To: "a@example.org", Subject: "Re: x [NM-4K7Q2X]\r\nBcc: evil@example.org",
		Text: "Please come on Sunday. " + strings.Repeat("Long line without breaks. ", 100), MessageID: "<netdesk.2@network.example>"}
	raw, err = Compose(en, deskFrom, now)
	if err != nil {
		t.Fatal(err)
	}
	s = string(raw)
	if !strings.Contains(s, "Content-Transfer-Encoding: quoted-printable") || strings.Contains(s, "Auto-Submitted") || strings.Contains(s, "\r\nBcc:") {
		t.Errorf("english reply:\n%s", s)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d bytes", len(line))
		}
	}
	if got := Normalize(raw, Limits{}).Body; got != strings.TrimSpace(en.Text) {
		t.Errorf("body read back = %q", got)
	}

	if _, err := Compose(queue.Outbound{To: "not an address", MessageID: "<x@y>"}, deskFrom, now); err == nil {
		t.Error("a bad recipient must fail")
	}
}
