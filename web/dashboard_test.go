package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/web"
)

const (
	textUNHCR = "My refugee registration expired, how do I renew my UNHCR card?"
	textWFP   = "We need food baskets for the family"
)

func TestDashboardLoginSessionAndHeaders(t *testing.T) {
	e := newDashEnv(t, nil)
	c := e.client(t)

	// Every page but the sign-in page needs a session.
	a := c.get("/queue?status=open")
	if a.status != http.StatusSeeOther || a.location != "/login?next="+url.QueryEscape("/queue?status=open") {
		t.Fatalf("queue without session: %d %q", a.status, a.location)
	}
	if a := c.get("/"); a.status != http.StatusSeeOther || a.location != "/queue" {
		t.Errorf("/: %d %q", a.status, a.location)
	}

	login := c.get("/login")
	if login.status != 200 || !strings.Contains(login.body, `<html lang="en" dir="ltr">`) {
		t.Fatalf("login page: %d", login.status)
	}
	csp := login.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "img-src 'self' data:", "script-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if login.header.Get("X-Frame-Options") != "DENY" || login.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", login.header)
	}
	if strings.Contains(login.body, "<script") {
		t.Error("the dashboard serves JavaScript")
	}
	tok := csrfField.FindStringSubmatch(login.body)[1]

	// Wrong password and unknown user read the same.
	wrong := c.post("/login", url.Values{"csrf": {tok}, "user": {"amina"}, "password": {"nope"}})
	unknown := c.post("/login", url.Values{"csrf": {tok}, "user": {"nobody"}, "password": {"nope"}})
	nopass := c.post("/login", url.Values{"csrf": {tok}, "user": {"nopass"}, "password": {""}})
	for _, a := range []answer{wrong, unknown, nopass} {
		if a.status != http.StatusUnauthorized || !strings.Contains(a.body, "not correct") || a.header.Get("Set-Cookie") != "" && strings.Contains(a.header.Get("Set-Cookie"), "netdesk_session") {
			t.Errorf("failed login: %d", a.status)
		}
	}
	if c.cookie("netdesk_session") != nil {
		t.Fatal("a session cookie after failed logins")
	}

	// A session id planted before sign-in is not kept: the id rotates.
	planted := strings.Repeat("A", 43)
	c.setCookie("netdesk_session", planted)
	a = c.post("/login", url.Values{"csrf": {tok}, "user": {"amina@UNHCR.example"}, "password": {pwAmina}, "next": {"/queue?status=open"}})
	if a.status != http.StatusSeeOther || a.location != "/queue?status=open" {
		t.Fatalf("login by email: %d %q", a.status, a.location)
	}
	set := a.header.Values("Set-Cookie")
	i := slices.IndexFunc(set, func(s string) bool { return strings.HasPrefix(s, "netdesk_session=") })
	if i < 0 {
		t.Fatalf("no session cookie: %v", set)
	}
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set[i], attr) {
			t.Errorf("session cookie %q lacks %s", set[i], attr)
		}
	}
	if strings.Contains(set[i], "Secure") {
		t.Errorf("Secure cookie over plain HTTP would never come back: %q", set[i])
	}
	sess := c.cookie("netdesk_session")
	if sess == nil || sess.Value == planted || len(sess.Value) != 43 {
		t.Fatalf("session id not rotated: %v", sess)
	}
	keys, _ := e.rdb.Keys(context.Background(), "*session*").Result()
	if len(keys) != 1 || strings.Contains(keys[0], sess.Value) {
		t.Errorf("session keys %v: want one, not naming the id", keys)
	}

	q := c.get("/queue")
	if q.status != 200 || !strings.Contains(q.body, "Amina Saleh") || !strings.Contains(q.body, `http-equiv="refresh"`) {
		t.Fatalf("queue: %d", q.status)
	}
	// Already signed in: /login goes to the queue.
	if a := c.get("/login"); a.status != http.StatusSeeOther {
		t.Errorf("login while signed in: %d", a.status)
	}

	// Logout ends the session in Redis, not only in the browser.
	old := sess.Value
	a = c.post("/logout", url.Values{"csrf": {c.token()}})
	if a.status != http.StatusSeeOther || a.location != "/login?out=1" {
		t.Fatalf("logout: %d %q", a.status, a.location)
	}
	if n, _ := e.rdb.Exists(context.Background(), e.store.Keys().Session(old)).Result(); n != 0 {
		t.Error("session still in Redis after logout")
	}
	c2 := e.client(t)
	c2.setCookie("netdesk_session", old)
	if a := c2.get("/queue"); a.status != http.StatusSeeOther || !strings.Contains(a.location, "expired=1") {
		t.Errorf("old session after logout: %d %q", a.status, a.location)
	}

	// A link followed from another site comes without the SameSite=Strict
	// cookie: the page reloads itself from this origin, which sends it.
	b := c2.get("/inquiries/NM-4K7Q2X", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate")
	if b.status != 200 || !strings.Contains(b.body, `<meta http-equiv="refresh" content="0">`) || !strings.Contains(b.body, `href="/inquiries/NM-4K7Q2X"`) {
		t.Errorf("cross-site navigation: %d %s", b.status, b.body)
	}
	if b := c2.get("/inquiries/NM-4K7Q2X", "Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "navigate"); b.status != http.StatusSeeOther {
		t.Errorf("same-origin navigation without session: %d", b.status)
	}

	// Static files are served with a type and cache headers.
	css := c.get("/static/dashboard.css")
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("css: %d %q", css.status, css.header.Get("Content-Type"))
	}
}

func TestDashboardScopingAndRoles(t *testing.T) {
	e := newDashEnv(t, nil)
	refU := e.submit(t, desk.Submission{Text: textUNHCR})
	refW := e.submit(t, desk.Submission{Text: textWFP})
	refT := e.submit(t, desk.Submission{Text: "My sister was trafficked and is held by a trafficker"})
	if q := e.load(t, refT); !q.Sensitive || q.Agency != "UNODC" {
		t.Fatalf("test premise: %s is %s sensitive=%v", refT, q.Agency, q.Sensitive)
	}

	amina := e.client(t)
	amina.login("amina", pwAmina)
	q := amina.get("/queue")
	if !strings.Contains(q.body, string(refU)) || strings.Contains(q.body, string(refW)) || strings.Contains(q.body, string(refT)) {
		t.Errorf("agent queue shows the wrong inquiries")
	}
	if strings.Contains(q.body, `name="agency"`) {
		t.Error("agent gets an agency filter")
	}
	for _, path := range []string{"/inquiries/" + string(refW), "/inquiries/" + string(refT), "/inquiries/NM-ZZZZZZ", "/inquiries/..%2f..%2fetc", "/queue?agency=WFP", "/nothing"} {
		a := amina.get(path)
		if a.status != 404 || strings.Contains(a.body, textWFP) || !strings.Contains(a.body, "not shared with your agency") {
			t.Errorf("%s: %d", path, a.status)
		}
	}
	if a := amina.get("/inquiries/" + string(refU)); a.status != 200 || !strings.Contains(a.body, textUNHCR) {
		t.Errorf("own inquiry: %d", a.status)
	}
	if a := amina.get("/inquiries/" + string(refU) + "/erase"); a.status != 403 {
		t.Errorf("agent erase page: %d", a.status)
	}
	if a := amina.get("/stats"); a.status != 200 || !strings.Contains(a.body, "UNHCR") || strings.Contains(a.body, ">WFP<") {
		t.Errorf("agent stats: %d", a.status)
	}

	// The coordinator sees every agency, filters by one, and the statistics.
	lead := e.client(t)
	lead.login("lead", pwLead)
	q = lead.get("/queue")
	for _, ref := range []inquiry.Reference{refU, refW, refT} {
		if !strings.Contains(q.body, string(ref)) {
			t.Errorf("coordinator queue lacks %s", ref)
		}
	}
	q = lead.get("/queue?agency=WFP")
	if !strings.Contains(q.body, string(refW)) || strings.Contains(q.body, string(refU)) {
		t.Error("agency filter")
	}
	q = lead.get("/queue?channel=web&topic=food")
	if !strings.Contains(q.body, string(refW)) || strings.Contains(q.body, string(refU)) {
		t.Error("topic filter")
	}
	st := lead.get("/stats")
	if st.status != 200 || !strings.Contains(st.body, "<svg") || !strings.Contains(st.body, ">WFP<") || !strings.Contains(st.body, ">UNODC<") {
		t.Errorf("stats: %d", st.status)
	}
	// A coordinator's view of a sensitive inquiry is audited by desk.Get.
	if a := lead.get("/inquiries/" + string(refT)); a.status != 200 || !strings.Contains(a.body, "every view is recorded") {
		t.Errorf("sensitive: %d", a.status)
	}
	trail, _ := e.store.AuditTrail(context.Background(), refT)
	if !slices.ContainsFunc(trail, func(a queue.AuditEntry) bool { return a.Action == "viewed" && a.Actor == "lead" }) {
		t.Errorf("sensitive view not audited: %+v", trail)
	}
	// Only an admin erases.
	if a := lead.post("/inquiries/"+string(refW)+"/erase", url.Values{"csrf": {lead.token()}, "confirm": {"yes"}}); a.status != 403 {
		t.Errorf("coordinator erase: %d", a.status)
	}

	root := e.client(t)
	root.login("root", pwRoot)
	page := root.get("/inquiries/" + string(refW))
	if !strings.Contains(page.body, `href="/inquiries/`+string(refW)+`/erase"`) {
		t.Error("admin sees no erase link")
	}
	confirm := root.get("/inquiries/" + string(refW) + "/erase")
	if confirm.status != 200 || !strings.Contains(confirm.body, "cannot be undone") {
		t.Fatalf("erase confirm page: %d", confirm.status)
	}
	tok := csrfField.FindStringSubmatch(confirm.body)[1]
	if a := root.post("/inquiries/"+string(refW)+"/erase", url.Values{"csrf": {tok}}); a.status != 400 || e.load(t, refW).Erased {
		t.Errorf("erase without the confirm box: %d", a.status)
	}
	a := root.post("/inquiries/"+string(refW)+"/erase", url.Values{"csrf": {tok}, "confirm": {"yes"}})
	if a.status != http.StatusSeeOther || a.location != "/inquiries/"+string(refW)+"?done=erased" {
		t.Fatalf("erase: %d %q", a.status, a.location)
	}
	if q := e.load(t, refW); !q.Erased || strings.Contains(q.Messages[0].Text, "food") {
		t.Error("not erased")
	}
	page = root.get(a.location)
	if strings.Contains(page.body, textWFP) || !strings.Contains(page.body, "was erased") {
		t.Error("erased page still shows the text or lacks the notice")
	}
}

func TestDashboardActions(t *testing.T) {
	e := newDashEnv(t, nil)
	tg := e.inbound(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "5550123", Name: "Hawre",
		Text: "I am a refugee in the camp and my registration expired"})
	ref := tg.Reference
	e.inbound(t, &queue.Inbound{ID: "tg:2", Channel: inquiry.Telegram, Address: "5550123", Name: "Hawre",
		Text: "Also my children need new documents", Attachments: []inquiry.Attachment{{Name: "card.jpg", Type: "image/jpeg", Size: 48213, FileID: "f1"}}})
	if q := e.load(t, ref); len(q.Messages) != 2 || q.Agency != "UNHCR" {
		t.Fatalf("test premise: %d messages, agency %s", len(q.Messages), q.Agency)
	}
	c := e.client(t)
	c.login("amina", pwAmina)
	path := "/inquiries/" + string(ref)
	page := c.get(path)
	for _, want := range []string{"I am a refugee in the camp", "Also my children", "card.jpg", "image/jpeg", "47 KB", "Hawre",
		"kw:en:refugee", "Telegram", `id="claim"`, `id="reply-form"`, `id="assign-form"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("inquiry page lacks %q", want)
		}
	}
	if strings.Contains(page.body, `id="erase"`) {
		t.Error("agent sees erase")
	}
	tok := c.token()

	if a := c.post(path+"/claim", url.Values{"csrf": {tok}}); a.status != http.StatusSeeOther || a.location != path+"?done=claimed" {
		t.Fatalf("claim: %d %q", a.status, a.location)
	}
	if q := e.load(t, ref); q.Status != inquiry.Claimed || q.Assignee != "amina" {
		t.Errorf("after claim: %s %s", q.Status, q.Assignee)
	}
	if p := c.get(path + "?done=claimed"); !strings.Contains(p.body, "You claimed this inquiry") || !strings.Contains(p.body, "Claimed by you") {
		t.Error("claim notice")
	}

	// An empty reply is refused and changes nothing; a reply is queued on
	// the person's own channel.
	if a := c.post(path+"/reply", url.Values{"csrf": {tok}, "text": {"   "}}); a.status != 400 || !strings.Contains(a.body, "text is empty") {
		t.Errorf("empty reply: %d", a.status)
	}
	reply := "Your registration can be renewed at the UNHCR office in Erbil, Sunday to Thursday."
	a := c.post(path+"/reply", url.Values{"csrf": {tok}, "text": {reply}})
	if a.status != http.StatusSeeOther || a.location != path+"?done=replied" {
		t.Fatalf("reply: %d %q", a.status, a.location)
	}
	q := e.load(t, ref)
	if q.Status != inquiry.Answered || q.Messages[len(q.Messages)-1].Text != reply || q.Messages[len(q.Messages)-1].Author != "amina" {
		t.Errorf("after reply: %s %+v", q.Status, q.Messages[len(q.Messages)-1])
	}
	out := e.outbox(t, inquiry.Telegram)
	if !slices.ContainsFunc(out, func(o queue.Outbound) bool {
		return o.Kind == "reply" && o.Reference == ref && o.To == "5550123" && strings.Contains(o.Text, reply)
	}) {
		t.Errorf("reply not queued to the person's chat: %+v", out)
	}

	// Reassigning needs a reason; with one, the inquiry leaves the agency.
	if a := c.post(path+"/assign", url.Values{"csrf": {tok}, "agency": {"IOM"}}); a.status != 400 || e.load(t, ref).Agency != "UNHCR" {
		t.Errorf("assign without reason: %d", a.status)
	}
	if a := c.post(path+"/assign", url.Values{"csrf": {tok}, "agency": {"NASA"}, "reason": {"x"}}); a.status != 400 {
		t.Errorf("assign to unknown agency: %d", a.status)
	}
	a = c.post(path+"/assign", url.Values{"csrf": {tok}, "agency": {"IOM"}, "reason": {"return travel question"}})
	if a.status != http.StatusSeeOther || a.location != "/queue" {
		t.Fatalf("assign: %d %q", a.status, a.location)
	}
	if q := e.load(t, ref); q.Agency != "IOM" || q.Status != inquiry.Open {
		t.Errorf("after assign: %s %s", q.Agency, q.Status)
	}
	if a := c.get(path); a.status != 404 {
		t.Errorf("UNHCR agent after reassigning to IOM: %d", a.status)
	}

	lead := e.client(t)
	lead.login("lead", pwLead)
	lt := lead.token()
	if a := lead.post(path+"/close", url.Values{"csrf": {lt}}); a.status != http.StatusSeeOther {
		t.Fatalf("close: %d", a.status)
	}
	if a := lead.post(path+"/close", url.Values{"csrf": {lt}}); a.status != 409 || !strings.Contains(a.body, "already closed") {
		t.Errorf("close twice: %d", a.status)
	}
	page = lead.get(path)
	if strings.Contains(page.body, `id="close"`) || !strings.Contains(page.body, "This inquiry is closed") {
		t.Error("closed inquiry still offers close")
	}
	trail, _ := e.store.AuditTrail(context.Background(), ref)
	var got []string
	for _, a := range trail {
		if a.Actor != "system" {
			got = append(got, a.Actor+":"+string(a.Action))
		}
	}
	want := []string{"amina:claimed", "amina:replied", "amina:assigned", "lead:closed"}
	if !slices.Equal(got, want) {
		t.Errorf("audit %v, want %v", got, want)
	}
	if !strings.Contains(page.body, "from UNHCR to IOM: return travel question") {
		t.Error("audit trail with the reason not shown")
	}
}

func TestDashboardSessionExpiry(t *testing.T) {
	e := newDashEnv(t, func(o *web.DashboardOptions) { o.IdleTimeout = 30 * time.Minute; o.MaxAge = 2 * time.Hour })
	c := e.client(t)
	c.login("amina", pwAmina)
	// Activity keeps a session alive...
	for range 3 {
		e.clock.Advance(25 * time.Minute)
		if a := c.get("/queue"); a.status != 200 {
			t.Fatalf("active session refused: %d", a.status)
		}
	}
	// ...until it is idle for longer than the idle timeout.
	e.clock.Advance(31 * time.Minute)
	a := c.get("/queue")
	if a.status != http.StatusSeeOther || !strings.Contains(a.location, "/login") || !strings.Contains(a.location, "expired=1") {
		t.Fatalf("idle session: %d %q", a.status, a.location)
	}
	if keys, _ := e.rdb.Keys(context.Background(), "*session*").Result(); len(keys) != 0 {
		t.Errorf("expired session kept: %v", keys)
	}
	if p := c.get(a.location); !strings.Contains(p.body, "Your session ended") {
		t.Error("no notice that the session ended")
	}

	// The absolute limit ends even a busy session.
	c.login("amina", pwAmina)
	start := e.clock.Now()
	for e.clock.Now().Sub(start) <= 2*time.Hour {
		e.clock.Advance(20 * time.Minute)
		a = c.get("/queue")
		if a.status != 200 {
			break
		}
	}
	if a.status != http.StatusSeeOther || e.clock.Now().Sub(start) <= 2*time.Hour-20*time.Minute {
		t.Errorf("busy session after %s: %d", e.clock.Now().Sub(start), a.status)
	}
	// A POST with an expired session does nothing.
	ref := e.submit(t, desk.Submission{Text: textUNHCR})
	if a := c.post("/inquiries/"+string(ref)+"/claim", url.Values{"csrf": {"x"}}); a.status != http.StatusSeeOther || e.load(t, ref).Status != inquiry.Open {
		t.Errorf("claim with expired session: %d", a.status)
	}
}

func TestDashboardPasswordChangeEndsSessions(t *testing.T) {
	e := newDashEnv(t, nil)
	c := e.client(t)
	c.login("omar", pwOmar)
	if a := c.get("/queue"); a.status != 200 {
		t.Fatal(a.status)
	}
	// The configuration is read on each request; a new hash ends the session.
	for i := range e.cfg.Staff {
		if e.cfg.Staff[i].ID == "omar" {
			e.cfg.Staff[i].PasswordHash = bcryptHash(t, "new-password")
		}
	}
	if a := c.get("/queue"); a.status != http.StatusSeeOther {
		t.Errorf("session survived a password change: %d", a.status)
	}
}

func TestDashboardLoginRateLimit(t *testing.T) {
	e := newDashEnv(t, func(o *web.DashboardOptions) {
		o.LoginPerUser, o.LoginPerAddress, o.LoginWindow = 3, 5, 10*time.Minute
	})
	// Start at a window boundary so the fixed windows do not roll over mid-test.
	e.clock.Set(e.clock.Now().Truncate(10 * time.Minute))
	c := e.client(t)
	tok := c.csrf("/login")
	try := func(user, pw string) answer {
		return c.post("/login", url.Values{"csrf": {tok}, "user": {user}, "password": {pw}})
	}
	for i := range 3 {
		if a := try("amina", "guess"); a.status != 401 {
			t.Fatalf("attempt %d: %d", i, a.status)
		}
	}
	// Per user: even the right password is refused now.
	a := try("amina", pwAmina)
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "Too many sign-in attempts") {
		t.Fatalf("4th attempt: %d", a.status)
	}
	if c.cookie("netdesk_session") != nil {
		t.Fatal("signed in past the limit")
	}
	// Per address: a fifth attempt for another user passes, the sixth not.
	if a := try("omar", "guess"); a.status != 401 {
		t.Errorf("5th attempt from the address: %d", a.status)
	}
	if a := try("omar", pwOmar); a.status != http.StatusTooManyRequests {
		t.Errorf("6th attempt from the address: %d", a.status)
	}
	e.clock.Advance(10 * time.Minute)
	if a := try("amina", pwAmina); a.status != http.StatusSeeOther {
		t.Errorf("after the window: %d", a.status)
	}
}

func TestDashboardEscapesPersonText(t *testing.T) {
	e := newDashEnv(t, nil)
	payload := `<script>document.title='pwned'</script><img src="http://evil.example/x.png" onerror="alert(1)">`
	ref := e.submit(t, desk.Submission{Text: "refugee registration " + payload, Name: `<b onmouseover=alert(1)>Mona</b>`, Contact: "mona@example.org"})
	mail := e.inbound(t, &queue.Inbound{ID: "mail:<x1@example.org>|j@example.org", Channel: inquiry.Email, Address: "j@example.org",
		Subject: `"><svg onload=alert(1)> refugees in the camp`, Text: "<p>Hello</p><iframe src=//evil.example></iframe> displaced families in the camp",
		MessageID: "<x1@example.org>", Attachments: []inquiry.Attachment{{Name: `<img src=x onerror=alert(1)>.pdf`, Type: "application/pdf", Size: 10}}})
	c := e.client(t)
	c.login("amina", pwAmina)
	tok := c.token()
	c.post("/inquiries/"+string(ref)+"/assign", url.Values{"csrf": {tok}, "agency": {"UNHCR"}, "reason": {"<script>alert(2)</script>"}}) // refused (same agency), reason echoed back
	for _, path := range []string{"/queue", "/inquiries/" + string(ref), "/inquiries/" + string(mail.Reference)} {
		a := c.get(path)
		if a.status != 200 {
			t.Fatalf("%s: %d", path, a.status)
		}
		for _, bad := range []string{"<script", "<img src=\"http://evil", "<img src=x", "<svg onload", "<iframe", "<b onmouseover", "<p>Hello"} {
			if strings.Contains(a.body, bad) {
				t.Errorf("%s renders %q unescaped", path, bad)
			}
		}
	}
	page := c.get("/inquiries/" + string(ref))
	if !strings.Contains(page.body, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;") || !strings.Contains(page.body, "&lt;b onmouseover=alert(1)&gt;Mona&lt;/b&gt;") {
		t.Error("person text not shown as escaped text")
	}
	page = c.get("/inquiries/" + string(mail.Reference))
	if !strings.Contains(page.body, "&lt;iframe src=//evil.example&gt;&lt;/iframe&gt;") || !strings.Contains(page.body, "&lt;img src=x onerror=alert(1)&gt;.pdf") {
		t.Error("email text or attachment name not escaped")
	}
	q := c.get("/queue")
	if !strings.Contains(q.body, "&#34;&gt;&lt;svg onload=alert(1)&gt; refugees in the camp") {
		t.Error("subject not shown escaped in the queue")
	}
}

// TestDashboardHostileRequests sends forged, cross-site, oversized,
// misdirected and state-changing-GET requests: each is refused with the
// right status and Redis is left exactly as it was.
func TestDashboardHostileRequests(t *testing.T) {
	e := newDashEnv(t, nil)
	own := e.submit(t, desk.Submission{Text: textUNHCR})
	other := e.submit(t, desk.Submission{Text: textWFP})
	amina := e.client(t)
	amina.login("amina", pwAmina)
	omar := e.client(t)
	omar.login("omar", pwOmar)
	tok, omarTok := amina.token(), omar.token()
	forged := e.client(t)
	forged.setCookie("netdesk_session", strings.Repeat("x", 43))
	junk := e.client(t)
	junk.setCookie("netdesk_session", "../../etc/passwd")
	anon := e.client(t)

	ownP, otherP := "/inquiries/"+string(own), "/inquiries/"+string(other)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	big := form("csrf", tok, "text", strings.Repeat("a", 300<<10))
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		body   string
		hdr    []string
		status int
	}{
		{"forged session GET", forged, "GET", ownP, "", nil, 303},
		{"forged session POST", forged, "POST", ownP + "/claim", form("csrf", tok), nil, 303},
		{"junk session cookie", junk, "POST", ownP + "/close", form("csrf", tok), nil, 303},
		{"no session POST", anon, "POST", ownP + "/reply", form("text", "hi"), nil, 303},
		{"missing CSRF token", amina, "POST", ownP + "/claim", "", nil, 403},
		{"another session's CSRF token", amina, "POST", ownP + "/close", form("csrf", omarTok), nil, 403},
		{"CSRF token in the URL only", amina, "POST", ownP + "/close?csrf=" + tok, "", nil, 403},
		{"cross-site POST", amina, "POST", ownP + "/claim", form("csrf", tok), []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"foreign Origin", amina, "POST", ownP + "/claim", form("csrf", tok), []string{"Origin", "https://evil.example"}, 403},
		{"logout without token", amina, "POST", "/logout", "", nil, 403},
		{"login without token", anon, "POST", "/login", form("user", "amina", "password", pwAmina), nil, 403},
		{"another agency's reference GET", amina, "GET", otherP, "", nil, 404},
		{"another agency's claim", amina, "POST", otherP + "/claim", form("csrf", tok), nil, 404},
		{"another agency's reply", amina, "POST", otherP + "/reply", form("csrf", tok, "text", "hello"), nil, 404},
		{"another agency's assign", amina, "POST", otherP + "/assign", form("csrf", tok, "agency", "UNHCR", "reason", "mine"), nil, 404},
		{"another agency's erase page", amina, "GET", otherP + "/erase", "", nil, 404},
		{"unknown reference", amina, "POST", "/inquiries/NM-ZZZZZZ/close", form("csrf", tok), nil, 404},
		{"junk reference", amina, "POST", "/inquiries/%3Cscript%3E/close", form("csrf", tok), nil, 404},
		{"unknown action", amina, "POST", ownP + "/delete", form("csrf", tok), nil, 404},
		{"oversized form", amina, "POST", ownP + "/reply", big, nil, 413},
		{"reply over max_text_chars", amina, "POST", ownP + "/reply", form("csrf", tok, "text", strings.Repeat("b", 20001)), nil, 413},
		{"invalid UTF-8", amina, "POST", ownP + "/reply", "csrf=" + tok + "&text=%ff%fe", nil, 400},
		{"assign to the same agency", amina, "POST", ownP + "/assign", form("csrf", tok, "agency", "UNHCR", "reason", "x"), nil, 409},
		{"assign without a reason", amina, "POST", ownP + "/assign", form("csrf", tok, "agency", "IOM"), nil, 400},
		{"agent erases", amina, "POST", ownP + "/erase", form("csrf", tok, "confirm", "yes"), nil, 403},
		{"bad status filter", amina, "GET", "/queue?status=lost", "", nil, 400},
		{"bad language", amina, "POST", "/lang", form("csrf", tok, "lang", "xx"), nil, 400},
		{"GET claim", amina, "GET", ownP + "/claim", "", nil, 404},
		{"GET close with token", amina, "GET", ownP + "/close?csrf=" + tok, "", nil, 404},
		{"GET reply", amina, "GET", ownP + "/reply?text=hi&csrf=" + tok, "", nil, 404},
		{"GET logout", amina, "GET", "/logout", "", nil, 404},
		{"PUT inquiry", amina, "PUT", ownP, form("csrf", tok), nil, 404},
	}
	before := e.snapshot(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			a := tc.c.do(tc.method, tc.path, tc.body, tc.hdr...)
			if a.status != tc.status {
				t.Errorf("status %d, want %d", a.status, tc.status)
			}
			if a.status >= 400 && !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
				t.Errorf("Content-Type %q", a.header.Get("Content-Type"))
			}
			if a.status == 303 && !strings.HasPrefix(a.location, "/login") {
				t.Errorf("redirect to %q", a.location)
			}
			if strings.Contains(a.body, textWFP) {
				t.Error("the other agency's text leaked")
			}
		})
	}
	sameSnapshot(t, before, e.snapshot(t))
	amina.t = t
	// The signed-in sessions still work: nothing above logged anyone out.
	if a := amina.get("/queue"); a.status != 200 {
		t.Errorf("session after the hostile requests: %d", a.status)
	}
}

func TestDashboardRedirectsStayOnSite(t *testing.T) {
	e := newDashEnv(t, nil)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/login?next=//evil"} {
		c := e.client(t)
		tok := c.csrf("/login?next=" + url.QueryEscape(next))
		a := c.post("/login", url.Values{"csrf": {tok}, "user": {"amina"}, "password": {pwAmina}, "next": {next}})
		if a.status != http.StatusSeeOther || a.location != "/queue" {
			t.Errorf("next=%q: %d %q", next, a.status, a.location)
		}
		if a := c.post("/lang", url.Values{"csrf": {c.token()}, "lang": {"ar"}, "next": {next}}); a.location != "/queue" {
			t.Errorf("lang next=%q: %q", next, a.location)
		}
	}
}

func TestDashboardArabic(t *testing.T) {
	e := newDashEnv(t, nil)
	ref := e.submit(t, desk.Submission{Text: "انا لاجئ سوري في مخيم دوميز وبطاقة المفوضية انتهت"})
	c := e.client(t)
	// The browser's language chooses until the switch is used.
	if a := c.get("/login", "Accept-Language", "ar-IQ,ar;q=0.9,en;q=0.5"); !strings.Contains(a.body, `<html lang="ar" dir="rtl">`) {
		t.Error("Accept-Language ar not honoured")
	}
	c.login("amina", pwAmina)
	a := c.post("/lang", url.Values{"csrf": {c.token()}, "lang": {"ar"}, "next": {"/inquiries/" + string(ref)}})
	if a.status != http.StatusSeeOther || a.location != "/inquiries/"+string(ref) {
		t.Fatalf("lang: %d %q", a.status, a.location)
	}
	if k := c.cookie("netdesk_lang"); k == nil || k.Value != "ar" {
		t.Fatal("no language cookie")
	}
	p := c.get("/inquiries/" + string(ref))
	for _, want := range []string{`<html lang="ar" dir="rtl">`, "المحادثة", "إرسال الرد", "اللاجئون والنزوح", "مخيم دوميز"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("Arabic page lacks %q", want)
		}
	}
	q := c.get("/queue")
	if !strings.Contains(q.body, "قائمة الاستفسارات") || !strings.Contains(q.body, string(ref)) {
		t.Error("Arabic queue")
	}
}

// An inquiry in Kurmanji shows its language by name, in the queue and on
// its page, in either interface language; the person's words are shown as
// written.
func TestDashboardKurmanji(t *testing.T) {
	e := newDashEnv(t, nil)
	ref := e.submit(t, desk.Submission{Text: "Silav, ez penaber im li kampa Domîzê û kartê min qediyaye", Language: "kmr"})
	if q := e.load(t, ref); q.Language != "kmr" {
		t.Fatalf("inquiry language %q, want kmr", q.Language)
	}
	c := e.client(t)
	c.login("lead", pwLead)
	for _, path := range []string{"/queue", "/inquiries/" + string(ref)} {
		if a := c.get(path); a.status != 200 || !strings.Contains(a.body, "Kurdish (Kurmanji)") {
			t.Errorf("%s: %d, no Kurmanji label", path, a.status)
		}
	}
	if p := c.get("/inquiries/" + string(ref)); !strings.Contains(p.body, "kartê min qediyaye") {
		t.Error("the Kurmanji text is not shown as written")
	}
	c.post("/lang", url.Values{"csrf": {c.token()}, "lang": {"ar"}, "next": {"/queue"}})
	if p := c.get("/inquiries/" + string(ref)); !strings.Contains(p.body, "الكردية (الكرمانجية)") {
		t.Error("the Arabic interface does not name Kurmanji")
	}
}

func TestHashPasswordSignsIn(t *testing.T) {
	h, err := web.HashPassword("a long passphrase for the admin")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hash %q", h)
	}
	e := newDashEnv(t, nil, func(c *config.Config) {
		c.Staff = append(c.Staff, config.Staff{ID: "newadmin", Agency: "SECRETARIAT", Role: config.RoleAdmin, PasswordHash: h})
	})
	c := e.client(t)
	c.login("newadmin", "a long passphrase for the admin")
	if a := c.get("/stats"); a.status != 200 {
		t.Errorf("stats: %d", a.status)
	}
}

// HSTS when the dashboard's public address is https, never on plain HTTP
// deployments (a loopback desk) where it would lock browsers out.
func TestDashboardHSTS(t *testing.T) {
	for _, tc := range []struct {
		url  string
		hsts bool
	}{{"https://desk.network.example", true}, {"", false}, {"http://127.0.0.1:8080", false}} {
		e := newDashEnv(t, nil, func(c *config.Config) { c.Network.DashboardURL = tc.url })
		got := e.client(t).get("/login").header.Get("Strict-Transport-Security")
		if (got != "") != tc.hsts {
			t.Errorf("dashboard at %q: Strict-Transport-Security %q", tc.url, got)
		}
	}
}

// One staff member, one sign-in budget however the name is typed; an email
// compared with ASCII-only case folding, so "ſ" (U+017F, which Unicode
// folds to s) is not the staff member (issue 10, finding 6).
func TestDashboardLoginBudgetIsThePersons(t *testing.T) {
	e := newDashEnv(t, func(o *web.DashboardOptions) {
		o.LoginPerUser, o.LoginPerAddress, o.LoginWindow = 3, 100, 10*time.Minute
	})
	e.clock.Set(e.clock.Now().Truncate(10 * time.Minute))
	c := e.client(t)
	tok := c.csrf("/login")
	try := func(user, pw string) answer {
		return c.post("/login", url.Values{"csrf": {tok}, "user": {user}, "password": {pw}})
	}
	for i, user := range []string{"amina", "AMINA@unhcr.example", "amina@UNHCR.EXAMPLE"} {
		if a := try(user, "guess"); a.status != 401 {
			t.Fatalf("attempt %d as %q: %d", i, user, a.status)
		}
	}
	if a := try("amina@unhcr.example", pwAmina); a.status != http.StatusTooManyRequests {
		t.Errorf("a fourth spelling got a fresh budget: %d", a.status)
	}
	if a := try("\u017Fara@unhcr.example", "guess"); a.status != 401 {
		t.Errorf("a look-alike name: %d", a.status)
	}
}

// Password checks are bounded per process (issue 10, finding 5): parallel
// sign-ins beyond the slots are told to try again (503), none runs away
// with memory, and a sign-in still works once the rush is over.
func TestDashboardBoundsParallelPasswordChecks(t *testing.T) {
	e := newDashEnv(t, func(o *web.DashboardOptions) {
		o.LoginPerUser, o.LoginPerAddress = -1, -1
		o.Verifications, o.VerifyWait = 1, time.Millisecond
	})
	c := e.client(t)
	tok := c.csrf("/login")
	statuses := make(chan int, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := c.post("/login", url.Values{"csrf": {tok}, "user": {fmt.Sprintf("nobody%d", i)}, "password": {"guess"}})
			statuses <- a.status
		}()
	}
	wg.Wait()
	close(statuses)
	busy := 0
	for s := range statuses {
		switch s {
		case http.StatusServiceUnavailable:
			busy++
		case http.StatusUnauthorized:
		default:
			t.Errorf("parallel sign-in answered %d", s)
		}
	}
	if busy == 0 {
		t.Error("20 parallel password checks all ran at once with one slot")
	}
	c.login("amina", pwAmina)
}
