package inbox

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// SenderOptions configure a Sender. Zero values take the defaults.
type SenderOptions struct {
	Store *queue.Store
	// Addr is host:port of the SMTP server.
	Addr string
	// TLS is "tls" (implicit, port 465), "starttls", "none", or "auto"
	// (STARTTLS when the server offers it).
	TLS       string
	TLSConfig *tls.Config
	// User and Password, when User is set, log in with AUTH PLAIN.
	User, Password string
	// Token, when set, replaces the password: the login is XOAUTH2 with a
	// token it returns (see OAuth2).
	Token TokenFunc
	// From is the sender of every mail, "Name <address>" or an address.
	From string
	// Hello is the name given in EHLO (default: the From domain).
	Hello string
	// MaxAttempts: an entry that failed this often is dead-lettered.
	MaxAttempts int
	// RetryMin and RetryMax bound the wait before another attempt
	// (doubling from RetryMin).
	RetryMin, RetryMax time.Duration
	// RetryPoll is how often waiting retries are looked at.
	RetryPoll time.Duration
	// Timeout bounds one SMTP conversation.
	Timeout time.Duration
	// Block is how long a read of the outbox waits for new entries.
	Block  time.Duration
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	Now    func() time.Time
	Log    *slog.Logger
}

// Sender delivers the email outbox over SMTP. Every entry is sent at most
// once (store.MarkSent), retried with backoff on temporary failures
// (4xx replies, network errors), and dead-lettered, never dropped, on a
// permanent failure (5xx) or after MaxAttempts.
type Sender struct {
	o      SenderOptions
	from   *mail.Address
	domain string
	log    *slog.Logger
}

// SenderGroup is the consumer group of outbox senders.
const SenderGroup = "senders"

// NewSender checks the options and returns a Sender.
func NewSender(o SenderOptions) (*Sender, error) {
	if o.Store == nil {
		return nil, errors.New("smtp: Store is required")
	}
	return newSender(o)
}

// newSender fills the defaults; CheckSMTP needs no Store.
func newSender(o SenderOptions) (*Sender, error) {
	switch o.TLS {
	case "tls", "starttls", "none", "auto":
	case "":
		o.TLS = "starttls"
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q must be tls, starttls, none or auto", o.TLS)
	}
	if o.Addr == "" {
		return nil, errors.New("smtp: Addr is required")
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: From %q: %w", o.From, err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	if o.Hello == "" {
		o.Hello = domain
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.RetryMin, time.Minute)
	def(&o.RetryMax, time.Hour)
	def(&o.RetryPoll, time.Second)
	def(&o.Timeout, time.Minute)
	if o.Dialer == nil {
		d := &net.Dialer{Timeout: 30 * time.Second}
		o.Dialer = d.DialContext
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Sender{o: o, from: from, domain: domain, log: o.Log.With("comp", "smtp")}, nil
}

// Run consumes the email outbox as consumer name of the senders group,
// and puts due retries back on it, until ctx ends.
func (s *Sender) Run(ctx context.Context, name string) error {
	k := s.o.Store.Keys()
	c := &queue.Consumer{
		Client: s.o.Store.Client(), Stream: k.Outbox(inquiry.Email), Group: SenderGroup, Name: name,
		Handle: s.Handle, Delete: true, MinIdle: 2*s.o.Timeout + 30*time.Second, Block: s.o.Block, Log: s.log,
		Dead: func(ctx context.Context, id string, values map[string]any, err error) {
			o, derr := queue.DecodeOutbound(values)
			if derr != nil {
				s.log.Error("undecodable outbox entry", "id", id, "err", derr)
				_ = s.o.Store.DeadInbound(ctx, id, values, "undecodable email outbox entry: "+err.Error())
				return
			}
			if err := s.o.Store.DeadLetter(ctx, o, err.Error()); err != nil {
				s.log.Error("dead letter not stored", "id", o.ID, "err", err)
			}
		},
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.forwardLoop(ctx)
	}()
	err := c.Run(ctx)
	<-done
	return err
}

// Handle sends one outbox entry (a queue.Handler).
func (s *Sender) Handle(ctx context.Context, _ string, values map[string]any) error {
	o, err := queue.DecodeOutbound(values)
	if err != nil {
		return queue.Permanent(err)
	}
	if o.Channel != inquiry.Email {
		return queue.Permanent(fmt.Errorf("outbox entry %s on the email stream is for %q", o.ID, o.Channel))
	}
	sent, err := s.o.Store.WasSent(ctx, o.ID)
	if err != nil {
		return err
	}
	if sent {
		return nil // sent before a crash; not again
	}
	if o.ToPerson() {
		erased, err := s.o.Store.Erased(ctx, o.Reference)
		if err != nil {
			return err
		}
		if erased {
			s.log.Info("mail to an erased inquiry's person dropped", "id", o.ID, "ref", o.Reference, "kind", o.Kind)
			_, err := s.o.Store.MarkSent(ctx, o.ID)
			return err
		}
	}
	if err := s.prepare(ctx, &o); err != nil {
		return err
	}
	msg, err := Compose(o, s.from, s.o.Now())
	if err != nil {
		return s.fail(ctx, o, &sendError{stage: "compose", err: err, permanent: true})
	}
	if err := s.deliver(ctx, o.To, msg); err != nil {
		var se *sendError
		if !errors.As(err, &se) {
			se = &sendError{stage: "send", err: err}
		}
		return s.fail(ctx, o, se)
	}
	for i := 0; ; i++ {
		_, err = s.o.Store.MarkSent(ctx, o.ID)
		if err == nil || i == 4 {
			break
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
	if err != nil {
		s.log.Error("mail sent but not marked; it may be sent again", "id", o.ID, "ref", o.Reference, "err", err)
		return err
	}
	s.log.Info("mail sent", "id", o.ID, "ref", o.Reference, "kind", o.Kind, "attempt", o.Attempts+1)
	return nil
}

// prepare gives an entry without a Message-ID a stable one (derived from
// the entry id, so a retry keeps it) and remembers it for threading; the
// Message-ID of a mail to an agency's staff is remembered as such, so a
// reply to it is taken as a staff reply.
func (s *Sender) prepare(ctx context.Context, o *queue.Outbound) error {
	if o.MessageID == "" {
		o.MessageID = "<netdesk." + o.ID + "@" + s.domain + ">"
		if o.Reference != "" && o.Agency == "" {
			if err := s.o.Store.RememberMessageID(ctx, o.MessageID, o.Reference); err != nil {
				return err
			}
		}
	}
	if o.Agency != "" && o.Reference != "" {
		if err := s.o.Store.RememberStaffMail(ctx, o.MessageID, o.Reference, o.Agency, staffMailTTL); err != nil {
			return err
		}
	}
	return nil
}

// staffMailTTL is how long a reply to a staff notification is recognized.
const staffMailTTL = 400 * 24 * time.Hour

// sendError is a failed SMTP conversation: where it failed, and whether
// trying again can help.
type sendError struct {
	stage     string
	code      int
	err       error
	permanent bool
}

func (e *sendError) Error() string {
	if e.code != 0 {
		return fmt.Sprintf("smtp %s: %d", e.stage, e.code)
	}
	return "smtp " + e.stage + ": " + e.err.Error()
}

func (e *sendError) Unwrap() error { return e.err }

// detail is the full reason, server text included, for the dead letters
// (kept in Redis with the message; never logged: it may name the recipient).
func (e *sendError) detail() string { return "smtp " + e.stage + ": " + e.err.Error() }

// fail dead-letters a permanent failure, or schedules another attempt.
func (s *Sender) fail(ctx context.Context, o queue.Outbound, se *sendError) error {
	o.Attempts++
	if se.permanent || o.Attempts >= s.o.MaxAttempts {
		reason := se.detail()
		if !se.permanent {
			reason = fmt.Sprintf("gave up after %d attempts; last: %s", o.Attempts, reason)
		}
		s.log.Warn("mail not deliverable; kept in dead letters", "id", o.ID, "ref", o.Reference, "kind", o.Kind, "err", se.Error(), "attempts", o.Attempts)
		return s.o.Store.DeadLetter(ctx, o, reason)
	}
	wait := s.o.RetryMin << min(o.Attempts-1, 20)
	if wait > s.o.RetryMax || wait <= 0 {
		wait = s.o.RetryMax
	}
	due := s.o.Now().Add(wait)
	s.log.Warn("mail not sent; will retry", "id", o.ID, "ref", o.Reference, "err", se.Error(), "attempt", o.Attempts, "in", wait)
	return s.schedule(ctx, o, due)
}

// schedule keeps an entry in the retry set until due.
func (s *Sender) schedule(ctx context.Context, o queue.Outbound, due time.Time) error {
	return s.o.Store.RetryLater(ctx, o, due)
}

func (s *Sender) forwardLoop(ctx context.Context) {
	t := time.NewTicker(s.o.RetryPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.ForwardDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("retry forwarding failed", "err", err)
			}
		}
	}
}

// ForwardDue moves the retries that are due back onto the outbox stream,
// atomically (WATCH/MULTI), so two processes never both move one.
func (s *Sender) ForwardDue(ctx context.Context) (int, error) {
	return s.o.Store.ForwardRetries(ctx, inquiry.Email, s.o.Now())
}

// deliver runs one SMTP conversation.
func (s *Sender) deliver(ctx context.Context, to string, msg []byte) error {
	o := s.o
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, secure, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := s.login(ctx, c, secure); err != nil {
		return err
	}
	if err := c.Mail(s.from.Address, nil); err != nil {
		return replyError("mail from", err)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return replyError("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return replyError("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return replyError("data", err)
	}
	if err := w.Close(); err != nil {
		return replyError("data", err)
	}
	_ = c.Quit()
	return nil
}

// login authenticates when a user is set and returns the SASL mechanism
// it used ("" with no user). A login failure is the configuration's, not
// the message's: retried, and logged (without the password) each time.
func (s *Sender) login(ctx context.Context, c *smtp.Client, secure bool) (string, error) {
	o := s.o
	if o.User == "" {
		return "", nil
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return "", &sendError{stage: "auth", err: errors.New("the server does not offer AUTH")}
	}
	// In clear only when asked for (none), or in auto mode on loopback.
	host, _, _ := net.SplitHostPort(o.Addr)
	if !secure && o.TLS != "none" && !(o.TLS == "auto" && isLoopback(host)) {
		return "", &sendError{stage: "auth", err: errors.New("refusing to send credentials over an unencrypted connection")}
	}
	auth, mech, err := s.auth(ctx)
	if err != nil {
		return "", &sendError{stage: "auth", err: err}
	}
	if err := c.Auth(auth); err != nil {
		return "", &sendError{stage: "auth", err: err}
	}
	return mech, nil
}

// auth is the SASL login: XOAUTH2 with a fresh token when OAuth2 is set up,
// else PLAIN with the password; and the mechanism's name.
func (s *Sender) auth(ctx context.Context) (sasl.Client, string, error) {
	if s.o.Token != nil {
		token, err := s.o.Token(ctx)
		if err != nil {
			return nil, "", err
		}
		return XOAuth2(s.o.User, token), "XOAUTH2", nil
	}
	return sasl.NewPlainClient("", s.o.User, s.o.Password), sasl.Plain, nil
}

// connect opens the SMTP session in the configured TLS mode and greets the
// server. It reports whether the session is encrypted.
func (s *Sender) connect(ctx context.Context) (*smtp.Client, bool, error) {
	o := s.o
	tlsConfig := serverTLS(o.Addr, o.TLSConfig)
	dial := func() (net.Conn, error) {
		conn, err := o.Dialer(ctx, "tcp", o.Addr)
		if err != nil {
			return nil, &sendError{stage: "connect", err: err}
		}
		deadline, _ := ctx.Deadline()
		_ = conn.SetDeadline(deadline)
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return nil, false, err
	}
	switch o.TLS {
	case "tls":
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, false, &sendError{stage: "tls", err: err}
		}
		c, err := hello(smtp.NewClient(tc), o.Hello)
		return c, true, err
	case "starttls":
		return startTLS(conn, tlsConfig, o.Hello)
	}
	c, err := hello(smtp.NewClient(conn), o.Hello)
	if err != nil {
		return nil, false, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok || o.TLS == "none" {
		return c, false, nil
	}
	// auto, and the server offers STARTTLS: go-smtp upgrades only a fresh
	// session, so this one ends and a new one starts with TLS. On loopback
	// the encryption is opportunistic (RFC 7435): a local relay's
	// self-signed certificate (Debian's Postfix offers STARTTLS with a
	// snakeoil one) is not checked, as the connection never leaves the
	// machine; starttls and tls always check.
	_ = c.Quit()
	c.Close()
	if conn, err = dial(); err != nil {
		return nil, false, err
	}
	if host, _, _ := net.SplitHostPort(o.Addr); isLoopback(host) {
		tlsConfig.InsecureSkipVerify = true
	}
	return startTLS(conn, tlsConfig, o.Hello)
}

func startTLS(conn net.Conn, conf *tls.Config, name string) (*smtp.Client, bool, error) {
	c, err := smtp.NewClientStartTLS(conn, conf)
	if err != nil {
		conn.Close()
		return nil, false, &sendError{stage: "starttls", err: err}
	}
	c, err = hello(c, name)
	return c, true, err
}

// hello introduces the desk by its own name (the From domain), which some
// relays check.
func hello(c *smtp.Client, name string) (*smtp.Client, error) {
	if err := c.Hello(name); err != nil {
		c.Close()
		return nil, &sendError{stage: "ehlo", err: err}
	}
	return c, nil
}

// replyError classifies the server's answer to MAIL, RCPT or DATA: 5xx is
// permanent for this message, anything else is tried again.
func replyError(stage string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &sendError{stage: stage, code: se.Code, err: err, permanent: se.Code >= 500 && se.Code < 600}
	}
	return &sendError{stage: stage, err: err}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// outboxField is the stream field queue.DecodeOutbound reads (a test
// checks the two agree).
const outboxField = "o"

func encodeOutbound(o queue.Outbound) (string, error) {
	b, err := json.Marshal(o)
	return string(b), err
}

// SMTPCheck is what CheckSMTP found.
type SMTPCheck struct {
	TLS  bool   // the session was encrypted
	Auth string // XOAUTH2 or PLAIN; "" when no user is set
}

// CheckSMTP connects, greets and logs in as the sender does, then quits
// without sending: `netdesk mail check` runs it before a first start.
func CheckSMTP(ctx context.Context, o SenderOptions) (SMTPCheck, error) {
	s, err := newSender(o)
	if err != nil {
		return SMTPCheck{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	c, secure, err := s.connect(ctx)
	if err != nil {
		return SMTPCheck{}, err
	}
	defer c.Close()
	mech, err := s.login(ctx, c, secure)
	if err != nil {
		return SMTPCheck{TLS: secure}, err
	}
	_ = c.Quit()
	return SMTPCheck{TLS: secure, Auth: mech}, nil
}
