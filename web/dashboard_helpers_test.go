package web_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/routertest"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/web"
)

// Passwords of the dashboard test staff; config holds only their hashes.
const (
	pwAmina = "amina-correct-horse"
	pwOmar  = "omar-battery-staple"
	pwLead  = "lead-coordinates-all"
	pwRoot  = "root-erases-data"
)

// fakeClock is the clock of the store, the desk and the sessions.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// argonHash makes an argon2id hash with small parameters, so tests run fast.
func argonHash(t testing.TB, pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 1, 1024, 1, 32)
	b := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=1024,t=1,p=1$%s$%s", b.EncodeToString(salt), b.EncodeToString(key))
}

func bcryptHash(t testing.TB, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

type dashEnv struct {
	url   string
	clock *fakeClock
	cfg   *config.Config
	store *queue.Store
	desk  *desk.Desk
	rdb   *redis.Client
}

// newDashEnv runs a real redis-server, a desk with four router workers and
// the whole HTTP server (API and dashboard) on one fake clock.
func newDashEnv(t testing.TB, opts func(*web.DashboardOptions), mutate ...func(*config.Config)) *dashEnv {
	t.Helper()
	return newDashEnvWith(t, envSetup{dash: opts, cfg: mutate})
}

// envSetup adjusts a test environment.
type envSetup struct {
	dash  func(*web.DashboardOptions)
	cfg   []func(*config.Config)
	rand  io.Reader // the desk's randomness (references); crypto/rand when nil
	start time.Time // the clock's first reading; now when zero
}

func newDashEnvWith(t testing.TB, o envSetup) *dashEnv {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	clock := &fakeClock{t: time.Now().Truncate(time.Second)}
	if !o.start.IsZero() {
		clock.t = o.start
	}
	mutate, opts := o.cfg, o.dash
	cfg := config.Default()
	cfg.Staff = []config.Staff{
		{ID: "amina", Name: "Amina Saleh", Agency: "UNHCR", Role: config.RoleAgent, Email: "amina@unhcr.example", PasswordHash: argonHash(t, pwAmina)},
		{ID: "omar", Name: "Omar Khalid", Agency: "WFP", Role: config.RoleAgent, PasswordHash: bcryptHash(t, pwOmar)},
		{ID: "lead", Name: "Layla Hassan", Agency: "SECRETARIAT", Role: config.RoleCoordinator, PasswordHash: argonHash(t, pwLead)},
		{ID: "root", Name: "Rami Aziz", Agency: "SECRETARIAT", Role: config.RoleAdmin, PasswordHash: argonHash(t, pwRoot)},
		{ID: "nopass", Agency: "UNHCR", Role: config.RoleAgent},
	}
	cfg.Limits.IntakePerMinute = 0
	for _, m := range mutate {
		m(cfg)
	}
	store := queue.NewStore(rdb, queue.Options{Prefix: "d", Policy: desk.Policy(cfg), Now: clock.Now})
	rt := routertest.New(t, desk.Topics(cfg))
	d := desk.New(desk.Options{Config: cfg, Store: store, Router: rt, Now: clock.Now, Rand: o.rand,
		Channels: desk.Channels{Telegram: true, Email: true, MailDomain: "desk.example"}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.RouterWorker(fmt.Sprint("w", i), 100*time.Millisecond, 0).Run(ctx)
		}()
	}
	do := web.DashboardOptions{Desk: d, Now: clock.Now}
	if opts != nil {
		opts(&do)
	}
	hs := httptest.NewServer(web.New(web.Options{Desk: d, Dashboard: web.NewDashboard(do)}).Handler())
	t.Cleanup(func() { hs.Close(); cancel(); wg.Wait() })
	return &dashEnv{url: hs.URL, clock: clock, cfg: cfg, store: store, desk: d, rdb: rdb}
}

// submit files a web inquiry and returns its reference once routed.
func (e *dashEnv) submit(t testing.TB, s desk.Submission) inquiry.Reference {
	t.Helper()
	rc, _, err := e.desk.Submit(context.Background(), s, desk.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	e.waitInquiry(t, rc.Reference)
	return rc.Reference
}

// inbound queues a Telegram or email message as the listeners would and
// waits until the router workers stored it; it returns the inquiry.
func (e *dashEnv) inbound(t testing.TB, m *queue.Inbound) *inquiry.Inquiry {
	t.Helper()
	ctx := context.Background()
	if m.At.IsZero() {
		m.At = e.clock.Now()
	}
	if _, err := e.store.Enqueue(ctx, string(m.Channel), m.ID, m); err != nil {
		t.Fatal(err)
	}
	var ref inquiry.Reference
	waitFor(t, "message "+m.ID+" routed", func() bool {
		r, ok, _ := e.store.Processed(ctx, m.ID)
		ref = r
		return ok
	})
	q, err := e.store.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (e *dashEnv) waitInquiry(t testing.TB, ref inquiry.Reference) {
	t.Helper()
	waitFor(t, "inquiry "+string(ref), func() bool {
		_, err := e.store.Load(context.Background(), ref)
		return err == nil
	})
}

func (e *dashEnv) load(t testing.TB, ref inquiry.Reference) *inquiry.Inquiry {
	t.Helper()
	q, err := e.store.Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// outbox returns what was queued for delivery on ch.
func (e *dashEnv) outbox(t testing.TB, ch inquiry.Channel) []queue.Outbound {
	t.Helper()
	out, err := e.store.Outboxed(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshot is everything in Redis but rate-limit counters, to show that a
// refused request changed nothing. It first waits until the router workers
// removed every handled entry from the inbound stream (they acknowledge
// and delete an entry just after storing its message).
func (e *dashEnv) snapshot(t testing.TB) map[string]string {
	t.Helper()
	ctx := context.Background()
	waitFor(t, "inbound stream drained", func() bool {
		n, err := e.rdb.XLen(ctx, e.store.Keys().Inbound()).Result()
		return err == nil && n == 0
	})
	out := map[string]string{}
	keys, _ := e.rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if strings.Contains(k, ":rate:") {
			continue
		}
		d, _ := e.rdb.Dump(ctx, k).Result()
		out[k] = d
	}
	return out
}

func sameSnapshot(t testing.TB, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("key %s changed", k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("key %s appeared", k)
		}
	}
}

// waitFor polls cond until it holds (the router workers run concurrently).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// client is a browser without JavaScript: a cookie jar, no redirect following.
type client struct {
	t  testing.TB
	e  *dashEnv
	hc *http.Client
}

func (e *dashEnv) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status   int
	body     string
	header   http.Header
	location string
}

func (c *client) do(method, path, body string, hdr ...string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.e.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: string(b), header: res.Header, location: res.Header.Get("Location")}
}

func (c *client) get(path string, hdr ...string) answer {
	return c.do(http.MethodGet, path, "", hdr...)
}

func (c *client) post(path string, form url.Values, hdr ...string) answer {
	return c.do(http.MethodPost, path, form.Encode(), hdr...)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf returns the form token on the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	a := c.get(path)
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		c.t.Fatalf("no csrf field on %s (%d)", path, a.status)
	}
	return m[1]
}

// login signs in and fails the test if it does not work.
func (c *client) login(user, password string) {
	c.t.Helper()
	tok := c.csrf("/login")
	a := c.post("/login", url.Values{"csrf": {tok}, "user": {user}, "password": {password}})
	if a.status != http.StatusSeeOther || a.location != "/queue" {
		c.t.Fatalf("login %s: %d %s", user, a.status, a.location)
	}
}

// token is the signed-in session's form token.
func (c *client) token() string { return c.csrf("/queue") }

func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.e.url)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == name {
			return k
		}
	}
	return nil
}

func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.e.url)
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
