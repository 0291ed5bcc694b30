package main

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// netdesk mail check logs in to a real IMAP server and a real SMTP server
// over TCP, says what it found, and exits 1 with a line per failure.
func TestMailCheckCommand(t *testing.T) {
	imapAddr := startIMAP(t)
	smtpAddr := startRelay(t)
	env := map[string]string{
		"NETDESK_IMAP_ADDR": imapAddr, "NETDESK_IMAP_USER": "desk@example.org", "NETDESK_IMAP_PASSWORD": "pw-s3cret", "NETDESK_IMAP_TLS": "none",
		"NETDESK_SMTP_ADDR": smtpAddr, "NETDESK_SMTP_FROM": "Desk <desk@example.org>",
	}
	code, out, _ := runCLI(t, "", env, "mail", "check")
	if code != 0 || !strings.Contains(out, "imap "+imapAddr+": ok, logged in as desk@example.org (none, PLAIN); INBOX: 0 messages waiting; Processed: missing") ||
		!strings.Contains(out, "smtp "+smtpAddr+": ok, auto, TLS no, no login (relay)") {
		t.Errorf("exit %d\n%s", code, out)
	}
	env["NETDESK_IMAP_PASSWORD"] = "wrong-s3cret"
	code, out, _ = runCLI(t, "", env, "mail", "check")
	if code != 1 || !strings.Contains(out, "imap "+imapAddr+": FAILED") || strings.Contains(out, "s3cret") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "", nil, "mail", "check"); code != 1 || !strings.Contains(out, "no mail configured") {
		t.Errorf("no mail: exit %d %s", code, out)
	}
	if code, _, _ := runCLI(t, "", nil, "mail", "send"); code != 2 {
		t.Errorf("mail send: exit %d, want 2 (usage)", code)
	}
}

func startIMAP(t *testing.T) string {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("desk@example.org", "pw-s3cret")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}}, InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// startRelay serves an SMTP relay with no login that refuses every mail:
// the check must send nothing.
func startRelay(t *testing.T) string {
	srv := smtp.NewServer(relay{})
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

type relay struct{}

func (relay) NewSession(*smtp.Conn) (smtp.Session, error) { return relay{}, nil }
func (relay) Mail(string, *smtp.MailOptions) error {
	return errors.New("the check must not send mail")
}
func (relay) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (relay) Data(io.Reader) error                 { return nil }
func (relay) Reset()                               {}
func (relay) Logout() error                        { return nil }
