package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/routertest"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/web"
)

// Tokens of the test staff; config holds only their hashes.
const (
	tokWFP   = "wfp-agent-token"
	tokUNHCR = "unhcr-agent-token"
	tokCoord = "coordinator-token"
	tokAdmin = "admin-token"
)

type env struct {
	url   string
	rdb   *redis.Client
	store *queue.Store
	srv   *redistest.Server
}

func newEnv(t testing.TB, mutate func(*config.Config)) *env {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	cfg := config.Default()
	cfg.Staff = []config.Staff{
		{ID: "omar", Agency: "WFP", Role: config.RoleAgent, TokenSHA256: web.HashToken(tokWFP)},
		{ID: "amina", Agency: "UNHCR", Role: config.RoleAgent, TokenSHA256: web.HashToken(tokUNHCR)},
		{ID: "lead", Agency: "SECRETARIAT", Role: config.RoleCoordinator, TokenSHA256: web.HashToken(tokCoord)},
		{ID: "root", Agency: "SECRETARIAT", Role: config.RoleAdmin, TokenSHA256: web.HashToken(tokAdmin)},
	}
	cfg.Limits.IntakePerMinute = 0
	if mutate != nil {
		mutate(cfg)
	}
	store := queue.NewStore(rdb, queue.Options{Prefix: "w", Policy: desk.Policy(cfg)})
	rt := routertest.New(t, desk.Topics(cfg))
	d := desk.New(desk.Options{Config: cfg, Store: store, Router: rt})
	// Four router workers, as `netdesk serve` runs.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.RouterWorker(fmt.Sprint("w", i), 100*time.Millisecond, 0).Run(ctx)
		}()
	}
	hs := httptest.NewServer(web.New(web.Options{Desk: d}).Handler())
	t.Cleanup(func() { hs.Close(); cancel(); wg.Wait() })
	return &env{url: hs.URL, rdb: rdb, store: store, srv: srv}
}

type resp struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (e *env) do(t testing.TB, method, path, token, body string, hdr ...string) resp {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: string(b), header: res.Header}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func (e *env) submit(t testing.TB, text string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"text": text})
	r := e.do(t, "POST", "/api/v1/inquiries", "", string(b))
	if r.status != http.StatusCreated {
		t.Fatalf("intake: %d %s", r.status, r.raw)
	}
	return r.body["reference"].(string)
}

// snapshot is everything in Redis, to show that refused requests change nothing.
func (e *env) snapshot(t testing.TB) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	keys, _ := e.rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if strings.Contains(k, ":rate:") { // rate-limit counters count every request by design
			continue
		}
		d, _ := e.rdb.Dump(ctx, k).Result()
		out[k] = d
	}
	return out
}

func TestIntakeAndStaffFlow(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, "POST", "/api/v1/inquiries", "", `{"text":"We need food baskets for the family","language":"en","name":"Mona","contact":"mona@example.org"}`)
	if r.status != 201 || r.body["agency"] != "WFP" || r.body["topic"] != "food" || r.body["status"] != "open" || r.body["urgent"] != false {
		t.Fatalf("intake: %d %s", r.status, r.raw)
	}
	ref := r.body["reference"].(string)
	q := e.do(t, "GET", "/api/v1/queue", tokWFP, "")
	if q.status != 200 || !strings.Contains(q.raw, ref) {
		t.Fatalf("queue: %d %s", q.status, q.raw)
	}
	g := e.do(t, "GET", "/api/v1/inquiries/"+ref, tokWFP, "")
	msgs, _ := g.body["messages"].([]any)
	if g.status != 200 || g.body["reference"] != ref || g.body["channel"] != "web" || len(msgs) != 1 {
		t.Fatalf("get: %d %s", g.status, g.raw)
	}
	for _, f := range []string{"reference", "channel", "status", "topic", "agency", "support", "urgent", "language", "subject", "created_at", "updated_at", "assignee", "messages"} {
		if _, ok := g.body[f]; !ok {
			t.Errorf("inquiry lacks field %q", f)
		}
	}
	if c := e.do(t, "POST", "/api/v1/inquiries/"+ref+"/claim", tokWFP, ""); c.status != 200 || c.body["status"] != "claimed" || c.body["assignee"] != "omar" {
		t.Errorf("claim: %d %s", c.status, c.raw)
	}
	if rp := e.do(t, "POST", "/api/v1/inquiries/"+ref+"/reply", tokWFP, `{"text":"A distribution is planned on Sunday"}`); rp.status != 202 || rp.body["status"] != "answered" {
		t.Errorf("reply: %d %s", rp.status, rp.raw)
	}
	if a := e.do(t, "POST", "/api/v1/inquiries/"+ref+"/assign", tokWFP, `{"agency":"UNHCR","reason":"registration question"}`); a.status != 200 || a.body["agency"] != "UNHCR" {
		t.Errorf("assign: %d %s", a.status, a.raw)
	}
	// WFP no longer sees it; UNHCR does.
	if g := e.do(t, "GET", "/api/v1/inquiries/"+ref, tokWFP, ""); g.status != 404 {
		t.Errorf("WFP after reassign: %d", g.status)
	}
	if c := e.do(t, "POST", "/api/v1/inquiries/"+ref+"/close", tokUNHCR, ""); c.status != 200 || c.body["status"] != "closed" {
		t.Errorf("close: %d %s", c.status, c.raw)
	}
	if c := e.do(t, "POST", "/api/v1/inquiries/"+ref+"/close", tokUNHCR, ""); c.status != 409 {
		t.Errorf("close twice: %d %s", c.status, c.raw)
	}
	if s := e.do(t, "GET", "/api/v1/stats", tokCoord, ""); s.status != 200 || s.body["total"] != float64(1) {
		t.Errorf("stats: %d %s", s.status, s.raw)
	}
	if d := e.do(t, "DELETE", "/api/v1/inquiries/"+ref, tokCoord, ""); d.status != 403 {
		t.Errorf("coordinator erase: %d", d.status)
	}
	if d := e.do(t, "DELETE", "/api/v1/inquiries/"+ref, tokAdmin, ""); d.status != 200 {
		t.Errorf("admin erase: %d %s", d.status, d.raw)
	}
	g = e.do(t, "GET", "/api/v1/inquiries/"+ref, tokAdmin, "")
	if strings.Contains(g.raw, "food baskets") || strings.Contains(g.raw, "mona@example.org") {
		t.Errorf("erased inquiry still shows personal data: %s", g.raw)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"text":"Where can I renew my residency permit?"}`
	a := e.do(t, "POST", "/api/v1/inquiries", "", body, "Idempotency-Key", "abc-123")
	b := e.do(t, "POST", "/api/v1/inquiries", "", body, "Idempotency-Key", "abc-123")
	if a.status != 201 || b.status != 201 || a.body["reference"] != b.body["reference"] {
		t.Fatalf("retried POST: %s / %s", a.raw, b.raw)
	}
	if all, _ := e.store.Since(context.Background(), time.Time{}); len(all) != 1 {
		t.Errorf("%d inquiries for one idempotency key", len(all))
	}
	c := e.do(t, "POST", "/api/v1/inquiries", "", body, "Idempotency-Key", "other")
	if c.body["reference"] == a.body["reference"] {
		t.Error("another key got the same inquiry")
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Limits.IntakePerMinute = 3 })
	for i := range 5 {
		r := e.do(t, "POST", "/api/v1/inquiries", "", `{"text":"help with food"}`)
		want := 201
		if i >= 3 {
			want = 429
		}
		if r.status != want {
			t.Errorf("request %d: %d %s", i, r.status, r.raw)
		}
		if want == 429 && (r.body["error"] == nil || r.header.Get("Retry-After") == "") {
			t.Errorf("429 without error body or Retry-After: %s", r.raw)
		}
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do(t, "GET", "/healthz", "", ""); r.status != 200 || r.body["status"] != "ok" {
		t.Errorf("healthz: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/metrics", "", ""); r.status != 200 || !strings.Contains(r.raw, "netdesk_queue_depth") {
		t.Errorf("metrics: %d", r.status)
	}
	e.srv.Stop()
	if r := e.do(t, "GET", "/healthz", "", ""); r.status != 503 {
		t.Errorf("healthz with Redis down: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "POST", "/api/v1/inquiries", "", `{"text":"food please"}`); r.status != 503 || r.body["error"] == nil {
		t.Errorf("intake with Redis down: %d %s", r.status, r.raw)
	}
}

// TestHostileInput sends malformed, oversize, unauthorized and misdirected
// requests to every endpoint: each gets a clear JSON error with the right
// status, and Redis is left exactly as it was.
func TestHostileInput(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.submit(t, "We need food baskets for the family")       // WFP
	other := e.submit(t, "I am a refugee, my registration expired") // UNHCR
	big := `{"text":"` + strings.Repeat("a", 1<<20) + `"}`          // 1 MB
	long := `{"text":"` + strings.Repeat("a", 20001) + `"}`         // over max_text_chars, under 64 KiB
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"intake malformed JSON", "POST", "/api/v1/inquiries", "", `{"text": "hi"`, 400, "invalid"},
		{"intake not an object", "POST", "/api/v1/inquiries", "", `["hi"]`, 400, "invalid"},
		{"intake wrong type", "POST", "/api/v1/inquiries", "", `{"text": 42}`, 400, "invalid"},
		{"intake null text", "POST", "/api/v1/inquiries", "", `{"text": null}`, 400, "invalid"},
		{"intake missing text", "POST", "/api/v1/inquiries", "", `{"name":"x"}`, 400, "invalid"},
		{"intake empty text", "POST", "/api/v1/inquiries", "", `{"text": "   "}`, 400, "invalid"},
		{"intake empty body", "POST", "/api/v1/inquiries", "", ``, 400, "invalid"},
		{"intake two objects", "POST", "/api/v1/inquiries", "", `{"text":"a"}{"text":"b"}`, 400, "invalid"},
		{"intake bad language", "POST", "/api/v1/inquiries", "", `{"text":"hi","language":"xx"}`, 400, "invalid"},
		{"intake invalid utf8", "POST", "/api/v1/inquiries", "", "{\"text\":\"a\xff\"}", 400, "invalid"},
		{"intake 1 MB", "POST", "/api/v1/inquiries", "", big, 413, "too_large"},
		{"intake over max chars", "POST", "/api/v1/inquiries", "", long, 413, "too_large"},
		{"queue no token", "GET", "/api/v1/queue", "", "", 401, "unauthorized"},
		{"queue forged token", "GET", "/api/v1/queue", "forged", "", 401, "unauthorized"},
		{"queue bad status", "GET", "/api/v1/queue?status=lost", tokWFP, "", 400, "invalid"},
		{"queue bad limit", "GET", "/api/v1/queue?limit=-3", tokWFP, "", 400, "invalid"},
		{"queue other agency", "GET", "/api/v1/queue?agency=UNHCR", tokWFP, "", 404, "not_found"},
		{"get no token", "GET", "/api/v1/inquiries/" + ref, "", "", 401, "unauthorized"},
		{"get unknown ref", "GET", "/api/v1/inquiries/NM-ZZZZZZ", tokWFP, "", 404, "not_found"},
		{"get junk ref", "GET", "/api/v1/inquiries/..%2f..%2fetc", tokWFP, "", 404, "not_found"},
		{"get other agency", "GET", "/api/v1/inquiries/" + other, tokWFP, "", 404, "not_found"},
		{"claim forged token", "POST", "/api/v1/inquiries/" + ref + "/claim", "forged", "", 401, "unauthorized"},
		{"claim other agency", "POST", "/api/v1/inquiries/" + other + "/claim", tokWFP, "", 404, "not_found"},
		{"claim unknown", "POST", "/api/v1/inquiries/NM-ZZZZZZ/claim", tokWFP, "", 404, "not_found"},
		{"close other agency", "POST", "/api/v1/inquiries/" + other + "/close", tokWFP, "", 404, "not_found"},
		{"reply malformed", "POST", "/api/v1/inquiries/" + ref + "/reply", tokWFP, `{"text":`, 400, "invalid"},
		{"reply wrong type", "POST", "/api/v1/inquiries/" + ref + "/reply", tokWFP, `{"text":["a"]}`, 400, "invalid"},
		{"reply empty", "POST", "/api/v1/inquiries/" + ref + "/reply", tokWFP, `{"text":""}`, 400, "invalid"},
		{"reply missing", "POST", "/api/v1/inquiries/" + ref + "/reply", tokWFP, `{}`, 400, "invalid"},
		{"reply 1 MB", "POST", "/api/v1/inquiries/" + ref + "/reply", tokWFP, big, 413, "too_large"},
		{"reply other agency", "POST", "/api/v1/inquiries/" + other + "/reply", tokWFP, `{"text":"hello"}`, 404, "not_found"},
		{"reply unknown", "POST", "/api/v1/inquiries/NM-ZZZZZZ/reply", tokWFP, `{"text":"hello"}`, 404, "not_found"},
		{"assign unknown agency", "POST", "/api/v1/inquiries/" + ref + "/assign", tokWFP, `{"agency":"NASA"}`, 400, "invalid"},
		{"assign missing agency", "POST", "/api/v1/inquiries/" + ref + "/assign", tokWFP, `{}`, 400, "invalid"},
		{"assign wrong type", "POST", "/api/v1/inquiries/" + ref + "/assign", tokWFP, `{"agency":7}`, 400, "invalid"},
		{"assign same agency", "POST", "/api/v1/inquiries/" + ref + "/assign", tokWFP, `{"agency":"WFP"}`, 409, "conflict"},
		{"assign other agency's", "POST", "/api/v1/inquiries/" + other + "/assign", tokWFP, `{"agency":"WFP"}`, 404, "not_found"},
		{"erase as agent", "DELETE", "/api/v1/inquiries/" + ref, tokWFP, "", 403, "forbidden"},
		{"erase other agency", "DELETE", "/api/v1/inquiries/" + other, tokWFP, "", 404, "not_found"},
		{"erase unknown", "DELETE", "/api/v1/inquiries/NM-ZZZZZZ", tokAdmin, "", 404, "not_found"},
		{"stats no token", "GET", "/api/v1/stats", "", "", 401, "unauthorized"},
		{"unknown endpoint", "GET", "/api/v1/nothing", tokWFP, "", 404, "not_found"},
		{"webhook not enabled", "POST", "/telegram/webhook", "", `{"update_id":1}`, 404, "not_found"},
	}
	// The workers delete a stream entry just after storing its inquiry:
	// let them finish before taking the snapshot.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := e.rdb.XLen(context.Background(), e.store.Keys().Inbound()).Result(); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("inbound stream never drained")
		}
	}
	before := e.snapshot(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %.200s", r.status, tc.status, r.raw)
			}
			errObj, _ := r.body["error"].(map[string]any)
			if errObj == nil || errObj["code"] != tc.code || errObj["message"] == "" {
				t.Errorf("error body %.200s, want code %q and a message", r.raw, tc.code)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	after := e.snapshot(t)
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

// A web inquiry made in Kurmanji (Badini, Latin script) keeps its language:
// the intake accepts "kmr", and the staff API gives it back on the inquiry
// and in the queue.
func TestKurmanjiInquiry(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(t, "POST", "/api/v1/inquiries", "", `{"text":"Ez penaber im li kampa Domîzê û dixwazim daxwaza penaberiyê bikim","language":"kmr","name":"Şêrîn","contact":"sherin@example.org"}`)
	if r.status != 201 || r.body["status"] != "open" {
		t.Fatalf("intake: %d %s", r.status, r.raw)
	}
	ref := r.body["reference"].(string)
	g := e.do(t, "GET", "/api/v1/inquiries/"+ref, tokCoord, "")
	if g.status != 200 || g.body["language"] != "kmr" || g.body["name"] != "Şêrîn" {
		t.Fatalf("get: %d %s", g.status, g.raw)
	}
	msgs, _ := g.body["messages"].([]any)
	if len(msgs) != 1 || !strings.Contains(msgs[0].(map[string]any)["text"].(string), "daxwaza penaberiyê") {
		t.Errorf("messages: %s", g.raw)
	}
	q := e.do(t, "GET", "/api/v1/queue", tokCoord, "")
	list, _ := q.body["inquiries"].([]any)
	found := false
	for _, it := range list {
		if m := it.(map[string]any); m["reference"] == ref {
			found = true
			if m["language"] != "kmr" {
				t.Errorf("queue entry language %v, want kmr", m["language"])
			}
		}
	}
	if q.status != 200 || !found {
		t.Errorf("queue: %d %s", q.status, q.raw)
	}
	// A language the network does not speak is refused, and the answer
	// names the four it does.
	bad := e.do(t, "POST", "/api/v1/inquiries", "", `{"text":"Silav","language":"ku"}`)
	if bad.status != 400 || !strings.Contains(bad.raw, "en, ar, ckb, kmr") {
		t.Errorf("unknown language: %d %s", bad.status, bad.raw)
	}
}

// An Idempotency-Key is the caller's and is bound to its body (issue 10,
// finding 2): a report sent under a key someone else used first is a new
// inquiry, not the other person's answer; the same key with another text
// is refused with 422 and stores nothing; nothing answered 201 is lost.
func TestIdempotencyKeyScopedAndBound(t *testing.T) {
	e := newEnv(t, nil)
	first := `{"text":"Where can I renew my residency permit?"}`
	a := e.do(t, "POST", "/api/v1/inquiries", "", first, "Idempotency-Key", "shared-key")
	if a.status != 201 {
		t.Fatalf("first: %d %s", a.status, a.raw)
	}
	// The same key, another report, from the same client: 422, nothing stored.
	b := e.do(t, "POST", "/api/v1/inquiries", "", `{"text":"My sister is held by her employer in Erbil"}`, "Idempotency-Key", "shared-key")
	if b.status != 422 || !strings.Contains(b.raw, `"idempotency_mismatch"`) || strings.Contains(b.raw, a.body["reference"].(string)) {
		t.Fatalf("same key, other body: %d %s", b.status, b.raw)
	}
	// The same key from another client address: its own inquiry.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")},
	}).DialContext}}
	req, _ := http.NewRequest("POST", e.url+"/api/v1/inquiries", strings.NewReader(`{"text":"My sister is held by her employer in Erbil"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "shared-key")
	res, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c map[string]any
	_ = json.NewDecoder(res.Body).Decode(&c)
	if res.StatusCode != 201 || c["reference"] == nil || c["reference"] == a.body["reference"] {
		t.Fatalf("another client's report under the same key: %d %v (first was %v)", res.StatusCode, c, a.body["reference"])
	}
	// The first client's retry still gets its own answer.
	if r := e.do(t, "POST", "/api/v1/inquiries", "", first, "Idempotency-Key", "shared-key"); r.status != 201 || r.body["reference"] != a.body["reference"] ||
		r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s", r.status, r.raw)
	}
	if all, _ := e.store.Since(context.Background(), time.Time{}); len(all) != 2 {
		t.Errorf("%d inquiries stored, want 2 (the first report and the other client's)", len(all))
	}
}

// /metrics tells nobody how many trafficking or gender-based violence
// reports came in (issue 10, finding 7): sensitive topics are summed as
// topic="sensitive"; with NETDESK_METRICS_TOKEN set, a scrape needs it.
func TestMetricsHideSensitiveTopics(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Env.MetricsToken = "scrape-secret" })
	e.submit(t, "The employer confiscated my passport and forces me to work for nothing")
	e.submit(t, "We did not receive the food basket this month")
	if r := e.do(t, "GET", "/metrics", "", ""); r.status != 401 || strings.Contains(r.raw, "netdesk_") {
		t.Fatalf("metrics without the token: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/metrics", "wrong", ""); r.status != 401 {
		t.Fatalf("metrics with a wrong token: %d", r.status)
	}
	r := e.do(t, "GET", "/metrics", "scrape-secret", "")
	if r.status != 200 {
		t.Fatalf("metrics with the token: %d", r.status)
	}
	for _, leak := range []string{`value="trafficking"`, `value="gbv_health"`} {
		if strings.Contains(r.raw, leak) {
			t.Errorf("metrics show %s", leak)
		}
	}
	if !strings.Contains(r.raw, `netdesk_inquiries_total{dimension="topic",value="sensitive"} 1`) ||
		!strings.Contains(r.raw, `netdesk_inquiries_total{dimension="topic",value="food"} 1`) {
		t.Errorf("topic counts: %s", grepLines(r.raw, "netdesk_inquiries_total"))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Every read of a sensitive inquiry is audited (issue 10, finding 10): a
// claim or close answers with the full inquiry, and reading its audit trail
// is a read too.
func TestSensitiveReadsAreAudited(t *testing.T) {
	e := newEnv(t, nil)
	ref := e.submit(t, "The employer confiscated my passport and forces me to work for nothing")
	if r := e.do(t, "POST", "/api/v1/inquiries/"+ref+"/claim", tokCoord, ""); r.status != 200 || !strings.Contains(r.raw, "confiscated") {
		t.Fatalf("claim: %d %s", r.status, r.raw)
	}
	if r := e.do(t, "GET", "/api/v1/inquiries/"+ref+"/audit", tokAdmin, ""); r.status != 200 {
		t.Fatalf("audit: %d %s", r.status, r.raw)
	}
	trail, err := e.store.AuditTrail(context.Background(), inquiry.Reference(ref))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range trail {
		got = append(got, a.Actor+":"+string(a.Action))
	}
	all := strings.Join(got, " ")
	if !strings.Contains(all, "lead:viewed") || !strings.Contains(all, "root:viewed_audit") {
		t.Errorf("audit trail %v: the claim's answer and the audit read are not recorded", got)
	}
}
