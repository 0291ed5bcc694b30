package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Cookies of the dashboard.
const (
	sessionCookie = "netdesk_session"
	loginCookie   = "netdesk_login" // the CSRF token of the login form, before a session exists
	langCookie    = "netdesk_lang"
)

// session is what Redis keeps about a logged-in staff member. Only the id
// (in the cookie, hashed in the key name) identifies it; role and agency
// are read from the configuration on every request, so a change there
// applies at once.
type session struct {
	Staff   string    `json:"staff"`
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
	CSRF    string    `json:"csrf"`
	// Pass is a fingerprint of the password hash at login: changing a
	// staff member's password_hash ends their sessions.
	Pass string `json:"pass"`

	id string
}

// touchEvery bounds how often a session's last-seen time is written back:
// idle expiry is exact to within this.
const touchEvery = time.Minute

// sessions keeps dashboard sessions in Redis, so any netdesk process serves them.
type sessions struct {
	store    *queue.Store
	now      func() time.Time
	idle     time.Duration
	absolute time.Duration
}

func passPrint(hash string) string {
	h := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(h[:8])
}

var errNoSession = errors.New("no valid session")

// create stores a new session for staff with a fresh random id.
func (s *sessions) create(ctx context.Context, st config.Staff) (*session, error) {
	now := s.now()
	sess := &session{Staff: st.ID, Created: now, Seen: now, CSRF: randomToken(), Pass: passPrint(st.PasswordHash), id: randomToken()}
	if err := s.save(ctx, sess, false); err != nil {
		return nil, err
	}
	return sess, nil
}

// save writes sess with a Redis TTL that ends it when it would expire
// anyway; the recorded times, checked against the clock, decide first.
// existing=true writes only if the session still exists (a concurrent
// logout wins).
func (s *sessions) save(ctx context.Context, sess *session, existing bool) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	ttl := min(s.idle, s.absolute-sess.Seen.Sub(sess.Created)) + touchEvery
	err = s.store.SaveSession(ctx, sess.id, b, ttl, existing)
	if errors.Is(err, queue.ErrNoSession) {
		return errNoSession
	}
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// load returns the session of the request's cookie, its staff member, and
// refreshes its last-seen time. errNoSession when there is none, it
// expired, or its staff member can no longer log in.
func (s *sessions) load(ctx context.Context, r *http.Request, cfg *config.Config) (*session, config.Staff, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !validToken(c.Value) {
		return nil, config.Staff{}, errNoSession
	}
	raw, found, err := s.store.LoadSession(ctx, c.Value)
	if err != nil {
		return nil, config.Staff{}, fmt.Errorf("load session: %w", err)
	}
	if !found {
		return nil, config.Staff{}, errNoSession
	}
	var sess session
	if json.Unmarshal(raw, &sess) != nil {
		return nil, config.Staff{}, errNoSession
	}
	sess.id = c.Value
	now := s.now()
	st, ok := cfg.StaffByID(sess.Staff)
	if !ok || st.PasswordHash == "" || subtle.ConstantTimeCompare([]byte(passPrint(st.PasswordHash)), []byte(sess.Pass)) != 1 ||
		now.Sub(sess.Seen) > s.idle || now.Sub(sess.Created) > s.absolute {
		_ = s.store.EndSession(ctx, sess.id)
		return nil, config.Staff{}, errNoSession
	}
	if now.Sub(sess.Seen) >= touchEvery {
		sess.Seen = now
		if err := s.save(ctx, &sess, true); err != nil {
			return nil, config.Staff{}, err
		}
	}
	return &sess, st, nil
}

// end deletes the session of id.
func (s *sessions) end(ctx context.Context, id string) error {
	if !validToken(id) {
		return nil
	}
	return s.store.EndSession(ctx, id)
}

// validToken reports whether v looks like a randomToken, so junk cookies
// never reach Redis.
func validToken(v string) bool {
	if len(v) != 43 {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
