package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
)

// Env holds the secrets and endpoints of SPEC §4, read from NETDESK_* variables.
type Env struct {
	ConfigPath string
	RedisURL   string // empty: the embedded in-memory store
	// RedisPrefix starts every key; several desks can share one Redis.
	RedisPrefix string
	HTTPAddr    string

	TelegramToken         string
	TelegramAPI           string
	TelegramWebhookURL    string
	TelegramWebhookSecret string

	IMAPAddr, IMAPUser, IMAPPassword string
	IMAPTLS                          string
	IMAPMailbox, IMAPDoneMailbox     string

	SMTPAddr, SMTPUser, SMTPPassword string
	SMTPTLS                          string
	SMTPFrom                         string

	// MailOAuth2 logs IMAP and SMTP in with XOAUTH2 where no password is
	// set (Microsoft 365, Google).
	MailOAuth2 OAuth2

	LogLevel string
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// AllowInsecure lets IMAP/SMTP without TLS talk to a non-loopback host.
	AllowInsecure bool
}

// OAuth2 is where the mail login gets its access tokens
// (NETDESK_MAIL_OAUTH2_*). RefreshToken empty: the client-credentials grant.
type OAuth2 struct {
	TokenURL, ClientID, ClientSecret, RefreshToken string
	Scopes                                         []string
}

// Enabled reports whether tokens are configured.
func (o OAuth2) Enabled() bool { return o.TokenURL != "" }

// IMAPOAuth2 reports whether the mailbox logs in with XOAUTH2: OAuth2 is
// set up and no IMAP password is given.
func (e Env) IMAPOAuth2() bool { return e.MailOAuth2.Enabled() && e.IMAPPassword == "" }

// SMTPOAuth2 reports whether SMTP logs in with XOAUTH2: OAuth2 is set up,
// a user is given and no SMTP password.
func (e Env) SMTPOAuth2() bool {
	return e.MailOAuth2.Enabled() && e.SMTPUser != "" && e.SMTPPassword == ""
}

// TelegramEnabled reports whether the bot runs.
func (e Env) TelegramEnabled() bool { return e.TelegramToken != "" }

// IMAPEnabled reports whether the mailbox is read.
func (e Env) IMAPEnabled() bool { return e.IMAPAddr != "" }

// SMTPEnabled reports whether mail is sent.
func (e Env) SMTPEnabled() bool { return e.SMTPAddr != "" }

func loadEnv(getenv func(string) string) (Env, Problems) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	e := Env{
		ConfigPath:            get("NETDESK_CONFIG", ""),
		RedisURL:              get("NETDESK_REDIS_URL", ""),
		RedisPrefix:           get("NETDESK_REDIS_PREFIX", "netdesk"),
		MetricsToken:          getenv("NETDESK_METRICS_TOKEN"),
		HTTPAddr:              get("NETDESK_HTTP_ADDR", "127.0.0.1:8080"),
		TelegramToken:         get("NETDESK_TELEGRAM_TOKEN", ""),
		TelegramAPI:           strings.TrimRight(get("NETDESK_TELEGRAM_API", "https://api.telegram.org"), "/"),
		TelegramWebhookURL:    get("NETDESK_TELEGRAM_WEBHOOK_URL", ""),
		TelegramWebhookSecret: get("NETDESK_TELEGRAM_WEBHOOK_SECRET", ""),
		IMAPAddr:              get("NETDESK_IMAP_ADDR", ""),
		IMAPUser:              get("NETDESK_IMAP_USER", ""),
		IMAPPassword:          getenv("NETDESK_IMAP_PASSWORD"),
		IMAPTLS:               strings.ToLower(get("NETDESK_IMAP_TLS", "tls")),
		IMAPMailbox:           get("NETDESK_IMAP_MAILBOX", "INBOX"),
		IMAPDoneMailbox:       get("NETDESK_IMAP_DONE_MAILBOX", "Processed"),
		SMTPAddr:              get("NETDESK_SMTP_ADDR", ""),
		SMTPUser:              get("NETDESK_SMTP_USER", ""),
		SMTPPassword:          getenv("NETDESK_SMTP_PASSWORD"),
		SMTPTLS:               strings.ToLower(get("NETDESK_SMTP_TLS", "")),
		SMTPFrom:              get("NETDESK_SMTP_FROM", ""),
		MailOAuth2: OAuth2{
			TokenURL:     get("NETDESK_MAIL_OAUTH2_TOKEN_URL", ""),
			ClientID:     get("NETDESK_MAIL_OAUTH2_CLIENT_ID", ""),
			ClientSecret: getenv("NETDESK_MAIL_OAUTH2_CLIENT_SECRET"),
			RefreshToken: getenv("NETDESK_MAIL_OAUTH2_REFRESH_TOKEN"),
			Scopes:       strings.Fields(get("NETDESK_MAIL_OAUTH2_SCOPES", "")),
		},
		LogLevel:      strings.ToLower(get("NETDESK_LOG_LEVEL", "info")),
		AllowInsecure: get("NETDESK_ALLOW_INSECURE", "") == "1",
	}
	var probs Problems
	bad := func(k, format string, args ...any) {
		probs = append(probs, fmt.Sprintf("env %s: %s", k, fmt.Sprintf(format, args...)))
	}
	if e.RedisURL != "" {
		u, err := url.Parse(e.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") || (u.Scheme != "unix" && u.Host == "") {
			bad("NETDESK_REDIS_URL", "must be a redis:// or rediss:// URL")
		}
	}
	if !validID(e.RedisPrefix) {
		bad("NETDESK_REDIS_PREFIX", "must be letters, digits, _ or - (1-32)")
	}
	if _, _, err := net.SplitHostPort(e.HTTPAddr); err != nil {
		bad("NETDESK_HTTP_ADDR", "%q is not host:port", e.HTTPAddr)
	}
	if u, err := url.Parse(e.TelegramAPI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("NETDESK_TELEGRAM_API", "must be an http(s) URL")
	}
	if e.TelegramToken != "" && (strings.ContainsAny(e.TelegramToken, " /?#") || !strings.Contains(e.TelegramToken, ":")) {
		bad("NETDESK_TELEGRAM_TOKEN", "does not look like a bot token (digits:letters from BotFather)")
	}
	if e.TelegramWebhookURL != "" {
		if u, err := url.Parse(e.TelegramWebhookURL); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			bad("NETDESK_TELEGRAM_WEBHOOK_URL", "must be an https URL")
		}
		if e.TelegramWebhookSecret == "" {
			bad("NETDESK_TELEGRAM_WEBHOOK_SECRET", "is required in webhook mode (Telegram sends it back so forged calls can be refused)")
		}
	}
	if s := e.TelegramWebhookSecret; s != "" && (len(s) > 256 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "") {
		bad("NETDESK_TELEGRAM_WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	checkMail := func(prefix, addr, tlsMode string, modes []string) {
		if addr == "" {
			return
		}
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			bad(prefix+"_ADDR", "%q is not host:port", addr)
			return
		}
		ok := false
		for _, m := range modes {
			ok = ok || m == tlsMode
		}
		if !ok {
			bad(prefix+"_TLS", "%q must be one of %s", tlsMode, strings.Join(modes, ", "))
		}
		if tlsMode == "none" && !isLoopback(host) && !e.AllowInsecure {
			bad(prefix+"_TLS", "none sends the password in clear to %s; only allowed on loopback (set NETDESK_ALLOW_INSECURE=1 to force)", host)
		}
	}
	checkMail("NETDESK_IMAP", e.IMAPAddr, e.IMAPTLS, []string{"tls", "starttls", "none"})
	if e.IMAPAddr != "" && e.IMAPUser == "" {
		bad("NETDESK_IMAP_USER", "is required with NETDESK_IMAP_ADDR")
	}
	if e.SMTPTLS == "" {
		// Unset: implicit TLS on 465, STARTTLS elsewhere; on loopback STARTTLS
		// is used when offered ("auto"), as a local relay often has none.
		host, port, _ := net.SplitHostPort(e.SMTPAddr)
		switch {
		case port == "465":
			e.SMTPTLS = "tls"
		case isLoopback(host):
			e.SMTPTLS = "auto"
		default:
			e.SMTPTLS = "starttls"
		}
	}
	checkMail("NETDESK_SMTP", e.SMTPAddr, e.SMTPTLS, []string{"tls", "starttls", "none", "auto"})
	if e.SMTPAddr != "" {
		if _, err := mail.ParseAddress(e.SMTPFrom); err != nil {
			bad("NETDESK_SMTP_FROM", "must be an address like desk@example.org when NETDESK_SMTP_ADDR is set")
		}
	}
	if o := e.MailOAuth2; o.Enabled() {
		u, err := url.Parse(o.TokenURL)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			bad("NETDESK_MAIL_OAUTH2_TOKEN_URL", "must be an https URL (the provider's token endpoint)")
		case u.Scheme == "http" && !isLoopback(u.Hostname()) && !e.AllowInsecure:
			bad("NETDESK_MAIL_OAUTH2_TOKEN_URL", "must be https: the client secret would go in clear to %s", u.Hostname())
		}
		if o.ClientID == "" {
			bad("NETDESK_MAIL_OAUTH2_CLIENT_ID", "is required with NETDESK_MAIL_OAUTH2_TOKEN_URL")
		}
		if !e.IMAPOAuth2() && !e.SMTPOAuth2() {
			bad("NETDESK_MAIL_OAUTH2_TOKEN_URL", "is set but unused: IMAP and SMTP both have a password (or no mail is configured)")
		}
	} else {
		for _, k := range []string{"CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "SCOPES"} {
			if strings.TrimSpace(getenv("NETDESK_MAIL_OAUTH2_"+k)) != "" {
				bad("NETDESK_MAIL_OAUTH2_"+k, "is set but NETDESK_MAIL_OAUTH2_TOKEN_URL is not")
			}
		}
	}
	switch e.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("NETDESK_LOG_LEVEL", "%q must be debug, info, warn or error", e.LogLevel)
	}
	return e, probs
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
