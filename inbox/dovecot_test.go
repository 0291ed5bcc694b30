package inbox_test

import (
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inbox"
)

// TestDovecot runs the whole mail flow against Dovecot (skipped when it is
// not installed; `make deps` installs it).
func TestDovecot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Dovecot")
	}
	testMailFlow(t, startDovecot(t), true)
}

// TestDovecotTLS takes mail in over implicit TLS and over STARTTLS, the
// server's certificate checked against the test's own CA.
func TestDovecotTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Dovecot")
	}
	srv := startDovecot(t)
	for i, mode := range []string{"tls", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOptions{imap: srv, listener: func(o *inbox.ListenerOptions) {
				o.TLS = mode
				if mode == "tls" {
					o.Addr = srv.tlsAddr
				}
			}})
			srv.deliver(t, "INBOX", mail{from: "tls@example.org", subject: "over " + mode, messageID: "<tls-" + mode + "@example.org>",
				body: "Sent to a mailbox read over " + mode + ".\n"}.raw())
			e.settled(i + 1)
			if qs := e.byContact("tls@example.org"); len(qs) != 1 {
				t.Fatalf("%d inquiries", len(qs))
			}
		})
	}
	// A wrong CA is refused: nothing is taken in.
	t.Run("untrusted", func(t *testing.T) {
		e := newEnv(t, envOptions{imap: srv, listener: func(o *inbox.ListenerOptions) {
			o.TLS, o.Addr, o.TLSConfig = "tls", srv.tlsAddr, nil
		}})
		srv.deliver(t, "INBOX", mail{from: "tls@example.org", subject: "untrusted", messageID: "<tls-untrusted@example.org>", body: "x\n"}.raw())
		waitFor(t, 10*time.Second, "three failed connection attempts", func() bool { return e.listener.Stats().Failures >= 3 })
		if st := e.listener.Stats(); st.Connects != 0 || srv.count(t, "INBOX") != 1 {
			t.Fatalf("connected to an untrusted server: %+v", st)
		}
	})
}
