package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// The staff dashboard (SPEC §6): server-rendered pages on the same desk
// operations as the JSON API and the Telegram staff groups, with password
// sessions kept in Redis. It uses no JavaScript.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// contentSecurityPolicy allows nothing but the dashboard's own stylesheet
// and images: no script at all, no remote image (an email cannot make the
// browser call out), no framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Limits of dashboard forms.
const (
	maxLoginForm = 8 << 10
	maxStaffForm = maxStaffBody
)

// DashboardOptions wire a Dashboard.
type DashboardOptions struct {
	Desk *desk.Desk
	Log  *slog.Logger
	// Now is the clock of sessions; the store's clock when nil.
	Now func() time.Time
	// IdleTimeout ends a session unused this long (30 min when 0).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after login, used or not (12 h when 0).
	MaxAge time.Duration
	// LoginPerAddress and LoginPerUser limit sign-in attempts per client
	// address and per user name in each LoginWindow (20 and 10 per 10 min
	// when 0; negative turns a limit off).
	LoginPerAddress int
	LoginPerUser    int
	LoginWindow     time.Duration
	// Verifications bounds the password checks running at once in this
	// process (2 when 0): an argon2id check takes 64 MiB, so 30 parallel
	// sign-ins once took the process from 240 MB to 2 GB. VerifyWait is how
	// long a sign-in waits for a turn before it is told to try again (2 s).
	Verifications int
	VerifyWait    time.Duration
}

// Dashboard is the staff web interface, an http.Handler mounted at "/".
type Dashboard struct {
	desk     *desk.Desk
	cfg      *config.Config
	store    *queue.Store
	log      *slog.Logger
	now      func() time.Time
	loc      *time.Location
	sessions *sessions
	pages    map[string]*template.Template
	cssURL   string
	decoy    *decoy
	handler  http.Handler

	loginPerAddr, loginPerUser int
	loginWindow                time.Duration
	verifySlots                chan struct{}
	verifyWait                 time.Duration
}

// NewDashboard returns the dashboard of o.Desk.
func NewDashboard(o DashboardOptions) *Dashboard {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	store := o.Desk.Store()
	if o.Now == nil {
		o.Now = store.Now
	}
	o.IdleTimeout = orDefault(o.IdleTimeout, 30*time.Minute)
	o.MaxAge = orDefault(o.MaxAge, 12*time.Hour)
	o.LoginWindow = orDefault(o.LoginWindow, 10*time.Minute)
	if o.LoginPerAddress == 0 {
		o.LoginPerAddress = 20
	}
	if o.LoginPerUser == 0 {
		o.LoginPerUser = 10
	}
	if o.Verifications <= 0 {
		o.Verifications = 2
	}
	o.VerifyWait = orDefault(o.VerifyWait, 2*time.Second)
	cfg := o.Desk.Config()
	d := &Dashboard{
		desk: o.Desk, cfg: cfg, store: store, log: o.Log.With("comp", "dashboard"), now: o.Now, loc: cfg.Location(),
		sessions:     &sessions{store: store, now: o.Now, idle: o.IdleTimeout, absolute: o.MaxAge},
		loginPerAddr: o.LoginPerAddress, loginPerUser: o.LoginPerUser, loginWindow: o.LoginWindow,
		decoy:       &decoy{},
		verifySlots: make(chan struct{}, o.Verifications), verifyWait: o.VerifyWait,
	}
	for _, s := range cfg.Staff {
		if s.PasswordHash == "" {
			continue
		}
		if err := checkPasswordHash(s.PasswordHash); err != nil {
			d.log.Warn("staff password_hash is not usable; this staff member cannot sign in", "staff", s.ID, "err", err)
			continue
		}
		if d.decoy.like == "" {
			d.decoy.like = s.PasswordHash
		}
	}
	d.pages = parsePages()
	css, err := staticFS.ReadFile("static/dashboard.css")
	if err != nil {
		panic(err) // embedded at build time
	}
	sum := sha256.Sum256(css)
	d.cssURL = "/static/dashboard.css?v=" + hex.EncodeToString(sum[:6])

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
	})
	mux.Handle("GET /login", d.public("login", d.loginPage))
	mux.Handle("POST /login", d.public("login", d.login))
	mux.Handle("POST /lang", d.public("lang", d.setLanguage))
	mux.Handle("POST /logout", d.private("logout", d.logout))
	mux.Handle("GET /queue", d.private("queue", d.queuePage))
	mux.Handle("GET /stats", d.private("stats", d.statsPage))
	mux.Handle("GET /inquiries/{ref}", d.private("inquiry", d.inquiryPage))
	mux.Handle("GET /inquiries/{ref}/erase", d.private("erase", d.erasePage))
	mux.Handle("POST /inquiries/{ref}/{action}", d.private("inquiry", d.inquiryAction))
	sub, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
	mux.Handle("/", d.public("error", func(w http.ResponseWriter, r *http.Request, p *page) error {
		return inquiry.Errorf(inquiry.ENOTFOUND, "no page %s", r.URL.Path)
	}))

	// Go's cross-origin protection refuses state-changing requests a browser
	// marks as coming from another site (Sec-Fetch-Site, Origin); the
	// per-session token in every form covers the rest.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := d.newPage(r, "error")
		d.fail(w, r, p, inquiry.Errorf(inquiry.EFORBIDDEN, "cross-origin request refused"))
	}))
	d.handler = cop.Handler(mux)
	return d
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// ServeHTTP serves the dashboard with its security headers.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	if strings.HasPrefix(strings.ToLower(d.cfg.Network.DashboardURL), "https://") {
		h.Set("Strict-Transport-Security", "max-age=31536000") // browsers never try it over plain HTTP
	}
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	d.handler.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Lang    string
	Dir     string
	Title   string
	Page    string
	Path    string // this page, for the language switch to come back to
	CSRF    string
	CSS     string
	Network string
	Staff   *config.Staff
	Refresh int
	Notice  string
	Error   string
	V       any
}

// T translates key into the page's language.
func (p *page) T(key string) string { return translate(p.Lang, key, key) }

// Tf translates key and formats args into it.
func (p *page) Tf(key string, args ...any) string { return tf(p.Lang, key, args...) }

// Label translates prefix+id, falling back to id (topics, statuses, channels).
func (p *page) Label(prefix, id string) string {
	return translate(p.Lang, prefix+"."+id, strings.ReplaceAll(id, "_", " "))
}

// RoleLabel is the staff member's role in the page's language.
func (p *page) RoleLabel() string {
	if p.Staff == nil {
		return ""
	}
	return p.Label("role", p.Staff.Role)
}

// SwitchTo is the other interface language.
func (p *page) SwitchTo() string {
	if p.Lang == "ar" {
		return "en"
	}
	return "ar"
}

// Native is a language's name in itself, for the switch button.
func (p *page) Native(lang string) string { return translate(lang, "lang."+lang, lang) }

func (d *Dashboard) newPage(r *http.Request, name string) *page {
	lang := uiLanguage(r)
	dir := "ltr"
	if rtl[lang] {
		dir = "rtl"
	}
	p := &page{Lang: lang, Dir: dir, Page: name, CSS: d.cssURL, Network: d.cfg.Network.Name, Path: "/queue"}
	if r.Method == http.MethodGet && safeNext(r.URL.RequestURI()) == r.URL.RequestURI() {
		p.Path = r.URL.RequestURI()
	}
	return p
}

// handler is a dashboard page or action; an error becomes an error page.
type handler func(w http.ResponseWriter, r *http.Request, p *page) error

// actorHandler also gets the signed-in staff member and their session.
type actorHandler func(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, s *session) error

// public serves a page that needs no session. A POST must carry the token
// of the login form's cookie, or of the session when there is one.
func (d *Dashboard) public(name string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := d.newPage(r, name)
		if r.Method == http.MethodPost {
			if err := d.parseForm(w, r, maxLoginForm); err != nil {
				d.fail(w, r, p, err)
				return
			}
			if !d.publicTokenOK(r) {
				d.fail(w, r, p, errCSRF)
				return
			}
		}
		if err := h(w, r, p); err != nil {
			d.fail(w, r, p, err)
		}
	})
}

// errCSRF answers a form without the right token.
var errCSRF = inquiry.Errorf(inquiry.EFORBIDDEN, "csrf")

// private serves a page for a signed-in staff member. Without a valid
// session it sends to the sign-in page and does nothing else; a POST must
// carry the session's token.
func (d *Dashboard) private(name string, h actorHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := d.newPage(r, name)
		sess, a, err := d.sessions.load(r.Context(), r, d.cfg)
		if errors.Is(err, errNoSession) {
			d.toLogin(w, r)
			return
		}
		if err != nil {
			d.fail(w, r, p, err)
			return
		}
		p.Staff, p.CSRF = &a, sess.CSRF
		if r.Method == http.MethodPost {
			if err := d.parseForm(w, r, maxStaffForm); err != nil {
				d.fail(w, r, p, err)
				return
			}
			if !tokenEqual(r.PostForm.Get("csrf"), sess.CSRF) {
				d.log.Warn("form refused: missing or wrong CSRF token", "staff", a.ID, "path", r.URL.Path)
				d.fail(w, r, p, errCSRF)
				return
			}
		}
		if err := h(w, r, p, a, sess); err != nil {
			d.fail(w, r, p, err)
		}
	})
}

// toLogin sends a request without a valid session to the sign-in page,
// coming back to a GET page afterwards.
func (d *Dashboard) toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Site") == "cross-site" && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		// A link from another site (a staff email in webmail): the browser
		// withheld the SameSite=Strict cookie. Reloading from this origin
		// sends it.
		p := d.newPage(r, "bounce")
		d.render(w, http.StatusOK, "bounce", p)
		return
	}
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if _, err := r.Cookie(sessionCookie); err == nil {
		if strings.Contains(target, "?") {
			target += "&expired=1"
		} else {
			target += "?expired=1"
		}
		http.SetCookie(w, d.cookie(r, sessionCookie, "", -1))
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// parseForm reads an urlencoded form of at most limit bytes.
func (d *Dashboard) parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return inquiry.Errorf(inquiry.ETOOLARGE, "the form is larger than %d bytes", limit)
		}
		return inquiry.Errorf(inquiry.EINVALID, "the form could not be read")
	}
	for k, vs := range r.PostForm {
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return inquiry.Errorf(inquiry.EINVALID, "the form is not valid UTF-8")
			}
		}
	}
	return nil
}

// cookie builds a dashboard cookie: HttpOnly, SameSite=Strict, and Secure
// when the dashboard is served over TLS or its configured public address
// is https (X-Forwarded-Proto is not trusted). maxAge<0 deletes it; 0 makes
// it last until the browser closes.
func (d *Dashboard) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.HasPrefix(strings.ToLower(d.cfg.Network.DashboardURL), "https://"),
	}
}

// safeNext returns s if it is a path on this site, else "/queue": a
// redirect after sign-in or a language switch never leaves the dashboard.
func safeNext(s string) string {
	if len(s) > 1000 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") ||
		strings.ContainsAny(s, "\\\r\n\t") || strings.HasPrefix(s, "/login") {
		return "/queue"
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/queue"
	}
	return s
}

// errorView is the body of an error page.
type errorView struct {
	Status  int
	Title   string
	Message string
}

// fail renders err as a page, with the status the JSON API would give it
// (statusFor, in errors.go).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, p *page, err error) {
	code, status, msg := statusFor(err)
	v := errorView{Status: status, Title: p.T("err." + code), Message: msg}
	switch {
	case err == errCSRF:
		v.Message = p.T("err.csrf")
	case code == inquiry.ENOTFOUND:
		v.Message = p.T("err.not_found_msg") // says nothing about whether it exists
	case code == inquiry.EUNAVAILABLE:
		v.Message = p.T("err.unavailable_msg")
		w.Header().Set("Retry-After", "5")
	case status >= 500:
		v.Message = p.T("err.internal_msg")
	}
	if status >= 500 {
		d.log.Error("dashboard request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p.Title, p.V, p.Page = v.Title, v, "error"
	d.render(w, status, "error", p)
}

// render executes a page into a buffer first, so a template error never
// sends half a page.
func (d *Dashboard) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		d.log.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// parsePages parses each page with the shared layout. The templates are
// embedded, so a parse error is a programming error.
func parsePages() map[string]*template.Template {
	names := []string{"login", "queue", "inquiry", "erase", "stats", "error", "bounce"}
	out := map[string]*template.Template{}
	for _, n := range names {
		t := template.Must(template.New(n).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html"))
		out[n] = t
	}
	return out
}

// tokenEqual compares a form token with the expected one in constant time.
func tokenEqual(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
