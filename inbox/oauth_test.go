package inbox_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/unmigration-iraq/netdesk/inbox"
	"github.com/unmigration-iraq/netdesk/internal/testlog"
)

// OAuth2 (XOAUTH2) logins, as Microsoft 365 and Google require: a token
// endpoint that issues short-lived access tokens, an IMAP server and an
// SMTP server that accept only the tokens it issued.

const (
	clientID     = "netdesk-app"
	clientSecret = "client-s3cret-value"
	refreshToken = "refresh-s3cret-value"
)

// tokenServer is an OAuth2 token endpoint: client credentials, or a
// refresh token, for access tokens that expire after ttl.
type tokenServer struct {
	*httptest.Server
	ttl    time.Duration
	mu     sync.Mutex
	issued map[string]time.Time // token -> expiry
	grants []string             // grant_type of each request
	refuse bool                 // answer invalid_client
}

func startTokenServer(t *testing.T, ttl time.Duration) *tokenServer {
	ts := &tokenServer{ttl: ttl, issued: map[string]time.Time{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	grant := r.PostForm.Get("grant_type")
	ts.grants = append(ts.grants, grant)
	w.Header().Set("Content-Type", "application/json")
	ok := !ts.refuse && r.PostForm.Get("client_id") == clientID && r.PostForm.Get("client_secret") == clientSecret
	switch grant {
	case "client_credentials":
		ok = ok && r.PostForm.Get("scope") == "https://outlook.office365.com/.default"
	case "refresh_token":
		ok = ok && r.PostForm.Get("refresh_token") == refreshToken
	default:
		ok = false
	}
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client",
			"error_description": "AADSTS7000215: Invalid client secret provided.\nTrace ID: 1234"})
		return
	}
	tok := fmt.Sprintf("access-%d", len(ts.grants))
	ts.issued[tok] = time.Now().Add(ts.ttl)
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": int(ts.ttl / time.Second)})
}

// valid reports whether token was issued here and has not expired.
func (ts *tokenServer) valid(user, token string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.issued[token]
	return ok && user == imapUser && time.Now().Before(exp)
}

func (ts *tokenServer) requests() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string{}, ts.grants...)
}

// bearerSession is the in-memory IMAP session with XOAUTH2 added; LOGIN
// with the password still works, for the test's own IMAP client.
type bearerSession struct {
	*imapmemserver.UserSession // nil until logged in
	user                       *imapmemserver.User
	accept                     func(user, token string) bool
}

func (s *bearerSession) Login(username, password string) error {
	if username != imapUser || password != imapPass {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.user)
	return nil
}

func (s *bearerSession) AuthenticateMechanisms() []string { return []string{"XOAUTH2", sasl.Plain} }

func (s *bearerSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "XOAUTH2":
		return &xoauth2Server{accept: func(user, token string) bool {
			if !s.accept(user, token) {
				return false
			}
			s.UserSession = imapmemserver.NewUserSession(s.user)
			return true
		}}, nil
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return s.Login(user, pass) }), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}

func (s *bearerSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

// xoauth2Server checks "user=U\x01auth=Bearer T\x01\x01"; a refused token
// gets the JSON challenge, and the client's empty answer the failure.
type xoauth2Server struct {
	accept func(user, token string) bool
	failed bool
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.failed {
		return nil, true, fmt.Errorf("invalid token")
	}
	if resp == nil {
		return []byte{}, false, nil // no initial response: ask for it
	}
	fields := strings.Split(string(resp), "\x01")
	var user, token string
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = v
		}
	}
	if len(fields) == 4 && fields[2] == "" && fields[3] == "" && s.accept(user, token) {
		return nil, true, nil
	}
	s.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://outlook.office365.com/.default"}`), false, nil
}

func TestOAuth2LoginForIMAPAndSMTP(t *testing.T) {
	for _, c := range []struct {
		name    string
		refresh string
	}{{"client-credentials", ""}, {"refresh-token", refreshToken}} {
		t.Run(c.name, func(t *testing.T) {
			tokens := startTokenServer(t, time.Hour)
			imapSrv := startMemIMAP(t, memOptions{bearer: tokens.valid})
			token := inbox.OAuth2(inbox.OAuth2Config{TokenURL: tokens.URL, ClientID: clientID, ClientSecret: clientSecret,
				RefreshToken: c.refresh, Scopes: []string{"https://outlook.office365.com/.default"}}, nil)
			var smtpSrv *smtpServer
			e := newEnv(t, envOptions{imap: imapSrv, listener: func(o *inbox.ListenerOptions) {
				o.Password, o.Token = "", token
			}, sender: func(o *inbox.SenderOptions) {
				smtpSrv = startSMTP(t, nil)
				smtpSrv.bearer = tokens.valid
				o.Addr, o.User, o.Token = smtpSrv.Addr, imapUser, token
			}})
			e.smtp = smtpSrv
			imapSrv.deliver(t, "INBOX", mail{from: "reporter@news.example", subject: "Interview request", messageID: "<oauth-1@news.example>", body: "Could we interview the network's coordinator on return flights?\n"}.raw())
			waitFor(t, 15*time.Second, "the mail taken in", func() bool { return len(e.byContact("reporter@news.example")) == 1 })
			waitFor(t, 15*time.Second, "the ack sent", func() bool { return len(smtpSrv.to("reporter@news.example")) == 1 })
			if got := smtpSrv.to("reporter@news.example")[0]; got.Auth != imapUser {
				t.Errorf("SMTP session authenticated as %q", got.Auth)
			}
			// One token served both logins: it is reused until shortly
			// before it expires.
			if reqs := tokens.requests(); len(reqs) != 1 {
				t.Errorf("token requests %v, want one", reqs)
			} else if want := map[bool]string{true: "refresh_token", false: "client_credentials"}[c.refresh != ""]; reqs[0] != want {
				t.Errorf("grant %q, want %q", reqs[0], want)
			}
		})
	}
}

func TestOAuth2TokenRenewedBeforeExpiry(t *testing.T) {
	// Tokens that live 90 s are inside the two-minute renewal margin: each
	// login fetches a new one, and the old one is never presented.
	tokens := startTokenServer(t, 90*time.Second)
	token := inbox.OAuth2(inbox.OAuth2Config{TokenURL: tokens.URL, ClientID: clientID, ClientSecret: clientSecret,
		Scopes: []string{"https://outlook.office365.com/.default"}}, nil)
	a, err := token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if a == b || len(tokens.requests()) != 2 {
		t.Errorf("tokens %q %q after %d requests: a token about to expire must be renewed", a, b, len(tokens.requests()))
	}
	long := startTokenServer(t, time.Hour)
	token = inbox.OAuth2(inbox.OAuth2Config{TokenURL: long.URL, ClientID: clientID, ClientSecret: clientSecret,
		Scopes: []string{"https://outlook.office365.com/.default"}}, nil)
	for range 5 {
		if _, err := token(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(long.requests()); n != 1 {
		t.Errorf("%d token requests for five logins within the token's life, want 1", n)
	}
}

func TestOAuth2Refused(t *testing.T) {
	tokens := startTokenServer(t, time.Hour)
	tokens.refuse = true
	imapSrv := startMemIMAP(t, memOptions{bearer: tokens.valid})
	token := inbox.OAuth2(inbox.OAuth2Config{TokenURL: tokens.URL, ClientID: clientID, ClientSecret: clientSecret,
		Scopes: []string{"https://outlook.office365.com/.default"}}, nil)
	var logs testlog.Buffer
	e := newEnv(t, envOptions{imap: imapSrv, listener: func(o *inbox.ListenerOptions) {
		o.Password, o.Token = "", token
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	waitFor(t, 15*time.Second, "failed logins", func() bool { return e.listener.Stats().Failures >= 2 })
	out := logs.String()
	if !strings.Contains(out, "oauth2 token refused: invalid_client: AADSTS7000215: Invalid client secret provided.") {
		t.Errorf("the provider's reason is not logged:\n%s", out)
	}
	for _, secret := range []string{clientSecret, "Trace ID"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q in the log:\n%s", secret, out)
		}
	}

	// A token the server does not accept (revoked, wrong tenant): the
	// login fails and is retried; nothing is taken in, nothing is lost.
	tokens2 := startTokenServer(t, time.Hour)
	imap2 := startMemIMAP(t, memOptions{bearer: func(string, string) bool { return false }})
	token2 := inbox.OAuth2(inbox.OAuth2Config{TokenURL: tokens2.URL, ClientID: clientID, ClientSecret: clientSecret,
		Scopes: []string{"https://outlook.office365.com/.default"}}, nil)
	e2 := newEnv(t, envOptions{imap: imap2, listener: func(o *inbox.ListenerOptions) { o.Password, o.Token = "", token2 }})
	imap2.deliver(t, "INBOX", mail{from: "someone@example.org", subject: "Hello", messageID: "<oauth-2@example.org>", body: "A question about visas\n"}.raw())
	waitFor(t, 15*time.Second, "failed logins", func() bool { return e2.listener.Stats().Failures >= 2 })
	if n := imap2.count(t, "INBOX"); n != 1 || len(e2.inquiries()) != 0 {
		t.Errorf("INBOX holds %d, inquiries %d: a refused login must leave the mail where it is", n, len(e2.inquiries()))
	}
}

func TestXOAuth2InitialResponse(t *testing.T) {
	mech, ir, err := inbox.XOAuth2("desk@example.org", "tok").Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=desk@example.org\x01auth=Bearer tok\x01\x01" {
		t.Errorf("Start() = %q %q %v", mech, ir, err)
	}
	if resp, err := inbox.XOAuth2("u", "t").Next([]byte(`{"status":"401"}`)); err != nil || resp == nil || len(resp) != 0 {
		t.Errorf("an error challenge must be answered with an empty response, got %q %v", resp, err)
	}
}
