package desk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// A name, subject or file name that would read differently than it is
// spelled (bidi overrides) or carries control characters is cleaned at
// intake, whatever the channel (issue 10, finding 11).
func TestHostileLabelsAreCleanedAtIntake(t *testing.T) {
	h := newHarness(t)
	h.handle(t, &queue.Inbound{
		ID: "mail:hostile", Channel: inquiry.Email, Address: "someone@example.org",
		Name: "UN\u202E Secretariat\x07", Subject: "Invoice\u202Efdp.exe\r\nBcc: x@example.org",
		Text: "Please see the attached document about my residency.", MessageID: "<hostile@example.org>",
		Attachments: []inquiry.Attachment{{Name: "invoice\u202Efdp.exe", Type: "application/pdf", Size: 10}},
	})
	qs, err := h.store.Since(context.Background(), h.clock.t.Add(-1))
	if err != nil || len(qs) != 1 {
		t.Fatalf("inquiries %v %v", qs, err)
	}
	q, _ := h.store.Load(context.Background(), qs[0])
	m := q.Messages[0]
	for what, v := range map[string]string{"subject": q.Subject, "author": m.Author, "contact name": q.Contact.Name, "file name": m.Attachments[0].Name} {
		if strings.ContainsAny(v, "\u202E\x07\r\n") {
			t.Errorf("%s kept a control character: %q", what, v)
		}
	}
	if m.Attachments[0].Name != "invoicefdp.exe" {
		t.Errorf("file name %q", m.Attachments[0].Name)
	}
}
