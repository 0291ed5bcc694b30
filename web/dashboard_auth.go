package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

// loginView is the body of the sign-in page.
type loginView struct {
	Next string
	User string
}

// loginPage is GET /login. It gives the form a token, kept in a cookie, so
// that no other site can sign a browser in (login CSRF).
func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request, p *page) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, _, err := d.sessions.load(r.Context(), r, d.cfg); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	switch {
	case r.URL.Query().Get("expired") == "1":
		p.Notice = p.T("login.expired")
	case r.URL.Query().Get("out") == "1":
		p.Notice = p.T("login.out")
	}
	p.CSRF = d.loginToken(w, r)
	p.Title, p.V = p.T("login.title"), loginView{Next: next}
	d.render(w, http.StatusOK, "login", p)
	return nil
}

// loginToken returns the login form token of the browser, setting one when
// it has none.
func (d *Dashboard) loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && validToken(c.Value) {
		return c.Value
	}
	tok := randomToken()
	http.SetCookie(w, d.cookie(r, loginCookie, tok, 0))
	return tok
}

// publicTokenOK checks the token of a form posted without a session
// (sign-in) or from any page (language switch).
func (d *Dashboard) publicTokenOK(r *http.Request) bool {
	got := r.PostForm.Get("csrf")
	if c, err := r.Cookie(loginCookie); err == nil && validToken(c.Value) && tokenEqual(got, c.Value) {
		return true
	}
	if sess, _, err := d.sessions.load(r.Context(), r, d.cfg); err == nil {
		return tokenEqual(got, sess.CSRF)
	}
	return false
}

// login is POST /login.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request, p *page) error {
	ctx := r.Context()
	user := strings.TrimSpace(r.PostForm.Get("user"))
	password := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	p.Title, p.V = p.T("login.title"), loginView{Next: next, User: truncate(user, 200)}
	p.CSRF = d.loginToken(w, r)

	// Both limits count every attempt, whatever its outcome; they are
	// shared by every process through Redis.
	okAddr, err := d.store.Allow(ctx, "login-addr", clientAddr(r), d.loginPerAddr, d.loginWindow)
	if err != nil {
		return err
	}
	// The per-user budget is the staff member's, however the name was
	// typed (id, email, case): otherwise each spelling is a fresh budget.
	st, found := d.staffByLogin(user)
	userKey := "name:" + asciiLower(user)
	if found {
		userKey = "staff:" + st.ID
	}
	okUser, err := d.store.Allow(ctx, "login-user", userKey, d.loginPerUser, d.loginWindow)
	if err != nil {
		return err
	}
	if !okAddr || !okUser {
		d.log.Warn("sign-in refused: too many attempts", "by_address", !okAddr, "by_user", !okUser)
		w.Header().Set("Retry-After", strconv.Itoa(int(d.loginWindow.Seconds())))
		p.Error = p.T("login.limited")
		d.render(w, http.StatusTooManyRequests, "login", p)
		return nil
	}

	hash := d.decoy.get()
	if found && checkPasswordHash(st.PasswordHash) == nil {
		hash = st.PasswordHash
	}
	// One password hash is always computed, so an unknown user takes as
	// long as a known one with a wrong password.
	if !d.verifyTurn(ctx) {
		d.log.Warn("sign-in refused: too many password checks at once")
		w.Header().Set("Retry-After", "2")
		p.Error = p.T("login.busy")
		d.render(w, http.StatusServiceUnavailable, "login", p)
		return nil
	}
	match := len(password) <= maxPasswordBytes && verifyPassword(hash, password) && found
	<-d.verifySlots
	if !match {
		d.log.Info("sign-in failed")
		p.Error = p.T("login.failed")
		d.render(w, http.StatusUnauthorized, "login", p)
		return nil
	}
	// A new id at every sign-in: a session id planted before cannot be
	// carried into the signed-in session.
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = d.sessions.end(ctx, c.Value)
	}
	sess, err := d.sessions.create(ctx, st)
	if err != nil {
		return err
	}
	http.SetCookie(w, d.cookie(r, sessionCookie, sess.id, int(d.sessions.absolute.Seconds())))
	http.SetCookie(w, d.cookie(r, loginCookie, "", -1))
	d.log.Info("staff signed in", "staff", st.ID, "role", st.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// staffByLogin finds the staff member who may sign in as user: by id or
// email, with a password hash configured.
func (d *Dashboard) staffByLogin(user string) (config.Staff, bool) {
	if user == "" {
		return config.Staff{}, false
	}
	for _, s := range d.cfg.Staff {
		if s.PasswordHash == "" {
			continue
		}
		if s.ID == user || (s.Email != "" && asciiLower(s.Email) == asciiLower(user)) {
			return s, true
		}
	}
	return config.Staff{}, false
}

// logout is POST /logout.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, s *session) error {
	if err := d.sessions.end(r.Context(), s.id); err != nil {
		return err
	}
	http.SetCookie(w, d.cookie(r, sessionCookie, "", -1))
	d.log.Info("staff signed out", "staff", a.ID)
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
	return nil
}

// setLanguage is POST /lang: the interface language, kept in a cookie.
func (d *Dashboard) setLanguage(w http.ResponseWriter, r *http.Request, p *page) error {
	lang := r.PostForm.Get("lang")
	if uiText[lang] == nil {
		return inquiry.Errorf(inquiry.EINVALID, "the interface speaks %s", strings.Join(uiLanguages, ", "))
	}
	c := d.cookie(r, langCookie, lang, 365*24*3600)
	c.SameSite = http.SameSiteLaxMode // a preference, not a credential: keep it on links from mail
	http.SetCookie(w, c)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

// verifyTurn waits for one of the process's password-check slots (up to
// verifyWait); the caller releases it.
func (d *Dashboard) verifyTurn(ctx context.Context) bool {
	select {
	case d.verifySlots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(d.verifyWait)
	defer t.Stop()
	select {
	case d.verifySlots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// asciiLower folds ASCII letters only: Unicode folding would let "ſara"
// (U+017F, which folds to s) pass for "sara".
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
