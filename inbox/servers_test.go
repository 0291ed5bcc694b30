package inbox_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const (
	imapUser = "desk"
	imapPass = "s3cret-imap"
)

// imapServer is an IMAP server a test talks to over TCP.
type imapServer struct {
	Addr string
	TLS  string // the mode netdesk must use
	// TLSConfig trusts the server's certificate.
	TLSConfig *tls.Config
	// tlsAddr is the implicit-TLS listener, when there is one.
	tlsAddr string
	mem     *imapmemserver.User
}

// testCert returns a self-signed certificate for 127.0.0.1 and a client
// config that trusts it.
func testCert(t testing.TB) (tls.Certificate, *tls.Config, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return cert, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, certPEM, keyPEM
}

type memOptions struct {
	caps imap.CapSet
	// wrap wraps accepted connections (a throttle, a freezer).
	wrap func(net.Conn) net.Conn
	tls  bool
	// bearer, when set, adds AUTHENTICATE XOAUTH2, taking the tokens it
	// accepts (oauth_test.go).
	bearer func(user, token string) bool
}

// startMemIMAP serves go-imap's in-memory server on 127.0.0.1.
func startMemIMAP(t testing.TB, o memOptions) *imapServer {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(imapUser, imapPass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(u)
	if o.caps == nil {
		o.caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}
	}
	cert, clientTLS, _, _ := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			if o.bearer != nil {
				return &bearerSession{user: u, accept: o.bearer}, nil, nil
			}
			return mem.NewSession(), nil, nil
		},
		Caps: o.caps, TLSConfig: serverTLS, InsecureAuth: true, Logger: discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &imapServer{Addr: ln.Addr().String(), TLS: "none", TLSConfig: clientTLS, mem: u}
	var l net.Listener = ln
	if o.wrap != nil {
		l = &wrapListener{ln, o.wrap}
	}
	go func() { _ = srv.Serve(l) }()
	if o.tls {
		tln, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
		if err != nil {
			t.Fatal(err)
		}
		s.tlsAddr = tln.Addr().String()
		go func() { _ = srv.Serve(tln) }()
	}
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

type wrapListener struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l *wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}

// dovecotBinary returns the dovecot binary, or skips the test.
func dovecotBinary(t testing.TB) string {
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	if os.Getenv("NETDESK_REQUIRE_DOVECOT") == "1" {
		t.Fatal("dovecot not installed")
	}
	t.Skip("dovecot not installed (apt-get install dovecot-imapd; make deps)")
	return ""
}

// startDovecot runs Dovecot on free loopback ports with a temporary
// configuration: one user (static passdb), maildir storage, IMAP in clear
// and implicit TLS (self-signed certificate).
func startDovecot(t testing.TB) *imapServer {
	t.Helper()
	bin := dovecotBinary(t)
	dir, err := os.MkdirTemp("", "netdesk-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg, clientTLS := writeDovecotConfig(t, dir)
	cmd := exec.Command(bin, "-F", "-c", cfg.path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	s := &imapServer{Addr: cfg.addr, TLS: "none", TLSConfig: clientTLS, tlsAddr: cfg.tlsAddr}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not start: %v\n%s\n%s", err, out.String(), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

type dovecotConfig struct{ path, addr, tlsAddr string }

func writeDovecotConfig(t testing.TB, dir string) (dovecotConfig, *tls.Config) {
	_, clientTLS, certPEM, keyPEM := testCert(t)
	for _, f := range []struct {
		name string
		data []byte
	}{{"cert.pem", certPEM}, {"key.pem", keyPEM}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// As root, Dovecot's login processes and mail must run as other users.
	loginUser, internalUser := "", ""
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		loginUser, internalUser = "dovenull", "dovecot"
		u, err := user.Lookup("dovecot")
		if err != nil {
			t.Skipf("running as root needs the dovecot user: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		loginUser, internalUser = u.Username, u.Username
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(home, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	port, tlsPort := freePort(t), freePort(t)
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = %[2]s
default_internal_user = %[3]s
first_valid_uid = 0
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[5]d
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
passdb {
  driver = static
  args = password=%[6]s
}
userdb {
  driver = static
  args = uid=%[7]d gid=%[8]d home=%[9]s/%%u
}
`, dir, loginUser, internalUser, port, tlsPort, imapPass, uid, gid, home)
	path := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dovecotConfig{path: path, addr: fmt.Sprintf("127.0.0.1:%d", port), tlsAddr: fmt.Sprintf("127.0.0.1:%d", tlsPort)}, clientTLS
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// client logs in to the server as the desk user.
func (s *imapServer) client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(imapUser, imapPass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// deliver appends raw messages to a mailbox (as an MTA would deliver them).
func (s *imapServer) deliver(t testing.TB, mailbox string, raws ...[]byte) {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	for _, raw := range raws {
		cmd := c.Append(mailbox, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
}

// count returns how many messages a mailbox holds (-1 if it is missing).
func (s *imapServer) count(t testing.TB, mailbox string) int {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	st, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return -1
	}
	return int(*st.NumMessages)
}

// messages returns the raw messages of a mailbox.
func (s *imapServer) messages(t testing.TB, mailbox string) [][]byte {
	t.Helper()
	c := s.client(t)
	defer c.Close()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		if strings.Contains(err.Error(), "No messages") || strings.Contains(err.Error(), "Invalid messageset") {
			return nil
		}
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		for _, b := range m.BodySection {
			out = append(out, b.Bytes)
		}
	}
	return out
}

// smtpServer records the mail it receives; it can be told to refuse.
type smtpServer struct {
	Addr string
	mu   sync.Mutex
	msgs []smtpMessage
	// reject answers RCPT for these addresses with this error.
	reject map[string]*smtp.SMTPError
	// tempFail answers DATA with 451 this many more times.
	tempFail int
	// bearer, when set, adds AUTH XOAUTH2 (oauth_test.go).
	bearer func(user, token string) bool
	srv    *smtp.Server
}

type smtpMessage struct {
	From string
	To   []string
	Data []byte
	Auth string
	TLS  bool
}

// startSMTP serves a recording SMTP server on 127.0.0.1: STARTTLS when
// tlsConf is set, implicit TLS when implicit is also set.
func startSMTP(t testing.TB, tlsConf *tls.Config, implicit ...bool) *smtpServer {
	t.Helper()
	s := &smtpServer{reject: map[string]*smtp.SMTPError{}}
	srv := smtp.NewServer(s)
	srv.Domain = "smtp.test"
	srv.AllowInsecureAuth = true
	srv.TLSConfig = tlsConf
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if len(implicit) > 0 && implicit[0] {
		ln = tls.NewListener(ln, tlsConf)
	}
	s.Addr = ln.Addr().String()
	s.srv = srv
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: s, conn: c}, nil
}

func (s *smtpServer) received() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage{}, s.msgs...)
}

func (s *smtpServer) to(addr string) []smtpMessage {
	var out []smtpMessage
	for _, m := range s.received() {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type smtpSession struct {
	s    *smtpServer
	conn *smtp.Conn
	msg  smtpMessage
	user string
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.bearer != nil {
		return []string{"XOAUTH2", sasl.Plain}
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if mech == "XOAUTH2" && ss.s.bearer != nil {
		return &xoauth2Server{accept: func(user, token string) bool {
			if !ss.s.bearer(user, token) {
				return false
			}
			ss.user = user
			return true
		}}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "mailer" || pass != "s3cret-smtp" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	_, secure := ss.conn.TLSConnectionState()
	ss.msg = smtpMessage{From: from, Auth: ss.user, TLS: secure}
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	rej := ss.s.reject[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if rej != nil {
		return rej
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.tempFail > 0 {
		ss.s.tempFail--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.msg.Data = b
	ss.s.msgs = append(ss.s.msgs, ss.msg)
	return nil
}

func (ss *smtpSession) Reset()        {}
func (ss *smtpSession) Logout() error { return nil }

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
