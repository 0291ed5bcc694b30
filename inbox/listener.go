package inbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/unmigration-iraq/netdesk/internal/backoff"
	"github.com/unmigration-iraq/netdesk/queue"
)

// ListenerOptions configure a Listener. Zero durations take the defaults.
type ListenerOptions struct {
	// Addr is host:port of the IMAP server.
	Addr, User, Password string
	// Token, when set, replaces the password: the login is AUTHENTICATE
	// XOAUTH2 with a token it returns (see OAuth2).
	Token TokenFunc
	// TLS is "tls" (implicit, port 993), "starttls" or "none".
	TLS string
	// TLSConfig is used for tls and starttls (tests pass their own CA);
	// nil verifies the server against the system roots.
	TLSConfig *tls.Config
	// Mailbox is where mail arrives; DoneMailbox where handled mail goes
	// (created if missing).
	Mailbox, DoneMailbox string

	Taker  *Taker
	Store  *queue.Store
	Limits Limits

	// BatchSize is how many messages one UID FETCH / UID MOVE covers.
	BatchSize int
	// BatchBytes bounds the bytes one FETCH brings in.
	BatchBytes int64
	// Parallel is how many messages of a batch are taken in at once.
	Parallel int
	// IdleRestart is how long one IDLE runs before it is re-issued (well
	// within the 29 minutes after which servers may drop it).
	IdleRestart time.Duration
	// Watchdog: a connection silent this long in IDLE is checked with a
	// NOOP; CommandTimeout is how long any command may go without a byte
	// from the server before the connection is given up.
	Watchdog, CommandTimeout time.Duration
	// PollInterval is how often a server without IDLE is asked for mail.
	PollInterval time.Duration
	// NoIdle polls even where the server offers IDLE.
	NoIdle bool
	// BackoffMin and BackoffMax bound the wait before reconnecting.
	BackoffMin, BackoffMax time.Duration
	// Dialer makes TCP connections (tests: a throttled one).
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	Log    *slog.Logger
}

// Listener takes mail in from one IMAP mailbox: every message becomes an
// inquiry message (or a staff reply, or a note) durably in Redis, and only
// then is moved to the done mailbox.
type Listener struct {
	o   ListenerOptions
	log *slog.Logger
	// state names the mailbox whose UIDVALIDITY and last handled UID the store keeps.
	state string

	mu    sync.Mutex
	stats Stats
}

// Stats count what a listener did since it started (for tests and logs).
type Stats struct {
	Connects, Scans, Fetched, Moved int
	// Idles counts IDLE commands issued, Polls waits without IDLE.
	Idles, Polls int
	// Failures counts sessions that ended in an error (then reconnected).
	Failures int
	Outcomes map[Outcome]int
}

// NewListener checks the options and returns a Listener.
func NewListener(o ListenerOptions) (*Listener, error) {
	if o.Taker == nil || o.Store == nil {
		return nil, errors.New("imap: Taker and Store are required")
	}
	return newListener(o)
}

// newListener fills the defaults; CheckMailbox needs no Store or Taker.
func newListener(o ListenerOptions) (*Listener, error) {
	switch o.TLS {
	case "tls", "starttls", "none":
	case "":
		o.TLS = "tls"
	default:
		return nil, fmt.Errorf("imap: TLS mode %q must be tls, starttls or none", o.TLS)
	}
	if o.Addr == "" {
		return nil, errors.New("imap: Addr is required")
	}
	if o.Mailbox == "" {
		o.Mailbox = "INBOX"
	}
	if o.DoneMailbox == "" {
		o.DoneMailbox = "Processed"
	}
	if o.DoneMailbox == o.Mailbox {
		return nil, errors.New("imap: the done mailbox must differ from the mailbox read")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.IdleRestart, 20*time.Minute)
	def(&o.Watchdog, 5*time.Minute)
	def(&o.CommandTimeout, 90*time.Second)
	def(&o.PollInterval, time.Minute)
	def(&o.BackoffMin, time.Second)
	def(&o.BackoffMax, 5*time.Minute)
	o.IdleRestart = min(o.IdleRestart, 25*time.Minute)
	if o.BatchSize <= 0 {
		o.BatchSize = 250
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 64 << 20
	}
	if o.Parallel <= 0 {
		o.Parallel = 16
	}
	o.Limits = o.Limits.withDefaults()
	if o.Dialer == nil {
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: time.Minute}
		o.Dialer = d.DialContext
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{o: o, log: o.Log.With("comp", "imap", "mailbox", o.Mailbox)}
	l.state = o.User + "@" + o.Addr + "/" + o.Mailbox
	l.stats.Outcomes = map[Outcome]int{}
	return l, nil
}

// Stats returns a copy of the counters.
func (l *Listener) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Outcomes = make(map[Outcome]int, len(l.stats.Outcomes))
	for k, v := range l.stats.Outcomes {
		s.Outcomes[k] = v
	}
	return s
}

func (l *Listener) count(f func(s *Stats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}

// Run takes mail in until ctx ends, reconnecting with backoff after any
// failure (server gone, Redis unreachable, a silent connection). A batch
// being handled when ctx ends is finished first.
func (l *Listener) Run(ctx context.Context) error {
	wait := backoff.New(l.o.BackoffMin, l.o.BackoffMax)
	for ctx.Err() == nil {
		started := time.Now()
		err := l.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > 2*l.o.BackoffMax {
			wait.Reset() // it ran well for a while: start over
		}
		l.count(func(st *Stats) { st.Failures++ })
		l.log.Warn("imap session ended, reconnecting", "err", err, "in", wait.Next())
		if !wait.Wait(ctx) {
			return nil
		}
	}
	return nil
}

// session is one connection: log in, take in what waits, then wait for
// more (IDLE or polling) until ctx ends or something fails.
func (l *Listener) session(ctx context.Context) error {
	s, err := l.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	l.count(func(st *Stats) { st.Connects++ })
	if err := s.ensureMailbox(l.o.DoneMailbox); err != nil {
		return err
	}
	if err := s.selectMailbox(ctx); err != nil {
		return err
	}
	for {
		if err := s.scan(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			s.logout()
			return nil
		}
		if err := s.wait(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			s.logout()
			return nil
		}
	}
}

// session state of one connection.
type session struct {
	l       *Listener
	c       *imapclient.Client
	conn    *watchedConn
	newMail chan struct{}
	caps    imap.CapSet
	mech    string // how it logged in: XOAUTH2, PLAIN or LOGIN
	// last is the highest UID handled, validity the mailbox's UIDVALIDITY.
	last     imap.UID
	validity uint32
	// busy counts the commands waiting for the server.
	busy     atomic.Int32
	timedOut atomic.Bool
	stop     chan struct{}
}

// watchedConn records when the server last sent a byte.
type watchedConn struct {
	net.Conn
	last atomic.Int64 // unix nanoseconds
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *watchedConn) touch()                { c.last.Store(time.Now().UnixNano()) }
func (c *watchedConn) silent() time.Duration { return time.Since(time.Unix(0, c.last.Load())) }

func (l *Listener) connect(ctx context.Context) (*session, error) {
	o := l.o
	dctx, cancel := context.WithTimeout(ctx, o.CommandTimeout)
	defer cancel()
	raw, err := o.Dialer(dctx, "tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("imap dial: %w", err)
	}
	tlsConfig := serverTLS(o.Addr, o.TLSConfig)
	s := &session{l: l, newMail: make(chan struct{}, 1), stop: make(chan struct{})}
	var conn net.Conn = raw
	if o.TLS == "tls" {
		tc := tls.Client(raw, tlsConfig)
		_ = tc.SetDeadline(time.Now().Add(o.CommandTimeout))
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("imap tls: %w", err)
		}
		_ = tc.SetDeadline(time.Time{})
		conn = tc
	}
	s.conn = &watchedConn{Conn: conn}
	s.conn.touch()
	opts := &imapclient.Options{
		TLSConfig:   tlsConfig,
		WordDecoder: wordDecoder,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case s.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	go s.monitor()
	if o.TLS == "starttls" {
		c, err := do(s, "STARTTLS", func() (*imapclient.Client, error) { return imapclient.NewStartTLS(s.conn, opts) })
		if err != nil {
			s.close()
			return nil, fmt.Errorf("imap starttls: %w", err)
		}
		s.c = c
	} else {
		s.c = imapclient.New(s.conn, opts)
		if err := s.run("greeting", s.c.WaitGreeting); err != nil {
			s.close()
			return nil, fmt.Errorf("imap greeting: %w", err)
		}
	}
	if err := s.login(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// do runs one command exchange under the silence watchdog.
func do[T any](s *session, what string, fn func() (T, error)) (T, error) {
	s.conn.touch()
	s.busy.Add(1)
	v, err := fn()
	s.busy.Add(-1)
	if err != nil && s.timedOut.Load() {
		err = fmt.Errorf("%s: the server sent nothing for %s: %w", what, s.l.o.CommandTimeout, err)
	} else if err != nil {
		err = fmt.Errorf("%s: %w", what, err)
	}
	return v, err
}

func (s *session) run(what string, fn func() error) error {
	_, err := do(s, what, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// monitor closes the connection when a command waits longer than
// CommandTimeout without a byte from the server.
func (s *session) monitor() {
	tick := time.NewTicker(min(s.l.o.CommandTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if s.busy.Load() > 0 && s.conn.silent() > s.l.o.CommandTimeout {
				s.timedOut.Store(true)
				s.l.log.Warn("imap server silent, dropping the connection", "after", s.l.o.CommandTimeout)
				_ = s.conn.Conn.Close()
				return
			}
		}
	}
}

func (s *session) close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	if s.c != nil {
		_ = s.c.Close()
	}
	_ = s.conn.Conn.Close()
}

// logout says goodbye, but does not let a dead server hold up shutdown.
func (s *session) logout() {
	s.briefly(func() { _ = s.c.Logout().Wait() })
}

// briefly runs fn (a command at shutdown) for at most two seconds, then
// drops the connection, which ends fn.
func (s *session) briefly(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = s.conn.Conn.Close()
		<-done
	}
}

func (s *session) login(ctx context.Context) error {
	o := s.l.o
	caps, err := do(s, "CAPABILITY", func() (imap.CapSet, error) { return s.c.Caps(), nil })
	if err != nil {
		return err
	}
	if o.TLS == "none" {
		if caps.Has(imap.CapStartTLS) {
			s.l.log.Warn("imap server offers STARTTLS but NETDESK_IMAP_TLS=none: the password goes in clear")
		}
	}
	s.mech = "LOGIN"
	switch {
	case o.Token != nil:
		s.mech = "XOAUTH2"
		if !caps.Has(imap.AuthCap("XOAUTH2")) {
			return fmt.Errorf("imap login as %s: the server does not offer AUTH=XOAUTH2 (unset the OAuth2 settings to log in with a password)", o.User)
		}
		token, terr := o.Token(ctx)
		if terr != nil {
			return fmt.Errorf("imap login as %s: %w", o.User, terr)
		}
		err = s.run("AUTHENTICATE XOAUTH2", func() error { return s.c.Authenticate(XOAuth2(o.User, token)) })
	case caps.Has(imap.AuthCap(sasl.Plain)):
		s.mech = "PLAIN"
		err = s.run("AUTHENTICATE PLAIN", func() error { return s.c.Authenticate(sasl.NewPlainClient("", o.User, o.Password)) })
	default:
		err = s.run("LOGIN", func() error { return s.c.Login(o.User, o.Password).Wait() })
	}
	if err != nil {
		// The error text is the server's; it never holds the password.
		return fmt.Errorf("imap login as %s: %w", o.User, err)
	}
	s.caps, err = do(s, "CAPABILITY", func() (imap.CapSet, error) { return s.c.Caps(), nil })
	return err
}

// ensureMailbox creates the done mailbox if it is missing.
func (s *session) ensureMailbox(name string) error {
	list, err := do(s, "LIST", func() ([]*imap.ListData, error) { return s.c.List("", name, nil).Collect() })
	if err != nil {
		return err
	}
	for _, m := range list {
		if m.Mailbox == name || (strings.EqualFold(name, "INBOX") && strings.EqualFold(m.Mailbox, "INBOX")) {
			return nil
		}
	}
	err = s.run("CREATE", func() error { return s.c.Create(name, nil).Wait() })
	if err != nil && !strings.Contains(strings.ToUpper(err.Error()), "ALREADYEXISTS") && !strings.Contains(strings.ToLower(err.Error()), "already exists") {
		return fmt.Errorf("imap: creating the done mailbox %q: %w", name, err)
	}
	s.l.log.Info("created the done mailbox", "done", name)
	return nil
}

// selectMailbox selects the mailbox and loads the handled-UID state: a
// changed UIDVALIDITY means UIDs were renumbered, so the whole mailbox is
// scanned again (what was taken in before is skipped by its key).
func (s *session) selectMailbox(ctx context.Context) error {
	data, err := do(s, "SELECT", func() (*imap.SelectData, error) { return s.c.Select(s.l.o.Mailbox, nil).Wait() })
	if err != nil {
		return err
	}
	validity, last, err := s.l.o.Store.MailboxState(ctx, s.l.state)
	if err != nil {
		return fmt.Errorf("mailbox state: %w", err)
	}
	s.validity = data.UIDValidity
	if validity != data.UIDValidity {
		if validity != 0 {
			s.l.log.Warn("UIDVALIDITY changed: rescanning the whole mailbox", "was", validity, "now", data.UIDValidity)
		}
		last = 0
		if err := s.l.o.Store.SetMailboxState(ctx, s.l.state, data.UIDValidity, 0); err != nil {
			return fmt.Errorf("mailbox state: %w", err)
		}
	}
	s.last = imap.UID(last)
	s.l.log.Debug("mailbox selected", "messages", data.NumMessages, "uidnext", data.UIDNext, "last", s.last)
	return nil
}

// meta is what is known of a waiting message before its body is fetched.
type meta struct {
	uid      imap.UID
	size     int64
	received time.Time
}

// scan takes in every message above the last handled UID, batch by batch,
// until none is left.
func (s *session) scan(ctx context.Context) error {
	s.l.count(func(st *Stats) { st.Scans++ })
	for ctx.Err() == nil {
		metas, err := s.pending(ctx)
		if err != nil {
			return err
		}
		if len(metas) == 0 {
			return nil
		}
		var batches [][]meta
		for len(metas) > 0 {
			n, bytes := 0, int64(0)
			for n < len(metas) && n < s.l.o.BatchSize && (n == 0 || bytes+min(metas[n].size, s.l.o.Limits.MaxBytes) <= s.l.o.BatchBytes) {
				bytes += min(metas[n].size, s.l.o.Limits.MaxBytes)
				n++
			}
			batches = append(batches, metas[:n])
			metas = metas[n:]
		}
		if err := s.batches(ctx, batches); err != nil {
			return err
		}
	}
	return nil
}

// pending lists the messages above the last handled UID, oldest first.
// A message flagged \Deleted is skipped: either a person deleted it, or it
// was copied to the done mailbox on a server that cannot move nor expunge
// by UID (see move).
func (s *session) pending(ctx context.Context) ([]meta, error) {
	var set imap.UIDSet
	set.AddRange(s.last+1, 0)
	msgs, err := do(s, "UID FETCH (list)", func() ([]*imapclient.FetchMessageBuffer, error) {
		return s.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, InternalDate: true}).Collect()
	})
	if err != nil {
		return nil, err
	}
	out := make([]meta, 0, len(msgs))
	var skipped imap.UID
	for _, m := range msgs {
		if m.UID <= s.last {
			continue // "n:*" names the last message even below n
		}
		if slices.Contains(m.Flags, imap.FlagDeleted) {
			skipped = max(skipped, m.UID)
			continue
		}
		out = append(out, meta{uid: m.UID, size: m.RFC822Size, received: m.InternalDate})
	}
	slices.SortFunc(out, func(a, b meta) int { return int(a.uid) - int(b.uid) })
	if len(out) == 0 && skipped > s.last {
		return nil, s.setLast(context.WithoutCancel(ctx), skipped)
	}
	return out, nil
}

// batch is a fetched batch and what became of its messages.
type batch struct {
	metas   []meta
	results []takeResult
	started time.Time
	fetched time.Duration
	taken   time.Duration
}

// batches fetches each batch, takes its messages in, moves the ones taken
// in to the done mailbox, and records the last handled UID. The server's
// work and netdesk's overlap: the next batch is fetched before this one's
// UID MOVE is sent, and taken in while the server moves. After a message
// it could not take in (Redis unreachable) it starts no other; the ones
// not taken in stay in the mailbox for the next try. A batch that was
// fetched is finished even if ctx ends meanwhile.
func (s *session) batches(ctx context.Context, batches [][]meta) error {
	tctx := context.WithoutCancel(ctx)
	cur, err := s.fetchAndTake(tctx, batches[0])
	if err != nil {
		return err
	}
	for i := 1; ; i++ {
		var next *batch
		var nextErr error
		more := i < len(batches) && ctx.Err() == nil && cur.failed() == nil
		var raws map[imap.UID][]byte
		fetchStart := time.Now()
		if more {
			raws, nextErr = s.fetch(batches[i])
		}
		moved := make(chan error, 1)
		go func() { moved <- s.finish(tctx, cur) }()
		if more && nextErr == nil {
			next = s.take(tctx, batches[i], raws, fetchStart)
		}
		if err := <-moved; err != nil {
			return err
		}
		if err := cur.failed(); err != nil {
			return err
		}
		if nextErr != nil {
			return nextErr
		}
		if next == nil {
			return nil
		}
		cur = next
	}
}

func (s *session) fetchAndTake(ctx context.Context, metas []meta) (*batch, error) {
	start := time.Now()
	raws, err := s.fetch(metas)
	if err != nil {
		return nil, err
	}
	return s.take(ctx, metas, raws, start), nil
}

func (s *session) take(ctx context.Context, metas []meta, raws map[imap.UID][]byte, start time.Time) *batch {
	b := &batch{metas: metas, started: start, fetched: time.Since(start)}
	s.l.count(func(st *Stats) { st.Fetched += len(raws) })
	b.results = s.takeAll(ctx, metas, raws)
	b.taken = time.Since(start) - b.fetched
	return b
}

// failed returns the first take-in failure of the batch.
func (b *batch) failed() error {
	for i, r := range b.results {
		if r.err != nil {
			return fmt.Errorf("taking in uid %d: %w", b.metas[i].uid, r.err)
		}
	}
	return nil
}

// finish moves what a batch took in and records the last handled UID: it
// only moves over an unbroken run of handled messages, so anything after
// a failure is looked at again.
func (s *session) finish(ctx context.Context, b *batch) error {
	moveStart := time.Now()
	var done imap.UIDSet
	handled := s.last
	broken := false
	n := 0
	for i, m := range b.metas {
		r := b.results[i]
		switch {
		case r.gone:
		case r.taken:
			s.l.count(func(st *Stats) { st.Outcomes[r.out]++ })
			done.AddNum(m.uid)
			n++
		default:
			broken = true // failed, or not tried after a failure
		}
		if !broken {
			handled = m.uid
		}
	}
	if n > 0 {
		if err := s.move(done); err != nil {
			return err
		}
		s.l.count(func(st *Stats) { st.Moved += n })
	}
	if handled > s.last {
		if err := s.setLast(ctx, handled); err != nil {
			return err
		}
	}
	s.l.log.Debug("batch taken in", "messages", len(b.metas), "fetch", b.fetched, "take", b.taken, "move", time.Since(moveStart))
	return nil
}

// takeResult is what became of one message of a batch.
type takeResult struct {
	taken bool
	gone  bool // expunged by someone else between listing and fetching
	out   Outcome
	err   error
}

// takeAll normalizes and takes in a batch with Parallel workers, so the
// Redis round trips overlap. The messages of one sender go through one
// worker in UID order, so their order on the inbound stream is kept. After
// a failure (Redis unreachable) no further message is started.
func (s *session) takeAll(ctx context.Context, metas []meta, raws map[imap.UID][]byte) []takeResult {
	o := s.l.o
	results := make([]takeResult, len(metas))
	mails := make([]*Mail, len(metas))
	parallel := min(o.Parallel, len(metas))
	var wg sync.WaitGroup
	// Normalizing is CPU work: spread it.
	next := atomic.Int64{}
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(metas); i = int(next.Add(1) - 1) {
				raw, ok := raws[metas[i].uid]
				if !ok {
					results[i].gone = true
					continue
				}
				m := Normalize(raw, o.Limits)
				if metas[i].size > o.Limits.MaxBytes && !m.Flagged {
					m.problem("message of %d bytes is over the %d-byte limit; only the start was read", metas[i].size, o.Limits.MaxBytes)
				}
				mails[i] = m
			}
		}()
	}
	wg.Wait()
	lanes := make([][]int, parallel)
	for i, m := range mails {
		if m != nil {
			l := int(fnv32(m.From) % uint32(parallel))
			lanes[l] = append(lanes[l], i)
		}
	}
	var failed atomic.Bool
	for _, lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range lane {
				if failed.Load() {
					return
				}
				out, err := o.Taker.Take(ctx, mails[i], metas[i].received)
				results[i] = takeResult{taken: err == nil, out: out, err: err}
				if err != nil {
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return results
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func (s *session) setLast(ctx context.Context, uid imap.UID) error {
	s.last = uid
	if err := s.l.o.Store.SetMailboxState(ctx, s.l.state, s.validity, uint32(uid)); err != nil {
		return fmt.Errorf("mailbox state: %w", err)
	}
	return nil
}

// fetch brings in the bodies of a batch with one UID FETCH (BODY.PEEK[]:
// the \Seen flag is left alone); a message over the size limit is fetched
// only up to the limit.
func (s *session) fetch(metas []meta) (map[imap.UID][]byte, error) {
	lim := s.l.o.Limits.MaxBytes
	var whole, partial imap.UIDSet
	for _, m := range metas {
		if m.size > lim {
			partial.AddNum(m.uid)
		} else {
			whole.AddNum(m.uid)
		}
	}
	out := make(map[imap.UID][]byte, len(metas))
	get := func(set imap.UIDSet, section *imap.FetchItemBodySection) error {
		if len(set) == 0 {
			return nil
		}
		return s.run("UID FETCH (bodies)", func() error {
			cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
			defer cmd.Close()
			for {
				msg := cmd.Next()
				if msg == nil {
					break
				}
				var uid imap.UID
				var body []byte
				for {
					item := msg.Next()
					if item == nil {
						break
					}
					switch it := item.(type) {
					case imapclient.FetchItemDataUID:
						uid = it.UID
					case imapclient.FetchItemDataBodySection:
						if it.Literal != nil {
							b, err := io.ReadAll(io.LimitReader(it.Literal, lim+1))
							if err != nil {
								return err
							}
							body = b
						}
					}
				}
				if uid != 0 && body != nil {
					out[uid] = body
				}
			}
			return cmd.Close()
		})
	}
	if err := get(whole, &imap.FetchItemBodySection{Peek: true}); err != nil {
		return nil, err
	}
	if err := get(partial, &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: lim}}); err != nil {
		return nil, err
	}
	return out, nil
}

// move puts handled messages in the done mailbox: UID MOVE where the server
// has it; else UID COPY, \Deleted and UID EXPUNGE of exactly these UIDs
// (UIDPLUS). Never a plain EXPUNGE, which would also remove messages other
// clients marked \Deleted; without UIDPLUS the copied messages stay marked
// \Deleted in the mailbox for its owner to expunge, and are skipped.
func (s *session) move(uids imap.UIDSet) error {
	done := s.l.o.DoneMailbox
	if s.caps.Has(imap.CapMove) {
		return s.run("UID MOVE", func() error { _, err := s.c.Move(uids, done).Wait(); return err })
	}
	if err := s.run("UID COPY", func() error { _, err := s.c.Copy(uids, done).Wait(); return err }); err != nil {
		return err
	}
	err := s.run("UID STORE", func() error {
		return s.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	})
	if err != nil {
		return err
	}
	if s.caps.Has(imap.CapUIDPlus) {
		return s.run("UID EXPUNGE", func() error { return s.c.UIDExpunge(uids).Close() })
	}
	return nil
}

func (s *session) numMessages() uint32 {
	if m := s.c.Mailbox(); m != nil {
		return m.NumMessages
	}
	return 0
}

// wait returns when new mail may have arrived: IDLE where the server has
// it (re-issued every IdleRestart, checked with a NOOP when the connection
// has been silent for Watchdog), else after PollInterval.
func (s *session) wait(ctx context.Context) error {
	o := s.l.o
	if o.NoIdle || !s.caps.Has(imap.CapIdle) {
		s.l.count(func(st *Stats) { st.Polls++ })
		t := time.NewTimer(o.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		return s.run("NOOP", func() error { return s.c.Noop().Wait() })
	}
	// Mail that arrived since the scan's last command may be queued on the
	// server, and not every server reports it when IDLE starts: a NOOP
	// collects it first.
	before := s.numMessages()
	select {
	case <-s.newMail: // seen during the scan, which took it in
	default:
	}
	if err := s.run("NOOP", func() error { return s.c.Noop().Wait() }); err != nil {
		return err
	}
	if s.numMessages() > before {
		return nil
	}
	idle, err := do(s, "IDLE", func() (*imapclient.IdleCommand, error) { return s.c.Idle() })
	if err != nil {
		return err
	}
	s.l.count(func(st *Stats) { st.Idles++ })
	restart := time.NewTimer(o.IdleRestart)
	defer restart.Stop()
	check := time.NewTicker(max(min(o.Watchdog/4, 15*time.Second), 10*time.Millisecond))
	defer check.Stop()
	silent := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-s.newMail:
			break loop
		case <-restart.C:
			break loop
		case <-s.c.Closed():
			break loop
		case <-check.C:
			if s.conn.silent() > o.Watchdog {
				silent = true
				break loop
			}
		}
	}
	stop := func() error {
		if err := idle.Close(); err != nil {
			return err
		}
		return idle.Wait()
	}
	if ctx.Err() != nil {
		s.briefly(func() { _ = stop() })
		return nil
	}
	if err := s.run("IDLE DONE", stop); err != nil {
		return err
	}
	if silent {
		s.l.log.Debug("imap connection silent; checking it", "after", o.Watchdog)
	}
	return s.run("NOOP", func() error { return s.c.Noop().Wait() })
}

// serverTLS is the TLS configuration for a mail server at addr: base (nil:
// the system roots) checked against the address's host name.
func serverTLS(addr string, base *tls.Config) *tls.Config {
	conf := base.Clone()
	if conf == nil {
		conf = &tls.Config{}
	}
	if conf.ServerName == "" {
		conf.ServerName, _, _ = net.SplitHostPort(addr)
	}
	return conf
}

// MailboxCheck is what CheckMailbox found.
type MailboxCheck struct {
	Auth            string // XOAUTH2, PLAIN or LOGIN
	Messages        uint32 // waiting in the mailbox read
	DoneExists      bool   // the done mailbox is there (else serve creates it)
	Idle, Move, UID bool   // IDLE, MOVE and UIDPLUS offered
}

// CheckMailbox connects and logs in as the listener does, examines the
// mailbox read-only and looks for the done mailbox. It takes nothing in and
// changes nothing: `netdesk mail check` runs it before a first start.
func CheckMailbox(ctx context.Context, o ListenerOptions) (MailboxCheck, error) {
	l, err := newListener(o)
	if err != nil {
		return MailboxCheck{}, err
	}
	s, err := l.connect(ctx)
	if err != nil {
		return MailboxCheck{}, err
	}
	defer s.close()
	defer s.logout()
	c := MailboxCheck{Auth: s.mech, Idle: s.caps.Has(imap.CapIdle), Move: s.caps.Has(imap.CapMove), UID: s.caps.Has(imap.CapUIDPlus)}
	data, err := do(s, "EXAMINE", func() (*imap.SelectData, error) {
		return s.c.Select(l.o.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	})
	if err != nil {
		return c, fmt.Errorf("imap examine %s: %w", l.o.Mailbox, err)
	}
	c.Messages = data.NumMessages
	list, err := do(s, "LIST", func() ([]*imap.ListData, error) { return s.c.List("", l.o.DoneMailbox, nil).Collect() })
	if err != nil {
		return c, fmt.Errorf("imap list %s: %w", l.o.DoneMailbox, err)
	}
	c.DoneExists = len(list) > 0
	return c, nil
}
