package inbox_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inbox"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/testlog"
	"github.com/unmigration-iraq/netdesk/queue"
)

func outbound(to, text string) queue.Outbound {
	return queue.Outbound{ID: queue.NewID(), Channel: inquiry.Email, Kind: "reply", To: to, Subject: "Re: test", Text: text}
}

func (e *env) send(msgs ...queue.Outbound) {
	e.t.Helper()
	if err := e.store.Send(context.Background(), msgs...); err != nil {
		e.t.Fatal(err)
	}
}

// deadOutbound returns the dead-lettered outbox entries' reasons by id.
func (e *env) deadOutbound() map[string]string {
	out := map[string]string{}
	for _, v := range e.deadLetters() {
		raw, _ := v["o"].(string)
		if raw == "" {
			continue
		}
		var d struct {
			ID     string `json:"id"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			e.t.Fatal(err)
		}
		out[d.ID] = d.Reason
	}
	return out
}

// TestSenderRetry: a temporary failure (451) is retried with backoff and
// the mail is delivered once.
func TestSenderRetry(t *testing.T) {
	e := newEnv(t, envOptions{noListener: true})
	e.smtp.mu.Lock()
	e.smtp.tempFail = 2
	e.smtp.mu.Unlock()
	o := outbound("person@example.org", "Your answer.")
	e.send(o)
	got := e.mailsTo("person@example.org", 1)
	if !strings.Contains(got[0].body, "Your answer.") {
		t.Errorf("body = %q", got[0].body)
	}
	// The mail reaches the server before the sender marks it sent: wait for
	// the mark rather than race it (this read once failed CI).
	waitFor(t, 10*time.Second, "marked sent", func() bool {
		sent, _ := e.store.WasSent(context.Background(), o.ID)
		return sent
	})
	if len(e.deadOutbound()) != 0 {
		t.Errorf("dead letters: %v", e.deadOutbound())
	}
}

// TestSenderPermanent: a 5xx refusal is dead-lettered at once, with the
// server's answer, and audited on the inquiry; the mail to the agency
// still goes out.
func TestSenderPermanent(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.smtp.mu.Lock()
	e.smtp.reject["gone@example.org"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	e.smtp.mu.Unlock()
	e.imap.deliver(t, "INBOX", mail{from: "gone@example.org", subject: "refugee registration", messageID: "<gone1@example.org>",
		body: "I am a refugee and need help with registration at the camp.\n"}.raw())
	e.settled(1)
	q := e.byContact("gone@example.org")[0]
	waitFor(t, 10*time.Second, "the ack dead-lettered", func() bool { return len(e.deadOutbound()) == 1 })
	for _, reason := range e.deadOutbound() {
		if !strings.Contains(reason, "550") {
			t.Errorf("reason = %q", reason)
		}
	}
	waitFor(t, 10*time.Second, "delivery failure audited", func() bool { return hasAudit(e.audit(q.Reference), "delivery_failed") })
	e.mailsTo(unhcrMail, 1)
}

// TestSenderGivesUp: after MaxAttempts temporary failures the entry is
// dead-lettered, never lost.
func TestSenderGivesUp(t *testing.T) {
	e := newEnv(t, envOptions{noListener: true, sender: func(o *inbox.SenderOptions) { o.MaxAttempts = 3 }})
	e.smtp.mu.Lock()
	e.smtp.tempFail = 1000
	e.smtp.mu.Unlock()
	o := outbound("person@example.org", "x")
	e.send(o)
	waitFor(t, 10*time.Second, "dead letter", func() bool { return e.deadOutbound()[o.ID] != "" })
	if r := e.deadOutbound()[o.ID]; !strings.Contains(r, "gave up after 3 attempts") || !strings.Contains(r, "451") {
		t.Errorf("reason = %q", r)
	}
	if n := len(e.smtp.received()); n != 0 {
		t.Errorf("%d delivered", n)
	}
}

// TestSenderOnce: an entry queued twice (a redelivery) is sent once.
func TestSenderOnce(t *testing.T) {
	e := newEnv(t, envOptions{noListener: true})
	o := outbound("person@example.org", "only once")
	e.send(o)
	e.mailsTo("person@example.org", 1)
	e.send(o)
	marker := outbound("other@example.org", "after")
	e.send(marker)
	e.mailsTo("other@example.org", 1) // the stream is in order: the copy was handled
	if n := len(e.smtp.to("person@example.org")); n != 1 {
		t.Fatalf("sent %d times", n)
	}
}

// TestSenderModes: STARTTLS, implicit TLS and auto (STARTTLS when offered),
// with AUTH PLAIN; a wrong password is retried, and no password is ever
// logged.
func TestSenderModes(t *testing.T) {
	cert, clientTLS, _, _ := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, c := range []struct {
		mode     string
		tls      bool // the server has TLS
		implicit bool
		wantTLS  bool
	}{
		{"starttls", true, false, true},
		{"tls", true, true, true},
		{"auto", true, false, true},
		{"auto", false, false, false},
		{"none", true, false, false},
	} {
		t.Run(c.mode+map[bool]string{true: "-tls", false: "-plain"}[c.tls], func(t *testing.T) {
			var conf *tls.Config
			if c.tls {
				conf = serverTLS
			}
			srv := startSMTP(t, conf, c.implicit)
			var logs testlog.Buffer
			e := newEnv(t, envOptions{noListener: true, sender: func(o *inbox.SenderOptions) {
				o.Addr, o.TLS, o.TLSConfig, o.User, o.Password = srv.Addr, c.mode, clientTLS, "mailer", "s3cret-smtp"
				o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}})
			e.smtp = srv
			e.send(outbound("person@example.org", "السلام عليكم"))
			got := e.smtp.to("person@example.org")
			waitFor(t, 10*time.Second, "delivery", func() bool { got = e.smtp.to("person@example.org"); return len(got) == 1 })
			if got[0].TLS != c.wantTLS || got[0].Auth != "mailer" {
				t.Errorf("TLS %v auth %q, want TLS %v", got[0].TLS, got[0].Auth, c.wantTLS)
			}
			if strings.Contains(logs.String(), "s3cret") {
				t.Error("the password is in the log")
			}
		})
	}
	// auto on loopback: a relay's certificate nobody signed (Debian's
	// Postfix) still gets TLS; starttls refuses it and retries.
	for _, mode := range []string{"auto", "starttls"} {
		t.Run(mode+"-untrusted-loopback", func(t *testing.T) {
			srv := startSMTP(t, serverTLS)
			var logs testlog.Buffer
			e := newEnv(t, envOptions{noListener: true, sender: func(o *inbox.SenderOptions) {
				o.Addr, o.TLS, o.TLSConfig, o.User, o.Password = srv.Addr, mode, nil, "mailer", "s3cret-smtp"
				o.MaxAttempts = 100
				o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}})
			e.smtp = srv
			e.send(outbound("person@example.org", "x"))
			if mode == "starttls" {
				waitFor(t, 10*time.Second, "two refused attempts", func() bool { return strings.Count(logs.String(), "will retry") >= 2 })
				if n := len(srv.received()); n != 0 {
					t.Errorf("starttls accepted an untrusted certificate (%d delivered)", n)
				}
				return
			}
			waitFor(t, 10*time.Second, "delivery", func() bool { return len(srv.to("person@example.org")) == 1 })
			if got := srv.to("person@example.org")[0]; !got.TLS || got.Auth != "mailer" {
				t.Errorf("TLS %v auth %q", got.TLS, got.Auth)
			}
		})
	}
	t.Run("wrong-password", func(t *testing.T) {
		srv := startSMTP(t, serverTLS)
		var logs testlog.Buffer
		e := newEnv(t, envOptions{noListener: true, sender: func(o *inbox.SenderOptions) {
			o.Addr, o.TLS, o.TLSConfig, o.User, o.Password = srv.Addr, "starttls", clientTLS, "mailer", "wrong-s3cret"
			o.MaxAttempts = 100
			o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}})
		e.smtp = srv
		e.send(outbound("person@example.org", "x"))
		waitFor(t, 10*time.Second, "two failed attempts", func() bool { return strings.Count(logs.String(), "will retry") >= 2 })
		if strings.Contains(logs.String(), "wrong-s3cret") {
			t.Error("the password is in the log")
		}
		if len(e.deadOutbound()) != 0 || len(srv.received()) != 0 {
			t.Error("a login failure must be retried, not dead-lettered")
		}
	})
}

// A reply waiting for a retry when the inquiry is erased is never sent
// (issue 10, finding 3): the sender checks right before sending to a
// person, and drops what an erasure overtook.
func TestErasureStopsQueuedMail(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.imap.deliver(t, "INBOX", mail{from: "refugee@example.org", subject: "registration", messageID: "<erase1@example.org>",
		body: "I am a refugee and need help with my registration at the camp.\n"}.raw())
	e.settled(1)
	q := e.byContact("refugee@example.org")[0]
	e.mailsTo("refugee@example.org", 1) // the ack
	e.smtp.mu.Lock()
	e.smtp.tempFail = 1000 // every further DATA: 451, retried
	e.smtp.mu.Unlock()
	ctx := context.Background()
	_, reply, err := e.desk.Reply(ctx, amina, q.Reference, "Please send your ID card and home address to this number.")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := e.store.Outboxed(ctx, inquiry.Email)
	var id string
	for _, o := range out {
		if o.Kind == queue.KindReply && o.Reference == q.Reference {
			id = o.ID
		}
	}
	if id == "" {
		t.Fatalf("no reply queued (%v)", reply)
	}
	waitFor(t, 10*time.Second, "a failed attempt", func() bool {
		e.smtp.mu.Lock()
		defer e.smtp.mu.Unlock()
		return e.smtp.tempFail < 1000
	})
	admin := config.Staff{ID: "root", Agency: "SECRETARIAT", Role: config.RoleAdmin}
	if err := e.desk.Erase(ctx, admin, q.Reference); err != nil {
		t.Fatal(err)
	}
	e.smtp.mu.Lock()
	e.smtp.tempFail = 0 // the server would accept it now
	e.smtp.mu.Unlock()
	waitFor(t, 10*time.Second, "the queued reply settled", func() bool {
		sent, _ := e.store.WasSent(ctx, id)
		return sent
	})
	if got := len(e.smtp.to("refugee@example.org")); got != 1 {
		t.Errorf("%d mails reached the person, want only the ack from before the erasure", got)
	}
	for _, m := range e.smtp.received() {
		if strings.Contains(string(m.Data), "home address") {
			t.Error("the erased inquiry's reply was delivered")
		}
	}
}
