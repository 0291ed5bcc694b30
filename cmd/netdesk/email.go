package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inbox"
)

// emailChannel wires the IMAP listener (one process at a time, under a
// Redis lease: another process takes over within 15 s when the holder
// dies) and the SMTP sender (in every process, sharing the email outbox
// through the "senders" consumer group).
func emailChannel(ctx context.Context, w wiring) ([]component, error) {
	env := w.cfg.Env
	log := w.log
	var comps []component
	token := mailToken(env)
	if env.IMAPEnabled() {
		opts := imapOptions(env, token)
		opts.Taker = &inbox.Taker{Store: w.store, Desk: w.desk, Self: ownAddresses(env.SMTPFrom), Log: log.With("comp", "imap")}
		opts.Store = w.store
		opts.Limits = inbox.Limits{MaxBytes: w.cfg.Limits.MaxEmailBytes, MaxTextChars: w.cfg.Limits.MaxTextChars}
		opts.Log = log
		l, err := inbox.NewListener(opts)
		if err != nil {
			return nil, err
		}
		lease := w.store.NewLease("imap-listener", w.instance, 15*time.Second)
		comps = append(comps, component{name: "imap", run: func(ctx context.Context) error {
			lease.Run(ctx, func(ctx context.Context) { _ = l.Run(ctx) })
			return nil
		}})
	}
	if env.SMTPEnabled() {
		opts := smtpOptions(env, token)
		opts.Store, opts.Log = w.store, log
		s, err := inbox.NewSender(opts)
		if err != nil {
			return nil, err
		}
		comps = append(comps, component{name: "smtp", run: func(ctx context.Context) error {
			return s.Run(ctx, w.instance+"-smtp")
		}})
	}
	return comps, nil
}

// mailToken is the OAuth2 token source IMAP and SMTP share (one token
// serves both), or nil when the mail logs in with passwords.
func mailToken(env config.Env) inbox.TokenFunc {
	o := env.MailOAuth2
	if !o.Enabled() {
		return nil
	}
	return inbox.OAuth2(inbox.OAuth2Config{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RefreshToken: o.RefreshToken, Scopes: o.Scopes}, nil)
}

// imapOptions are the mailbox's address, login and folders from the
// environment.
func imapOptions(env config.Env, token inbox.TokenFunc) inbox.ListenerOptions {
	o := inbox.ListenerOptions{
		Addr: env.IMAPAddr, User: env.IMAPUser, Password: env.IMAPPassword, TLS: env.IMAPTLS,
		Mailbox: env.IMAPMailbox, DoneMailbox: env.IMAPDoneMailbox,
	}
	if env.IMAPOAuth2() {
		o.Token = token
	}
	return o
}

// smtpOptions are the submission server's address, login and From.
func smtpOptions(env config.Env, token inbox.TokenFunc) inbox.SenderOptions {
	o := inbox.SenderOptions{Addr: env.SMTPAddr, TLS: env.SMTPTLS, User: env.SMTPUser, Password: env.SMTPPassword, From: env.SMTPFrom}
	if env.SMTPOAuth2() {
		o.Token = token
	}
	return o
}

// ownAddresses are the desk's own mail addresses: mail from them is a loop.
func ownAddresses(from string) []string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil
	}
	return []string{strings.ToLower(a.Address)}
}

// mailCheck logs in to the mailbox and the SMTP server as serve would, and
// says what it found, one line each; it takes nothing in and sends nothing.
// Exit 0 when every configured part works, 1 otherwise.
func mailCheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, code := configArg("netdesk mail check [FILE]", args, stdout, stderr, getenv)
	if cfg == nil {
		return code
	}
	env := cfg.Env
	if !env.IMAPEnabled() && !env.SMTPEnabled() {
		fmt.Fprintln(stdout, "no mail configured: set NETDESK_IMAP_ADDR and/or NETDESK_SMTP_ADDR")
		return 1
	}
	token := mailToken(env)
	ok := true
	if env.IMAPEnabled() {
		c, err := inbox.CheckMailbox(ctx, imapOptions(env, token))
		if err != nil {
			fmt.Fprintf(stdout, "imap %s: FAILED: %v\n", env.IMAPAddr, err)
			ok = false
		} else {
			done := "exists"
			if !c.DoneExists {
				done = "missing (serve creates it)"
			}
			fmt.Fprintf(stdout, "imap %s: ok, logged in as %s (%s, %s); %s: %d messages waiting; %s: %s; IDLE %s, MOVE %s, UIDPLUS %s\n",
				env.IMAPAddr, env.IMAPUser, env.IMAPTLS, c.Auth, env.IMAPMailbox, c.Messages, env.IMAPDoneMailbox, done,
				yesNo(c.Idle), yesNo(c.Move), yesNo(c.UID))
		}
	}
	if env.SMTPEnabled() {
		c, err := inbox.CheckSMTP(ctx, smtpOptions(env, token))
		if err != nil {
			fmt.Fprintf(stdout, "smtp %s: FAILED: %v\n", env.SMTPAddr, err)
			ok = false
		} else {
			auth := "no login (relay)"
			if c.Auth != "" {
				auth = "logged in as " + env.SMTPUser + " (" + c.Auth + ")"
			}
			fmt.Fprintf(stdout, "smtp %s: ok, %s, TLS %s, %s; mail goes out from %s\n", env.SMTPAddr, env.SMTPTLS, yesNo(c.TLS), auth, env.SMTPFrom)
		}
	}
	if !ok {
		return 1
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
