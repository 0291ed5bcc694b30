package inbox

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"

	"github.com/unmigration-iraq/netdesk/queue"
)

// Compose writes the mail for an outbox entry: a UTF-8 text/plain message
// with the entry's subject ([REF] in it), threading headers, and
// Auto-Submitted: auto-replied on acks (RFC 3834). Text that is mostly
// ASCII goes quoted-printable, other text (Arabic, Kurdish) base64.
func Compose(o queue.Outbound, from *mail.Address, now time.Time) ([]byte, error) {
	to, err := mail.ParseAddress(o.To)
	if err != nil {
		return nil, fmt.Errorf("compose: recipient: %w", err)
	}
	if o.MessageID == "" {
		return nil, fmt.Errorf("compose: no Message-ID")
	}
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{{Name: from.Name, Address: from.Address}})
	h.SetAddressList("To", []*gomail.Address{{Address: to.Address}})
	h.SetSubject(oneLine(o.Subject))
	h.SetMessageID(bare(o.MessageID))
	if o.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{bare(o.InReplyTo)})
	}
	var refs []string
	for _, r := range o.References {
		if b := bare(r); b != "" {
			refs = append(refs, b)
		}
	}
	if len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	if o.AutoReply {
		h.Set("Auto-Submitted", "auto-replied")
		// Exchange and Outlook: send no out-of-office answer to an ack.
		h.Set("X-Auto-Response-Suppress", "All")
	}
	if o.Reference != "" {
		h.Set("X-Netdesk-Reference", string(o.Reference))
	}
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	text := strings.ReplaceAll(strings.ReplaceAll(o.Text, "\r\n", "\n"), "\n", "\r\n")
	if !strings.HasSuffix(text, "\r\n") {
		text += "\r\n"
	}
	h.Set("Content-Transfer-Encoding", transferEncoding(text))
	var buf bytes.Buffer
	w, err := gomail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}

// transferEncoding picks quoted-printable for mostly-ASCII text (readable
// in the raw) and base64 for the rest (shorter for Arabic script).
func transferEncoding(s string) string {
	nonASCII := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			nonASCII++
		}
	}
	if nonASCII*4 > len(s) {
		return "base64"
	}
	return "quoted-printable"
}

func bare(id string) string {
	return strings.Trim(strings.TrimSpace(id), "<>")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
	if utf8.RuneCountInString(s) > 250 {
		s = string([]rune(s)[:250])
	}
	return s
}
