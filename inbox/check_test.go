package inbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inbox"
)

// CheckMailbox and CheckSMTP (netdesk mail check) log in as serve would,
// report what they found, and change nothing.
func TestMailCheck(t *testing.T) {
	ctx := context.Background()
	srv := startMemIMAP(t, memOptions{})
	srv.deliver(t, "INBOX", mail{from: "a@example.org", subject: "one", messageID: "<c1@example.org>", body: "x\n"}.raw(),
		mail{from: "b@example.org", subject: "two", messageID: "<c2@example.org>", body: "y\n"}.raw())
	opts := inbox.ListenerOptions{Addr: srv.Addr, User: imapUser, Password: imapPass, TLS: srv.TLS, Mailbox: "INBOX", DoneMailbox: "Processed"}
	c, err := inbox.CheckMailbox(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Messages != 2 || c.DoneExists || c.Auth != "PLAIN" || !c.Move || !c.UID {
		t.Errorf("check = %+v", c)
	}
	if n := srv.count(t, "INBOX"); n != 2 {
		t.Errorf("the check changed the mailbox: %d messages left", n)
	}
	if l := srv.client(t); l != nil {
		list, _ := l.List("", "Processed", nil).Collect()
		if len(list) != 0 {
			t.Error("the check created the done mailbox")
		}
	}
	opts.Password = "wrong-s3cret"
	if _, err := inbox.CheckMailbox(ctx, opts); err == nil || strings.Contains(err.Error(), "wrong-s3cret") {
		t.Errorf("wrong password: err = %v", err)
	}
	opts.Password, opts.Mailbox = imapPass, "NoSuchFolder"
	if _, err := inbox.CheckMailbox(ctx, opts); err == nil || !strings.Contains(err.Error(), "NoSuchFolder") {
		t.Errorf("missing mailbox: err = %v", err)
	}

	smtpSrv := startSMTP(t, nil)
	so := inbox.SenderOptions{Addr: smtpSrv.Addr, TLS: "auto", User: "mailer", Password: "s3cret-smtp", From: "desk@example.org", Timeout: 5 * time.Second}
	sc, err := inbox.CheckSMTP(ctx, so)
	if err != nil || sc.Auth != "PLAIN" || sc.TLS {
		t.Errorf("smtp check = %+v, %v", sc, err)
	}
	if n := len(smtpSrv.received()); n != 0 {
		t.Errorf("the check sent %d mails", n)
	}
	so.Password = "wrong-s3cret"
	if _, err := inbox.CheckSMTP(ctx, so); err == nil || strings.Contains(err.Error(), "wrong-s3cret") {
		t.Errorf("smtp wrong password: err = %v", err)
	}

	// OAuth2: the same checks log in with XOAUTH2.
	tokens := startTokenServer(t, time.Hour)
	bearerIMAP := startMemIMAP(t, memOptions{bearer: tokens.valid})
	token := inbox.OAuth2(inbox.OAuth2Config{TokenURL: tokens.URL, ClientID: clientID, ClientSecret: clientSecret,
		Scopes: []string{"https://outlook.office365.com/.default"}}, nil)
	c, err = inbox.CheckMailbox(ctx, inbox.ListenerOptions{Addr: bearerIMAP.Addr, User: imapUser, TLS: "none", Token: token})
	if err != nil || c.Auth != "XOAUTH2" {
		t.Errorf("oauth2 imap check = %+v, %v", c, err)
	}
	bearerSMTP := startSMTP(t, nil)
	bearerSMTP.bearer = tokens.valid
	sc, err = inbox.CheckSMTP(ctx, inbox.SenderOptions{Addr: bearerSMTP.Addr, TLS: "none", User: imapUser, Token: token, From: "desk@example.org"})
	if err != nil || sc.Auth != "XOAUTH2" {
		t.Errorf("oauth2 smtp check = %+v, %v", sc, err)
	}
}
