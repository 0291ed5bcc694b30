package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// lockedReader makes a seeded generator safe for the router workers, so
// references (and so the screenshots) are the same on every run.
type lockedReader struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// chromium finds the browser, or skips (fails when NETDESK_REQUIRE_BROWSER=1).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("NETDESK_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium not found (apt-get install chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium); set NETDESK_REQUIRE_BROWSER=1 to require it")
	return ""
}

// TestDashboardInBrowser drives the dashboard in headless Chromium: sign
// in, read the queue, reply to an inquiry and close it, check that a
// person's <script> shows as text and never runs, switch to Arabic, and
// save the screenshots shown in the README.
func TestDashboardInBrowser(t *testing.T) {
	bin := chromium(t)
	baghdad := time.FixedZone("AST", 3*3600)
	now := time.Date(2025, 3, 12, 10, 30, 0, 0, baghdad)
	e := newDashEnvWith(t, envSetup{start: now.Add(-52 * time.Hour), rand: &lockedReader{r: rand.NewChaCha8([32]byte{'n', 'e', 't', 'd', 'e', 's', 'k'})}})
	refs := seedDesk(t, e, now)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("force-device-scale-factor", "1"),
		// Nothing but the test server resolves: no test reaches the internet.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	docs := filepath.Join("..", "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(docs, name), png, 0o644)
		})
	}
	// The first run starts the browser, which lives as long as its context;
	// each later step gets its own deadline.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// Sign in as a UNHCR agent; the queue shows urgent first, overdue marked.
	do("sign in",
		chromedp.Navigate(e.url+"/queue"),
		chromedp.WaitVisible(css(`#login-form`)),
		chromedp.SendKeys(css(`#user`), "amina"),
		chromedp.SendKeys(css(`#password`), pwAmina),
		chromedp.Click(css(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#queue`)),
	)
	if first := text(`#queue li:first-child .item-top`); !strings.Contains(first, "Urgent") {
		t.Errorf("first queue line %q is not the urgent inquiry", first)
	}
	if q := text(`#queue`); !strings.Contains(q, "Overdue") || !strings.Contains(q, string(refs.hero)) || strings.Contains(q, string(refs.wfp)) {
		t.Errorf("queue: %q", q)
	}
	do("queue screenshot", shot("dashboard-queue-en.png"))

	// A person's <script> is text on the page and never runs.
	do("open the inquiry with a script",
		chromedp.Navigate(e.url+"/inquiries/"+string(refs.xss)),
		chromedp.WaitVisible(css(`#reply-form`)),
	)
	if msgs := text(`#messages`); !strings.Contains(msgs, "<script>window.pwned=1;document.title='pwned'</script>") ||
		!strings.Contains(msgs, `<img src="http://evil.example/track.png">`) {
		t.Errorf("hostile text not shown as text: %q", msgs)
	}
	clean, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.pwned === undefined && document.title.indexOf("pwned") < 0 && `+
		`document.scripts.length === 0 && document.querySelectorAll("#messages img").length === 0`))
	if err != nil || !clean {
		t.Errorf("the person's script ran or their image was loaded (%v)", err)
	}

	// Reply, then close.
	reply := "You can renew your refugee card at the UNHCR office in Duhok, Sunday to Thursday, 9:00 to 14:00."
	do("reply",
		chromedp.SendKeys(css(`#reply-text`), reply),
		chromedp.Click(css(`#send`)),
		chromedp.WaitVisible(css(`.flash.ok`)),
	)
	if n := text(`.flash.ok`); !strings.Contains(n, "queued") {
		t.Errorf("reply notice %q", n)
	}
	q := e.load(t, refs.xss)
	if q.Status != inquiry.Answered || q.Messages[len(q.Messages)-1].Text != reply {
		t.Errorf("after reply: %s", q.Status)
	}
	if !slices.ContainsFunc(e.outbox(t, inquiry.Email), func(o queue.Outbound) bool {
		return o.Kind == "reply" && o.Reference == refs.xss && o.To == "rania@example.org"
	}) {
		t.Error("the reply was not queued to the person's email")
	}
	do("close",
		chromedp.Click(css(`#close`)),
		chromedp.WaitVisible(css(`.banner.muted-banner`)),
	)
	if q := e.load(t, refs.xss); q.Status != inquiry.Closed {
		t.Errorf("after close: %s", q.Status)
	}

	// A link from another site (a staff email read in webmail) arrives
	// without the SameSite=Strict cookie; the dashboard reloads itself once
	// from its own origin and the session is there.
	mail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><a id="link" href="%s/inquiries/%s">open</a>`, e.url, refs.hero)
	}))
	defer mail.Close()
	do("follow a link from another site",
		chromedp.Navigate(strings.Replace(mail.URL, "127.0.0.1", "localhost", 1)),
		chromedp.Click(css(`#link`)),
		chromedp.WaitVisible(css(`#messages`)),
	)

	do("inquiry screenshot",
		chromedp.Navigate(e.url+"/inquiries/"+string(refs.hero)),
		chromedp.WaitVisible(css(`#messages`)),
		shot("dashboard-inquiry-en.png"),
	)

	// Arabic, right to left, from the language switch.
	do("switch to Arabic",
		chromedp.Navigate(e.url+"/queue"),
		chromedp.WaitVisible(css(`#queue`)),
		chromedp.Click(css(`#lang-switch`)),
		chromedp.WaitReady(css(`html[dir="rtl"]`)),
		chromedp.WaitVisible(css(`#queue`)),
	)
	attrs, err := chromedp.Run(bctx, chromedp.Attributes(css(`html`)))
	if err != nil || attrs["dir"] != "rtl" || attrs["lang"] != "ar" {
		t.Errorf("Arabic page: %v %v", attrs, err)
	}
	do("Arabic screenshots",
		shot("dashboard-queue-ar.png"),
		chromedp.Navigate(e.url+"/inquiries/"+string(refs.hero)),
		chromedp.WaitVisible(css(`#messages`)),
		shot("dashboard-inquiry-ar.png"),
	)

	// The coordinator's statistics, and an inquiry on a phone.
	do("statistics",
		chromedp.Click(css(`#lang-switch`)),
		chromedp.WaitReady(css(`html[dir="ltr"]`)),
		chromedp.Click(css(`#logout`)),
		chromedp.WaitVisible(css(`#login-form`)),
		chromedp.SendKeys(css(`#user`), "lead"),
		chromedp.SendKeys(css(`#password`), pwLead),
		chromedp.Click(css(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#queue`)),
		chromedp.Navigate(e.url+"/stats"),
		chromedp.WaitVisible(css(`#stats-table`)),
		shot("dashboard-stats-en.png"),
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(e.url+"/inquiries/"+string(refs.hero)),
		chromedp.WaitVisible(css(`#messages`)),
		shot("dashboard-inquiry-phone.png"),
	)
}

type seeded struct {
	hero, xss, wfp inquiry.Reference
}

// seedDesk fills the desk with the inquiries of a morning at the
// secretariat, over the two days before now.
func seedDesk(t *testing.T, e *dashEnv, now time.Time) seeded {
	t.Helper()
	ctx := context.Background()
	var s seeded
	at := func(before time.Duration) { e.clock.Set(now.Add(-before)) }
	staff := func(id string) desk.Actor {
		for _, st := range e.cfg.Staff {
			if st.ID == id {
				return st
			}
		}
		t.Fatalf("no staff %s", id)
		return desk.Actor{}
	}

	at(52 * time.Hour)
	hero := e.inbound(t, &queue.Inbound{ID: "tg:1001", Channel: inquiry.Telegram, Address: "5550101", Name: "Hawre Aziz",
		Text: "Hello, I am a refugee from Syria in Domiz camp. My UNHCR registration expired last month and now the checkpoint will not let me go to work in Duhok. How can I renew it?"})
	s.hero = hero.Reference
	at(51 * time.Hour)
	e.inbound(t, &queue.Inbound{ID: "tg:1002", Channel: inquiry.Telegram, Address: "5550101", Name: "Hawre Aziz",
		Text: "This is my old card.", Attachments: []inquiry.Attachment{{Name: "unhcr-card.jpg", Type: "image/jpeg", Size: 184320, FileID: "AgAD1"}}})
	at(50 * time.Hour)
	if _, err := e.desk.Claim(ctx, staff("amina"), s.hero); err != nil {
		t.Fatal(err)
	}
	at(49*time.Hour + 40*time.Minute)
	if _, _, err := e.desk.Reply(ctx, staff("amina"), s.hero, "Thank you, Hawre. Renewals are done at the UNHCR registration centre in Domiz 1. Do you have your case number? It starts with 354-."); err != nil {
		t.Fatal(err)
	}
	at(27 * time.Hour)
	e.inbound(t, &queue.Inbound{ID: "tg:1003", Channel: inquiry.Telegram, Address: "5550101", Name: "Hawre Aziz",
		Text: "Yes, it is 354-19C0412. Can my wife come with me? Her card expired too."})

	at(31 * time.Hour)
	e.inbound(t, &queue.Inbound{ID: "mail:<r1@press.example>|reporter@press.example", Channel: inquiry.Email, Address: "reporter@press.example",
		Name: "Sara Lind", Subject: "Question about refugee registration renewal in Erbil", MessageID: "<r1@press.example>",
		Text:        "Dear colleagues,\n\nI am preparing an article on refugee registration renewals in Erbil. Could someone from UNHCR confirm the current waiting time?\n\nBest regards,\nSara Lind",
		Attachments: []inquiry.Attachment{{Name: "questions.pdf", Type: "application/pdf", Size: 92160}}})
	at(29 * time.Hour)
	s.xss = e.submit(t, desk.Submission{Name: "Rania", Contact: "rania@example.org",
		Text: `<script>window.pwned=1;document.title='pwned'</script><img src="http://evil.example/track.png"> Where do I renew my refugee card in Duhok?`})
	at(26 * time.Hour)
	e.submit(t, desk.Submission{Text: "انا لاجئ سوري في مخيم دوميز وبطاقة المفوضية انتهت. كيف أجددها؟"})
	at(20 * time.Hour)
	ans := e.submit(t, desk.Submission{Name: "Ahmed", Contact: "ahmed@example.org", Text: "We are an internally displaced family in Sulaymaniyah and our caravan in the camp was damaged by the rain"})
	if _, _, err := e.desk.Reply(ctx, staff("amina"), ans, "We have shared your location with the camp management; a shelter team will visit this week."); err != nil {
		t.Fatal(err)
	}
	at(3 * time.Hour)
	e.submit(t, desk.Submission{Text: "Where is the UNHCR office in Erbil and when is it open for refugees?"})
	at(40 * time.Minute)
	e.inbound(t, &queue.Inbound{ID: "tg:1004", Channel: inquiry.Telegram, Address: "5550177", Name: "Dilan",
		Text: "We fled to the camp last night. Armed men are beating my brother and they locked us inside the tent, please help"})

	// Other agencies, for the coordinator's figures.
	at(30 * time.Hour)
	s.wfp = e.submit(t, desk.Submission{Text: "We need food baskets for the family, my husband lost his job"})
	at(6 * time.Hour)
	e.submit(t, desk.Submission{Text: "My daughter has not been able to go back to school since we were displaced"})
	at(26 * time.Hour)
	ilo := e.submit(t, desk.Submission{Text: "I worked in a factory for three months and the employer never paid my salary"})
	at(25 * time.Hour)
	if _, _, err := e.desk.Reply(ctx, staff("lead"), ilo, "Thank you. An ILO colleague will call you about your rights and how to file a complaint."); err != nil {
		t.Fatal(err)
	}
	at(5 * time.Hour)
	e.submit(t, desk.Submission{Text: "A man took my cousin's passport and forces her to work, I think she is being trafficked"})
	at(8 * time.Hour)
	e.submit(t, desk.Submission{Text: "We want to go back to our area of origin in Sinjar, can IOM provide transportation home?"})
	at(2 * time.Hour)
	e.inbound(t, &queue.Inbound{ID: "mail:<p2@news.example>|desk@news.example", Channel: inquiry.Email, Address: "desk@news.example",
		Subject: "Interview request: return of displaced families", MessageID: "<p2@news.example>",
		Text: "Request for an interview about the return of displaced families, for a documentary."})
	e.clock.Set(now)
	return s
}
