package inbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inbox"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/testlog"
	"github.com/unmigration-iraq/netdesk/queue"
)

// runListener runs a listener until the returned stop is called (or the
// test ends).
func (e *env) runListener(mod func(o *inbox.ListenerOptions)) (*inbox.Listener, func()) {
	l := e.newListener(mod)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	e.t.Cleanup(stop)
	return l, stop
}

func personMail(i int) []byte {
	return mail{from: fmt.Sprintf("person%d@example.org", i), subject: fmt.Sprintf("question %d", i),
		messageID: fmt.Sprintf("<q%d@example.org>", i), body: fmt.Sprintf("Question number %d about my work permit.\n", i)}.raw()
}

// TestMoveWithoutMOVE: a server without MOVE gets UID COPY, \Deleted and
// UID EXPUNGE of exactly the handled messages; a message its owner marked
// \Deleted is left alone (no plain EXPUNGE).
func TestMoveWithoutMOVE(t *testing.T) {
	srv := startMemIMAP(t, memOptions{caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}})
	c := srv.client(t)
	raw := mail{from: "owner@example.org", subject: "deleted by the owner", messageID: "<owned@example.org>", body: "x\n"}.raw()
	cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDeleted}})
	_, _ = cmd.Write(raw)
	_ = cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.deliver(t, "INBOX", personMail(1), personMail(2), personMail(3))
	e := newEnv(t, envOptions{imap: srv})
	waitFor(t, 10*time.Second, "three moved", func() bool { return srv.count(t, "Processed") == 3 })
	waitFor(t, 10*time.Second, "the three expunged", func() bool { return srv.count(t, "INBOX") == 1 })
	e.routed()
	if n := len(e.inquiries()); n != 3 {
		t.Fatalf("%d inquiries, want 3 (the owner's deleted message is not taken in)", n)
	}
}

// TestMoveWithoutUIDPLUS: without MOVE nor UIDPLUS the handled messages are
// copied and marked \Deleted but not expunged; they are not taken in again.
func TestMoveWithoutUIDPLUS(t *testing.T) {
	srv := startMemIMAP(t, memOptions{caps: imap.CapSet{imap.CapIMAP4rev1: {}}})
	srv.deliver(t, "INBOX", personMail(1), personMail(2))
	e := newEnv(t, envOptions{imap: srv, noListener: true})
	l, stop := e.runListener(nil)
	waitFor(t, 10*time.Second, "two copied", func() bool { return srv.count(t, "Processed") == 2 })
	srv.deliver(t, "INBOX", personMail(3))
	waitFor(t, 10*time.Second, "three copied", func() bool { return srv.count(t, "Processed") == 3 })
	stop()
	// A restart with the state lost still skips the \Deleted copies.
	if err := e.rdb.Del(context.Background(), e.store.Keys().Mailbox(imapUser+"@"+srv.Addr+"/INBOX")).Err(); err != nil {
		t.Fatal(err)
	}
	l2, _ := e.runListener(nil)
	waitFor(t, 10*time.Second, "a scan after restart", func() bool { return l2.Stats().Idles >= 1 })
	if n, in := srv.count(t, "Processed"), srv.count(t, "INBOX"); n != 3 || in != 3 {
		t.Fatalf("Processed %d, INBOX %d; want 3 and 3 (never expunged without UIDPLUS)", n, in)
	}
	waitFor(t, 10*time.Second, "three inquiries", func() bool { return len(e.inquiries()) == 3 })
	if l.Stats().Outcomes[inbox.Enqueued] != 3 || l2.Stats().Fetched != 0 {
		t.Errorf("first %+v, second %+v", l.Stats(), l2.Stats())
	}
}

// TestUIDValidityChange: when the mailbox is re-created (UIDs renumbered)
// the whole mailbox is scanned again, and what was taken in before is
// recognized by its key.
func TestUIDValidityChange(t *testing.T) {
	srv := startMemIMAP(t, memOptions{})
	if err := srv.mem.Create("Inquiries", nil); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{imap: srv, noListener: true})
	inq := func(o *inbox.ListenerOptions) { o.Mailbox = "Inquiries" }
	srv.deliver(t, "Inquiries", personMail(1), personMail(2))
	_, stop := e.runListener(inq)
	waitFor(t, 10*time.Second, "two moved", func() bool { return srv.count(t, "Processed") == 2 })
	stop()
	stateKey := e.store.Keys().Mailbox(imapUser + "@" + srv.Addr + "/Inquiries")
	before, _ := e.rdb.HGet(context.Background(), stateKey, "uidvalidity").Result()

	// The mailbox is re-created and the same two messages come back, with
	// a new one (a server migration, a restore from backup).
	if err := srv.mem.Delete("Inquiries"); err != nil {
		t.Fatal(err)
	}
	if err := srv.mem.Create("Inquiries", nil); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, "Inquiries", personMail(1), personMail(2), personMail(3))
	l, _ := e.runListener(inq)
	waitFor(t, 10*time.Second, "five moved", func() bool { return srv.count(t, "Processed") == 5 && srv.count(t, "Inquiries") == 0 })
	waitFor(t, 10*time.Second, "three inquiries", func() bool { return len(e.inquiries()) == 3 })
	after, _ := e.rdb.HGet(context.Background(), stateKey, "uidvalidity").Result()
	if before == after || before == "" {
		t.Errorf("uidvalidity %q -> %q", before, after)
	}
	if st := l.Stats(); st.Outcomes[inbox.Duplicate] != 2 || st.Outcomes[inbox.Enqueued] != 1 {
		t.Errorf("outcomes after the rescan = %v", st.Outcomes)
	}
	if n := len(e.inquiries()); n != 3 {
		t.Errorf("%d inquiries, want 3", n)
	}
}

// TestPolling: with IDLE off, new mail is found by polling.
func TestPolling(t *testing.T) {
	e := newEnv(t, envOptions{listener: func(o *inbox.ListenerOptions) { o.NoIdle = true }})
	waitFor(t, 10*time.Second, "a first poll", func() bool { return e.listener.Stats().Polls >= 1 })
	e.imap.deliver(t, "INBOX", personMail(1))
	e.settled(1)
	if st := e.listener.Stats(); st.Idles != 0 || st.Polls < 1 {
		t.Errorf("stats = %+v", st)
	}
}

// TestIdle: new mail arrives during IDLE and is taken in; IDLE is
// re-issued after IdleRestart.
func TestIdle(t *testing.T) {
	e := newEnv(t, envOptions{listener: func(o *inbox.ListenerOptions) {
		o.IdleRestart = 50 * time.Millisecond
		o.PollInterval = time.Hour // polling would not find the mail in time
	}})
	waitFor(t, 10*time.Second, "IDLE re-issued", func() bool { return e.listener.Stats().Idles >= 4 })
	e.imap.deliver(t, "INBOX", personMail(1))
	e.settled(1)
	if st := e.listener.Stats(); st.Polls != 0 || st.Connects != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// freezer makes the server's side of existing connections go silent (as
// a dead NAT mapping or a hung server does); new connections work.
type freezer struct {
	mu    sync.Mutex
	conns []*freezeConn
}

type freezeConn struct {
	net.Conn
	frozen atomic.Bool
}

func (c *freezeConn) Write(p []byte) (int, error) {
	if c.frozen.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (f *freezer) wrap(c net.Conn) net.Conn {
	fc := &freezeConn{Conn: c}
	f.mu.Lock()
	f.conns = append(f.conns, fc)
	f.mu.Unlock()
	return fc
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.frozen.Store(true)
	}
}

// TestWatchdog: a connection that goes silent is noticed (NOOP with a
// timeout), dropped and replaced; mail is taken in on the new one.
func TestWatchdog(t *testing.T) {
	f := &freezer{}
	srv := startMemIMAP(t, memOptions{wrap: f.wrap})
	e := newEnv(t, envOptions{imap: srv, listener: func(o *inbox.ListenerOptions) {
		o.Watchdog, o.CommandTimeout = 100*time.Millisecond, 300*time.Millisecond
		o.PollInterval = time.Hour
	}})
	waitFor(t, 10*time.Second, "listener idle", func() bool { return e.listener.Stats().Idles >= 1 })
	f.freeze()
	waitFor(t, 10*time.Second, "a reconnection", func() bool { return e.listener.Stats().Connects >= 2 })
	srv.deliver(t, "INBOX", personMail(1))
	e.settled(1)
	if st := e.listener.Stats(); st.Failures < 1 {
		t.Errorf("stats = %+v", st)
	}
}

// proxy is a TCP proxy that can be cut (refusing and dropping
// connections) and healed: Redis becoming unreachable.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			down := p.down
			p.mu.Unlock()
			if down {
				c.Close()
				continue
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) heal() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestRedisDown: while Redis cannot be reached nothing is moved out of the
// mailbox; when it is back every message is taken in once.
func TestRedisDown(t *testing.T) {
	e := newEnv(t, envOptions{noListener: true})
	p := startProxy(t, e.rdb.Options().Addr)
	prdb := redis.NewClient(&redis.Options{Addr: p.ln.Addr().String(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { prdb.Close() })
	pstore := queue.NewStore(prdb, queue.Options{Prefix: "t", Policy: desk.Policy(e.cfg)})
	p.cut()
	e.imap.deliver(t, "INBOX", personMail(1), personMail(2), personMail(3))
	l, _ := e.runListener(func(o *inbox.ListenerOptions) {
		o.Store = pstore
		o.Taker = &inbox.Taker{Store: pstore, Desk: e.desk}
	})
	waitFor(t, 10*time.Second, "failed attempts", func() bool { return l.Stats().Failures >= 3 })
	if n := e.imap.count(t, "INBOX"); n != 3 || e.imap.count(t, "Processed") != 0 {
		t.Fatalf("INBOX %d while Redis is down, want 3 and nothing moved", n)
	}
	p.heal()
	e.settled(3)
	if n := len(e.inquiries()); n != 3 {
		t.Fatalf("%d inquiries, want 3", n)
	}
}

// TestOversize: a message over the size limit is fetched only up to the
// limit and kept as a flagged inquiry; its attachments are not stored.
func TestOversize(t *testing.T) {
	e := newEnv(t, envOptions{listener: func(o *inbox.ListenerOptions) { o.Limits.MaxBytes = 4096 }})
	big := mail{from: "big@example.org", subject: "big", messageID: "<big@example.org>",
		contentType: `multipart/mixed; boundary="b"`,
		body: "--b\nContent-Type: text/plain\n\nMy documents are attached.\n--b\nContent-Type: application/pdf; name=\"scan.pdf\"\nContent-Transfer-Encoding: base64\n\n" +
			repeatLine("JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK", 2000) + "--b--\n"}
	e.imap.deliver(t, "INBOX", big.raw())
	e.settled(1)
	qs := e.byContact("big@example.org")
	if len(qs) != 1 || !qs[0].Messages[0].Flagged {
		t.Fatalf("oversize mail: %+v", qs)
	}
	if m := qs[0].Messages[0]; len(m.Text) > 5000 || !strings.Contains(m.Text, "My documents are attached") {
		t.Errorf("text = %q", m.Text)
	}
}

func repeatLine(s string, n int) string {
	b := make([]byte, 0, (len(s)+1)*n)
	for range n {
		b = append(b, s...)
		b = append(b, '\n')
	}
	return string(b)
}

// TestMailLoop: the desk's own mail coming back (an agency address that
// forwards to the desk) is kept aside, not made an inquiry that would be
// answered again.
func TestMailLoop(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.imap.deliver(t, "INBOX", mail{from: "UN Network <" + deskMail + ">", subject: "[NM-4K7Q2X] New inquiry for UNHCR: refugees",
		messageID: "<netdesk.loop@network.example>", body: "A new inquiry was routed to UNHCR.\n"}.raw())
	e.settled(1)
	if n := len(e.inquiries()); n != 0 {
		t.Fatalf("%d inquiries from the desk's own mail", n)
	}
	if dl := e.deadLetters(); len(dl) != 1 || !strings.Contains(dl[0]["reason"].(string), "own address") {
		t.Fatalf("dead letters = %v", dl)
	}
}

// TestIMAPLoginFailure: a wrong password is retried with backoff and never
// logged.
func TestIMAPLoginFailure(t *testing.T) {
	var logs testlog.Buffer
	e := newEnv(t, envOptions{listener: func(o *inbox.ListenerOptions) {
		o.Password = "wrong-imap-s3cret"
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	waitFor(t, 10*time.Second, "failed logins", func() bool { return e.listener.Stats().Failures >= 3 })
	if strings.Contains(logs.String(), "s3cret") {
		t.Errorf("password in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "imap login") {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
}

// TestBrokenRecord: a mail that fails for a reason retrying cannot fix (a
// corrupt inquiry record) is dead-lettered and moved, not retried forever.
func TestBrokenRecord(t *testing.T) {
	e := newEnv(t, envOptions{})
	ref := "NM-BR0KEN"
	if err := e.rdb.HSet(context.Background(), e.store.Keys().Inquiry(inquiry.Reference(ref)), "doc", "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	e.imap.deliver(t, "INBOX", mail{from: amina.Email, subject: "Re: [" + ref + "]", messageID: "<broken-ref@unhcr.example>", body: "Answer.\n"}.raw())
	e.settled(1)
	if dl := e.deadLetters(); len(dl) != 1 || !strings.Contains(dl[0]["reason"].(string), "could not be handled") {
		t.Fatalf("dead letters = %v", dl)
	}
}

// TestIMAPTLS: implicit TLS and STARTTLS against go-imap's server (Dovecot:
// TestDovecotTLS), the certificate checked against the test's CA.
func TestIMAPTLS(t *testing.T) {
	srv := startMemIMAP(t, memOptions{tls: true})
	for i, mode := range []string{"tls", "starttls"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, envOptions{imap: srv, listener: func(o *inbox.ListenerOptions) {
				o.TLS = mode
				if mode == "tls" {
					o.Addr = srv.tlsAddr
				}
			}})
			srv.deliver(t, "INBOX", personMail(i))
			e.settled(i + 1)
			if st := e.listener.Stats(); st.Outcomes[inbox.Enqueued] != 1 {
				t.Fatalf("stats = %+v", st)
			}
		})
	}
}
