package main

import (
	"context"
	"net/mail"
	"strings"
	"time"

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
	// One token source for both: a token serves IMAP and SMTP alike.
	var token inbox.TokenFunc
	if o := env.MailOAuth2; o.Enabled() {
		token = inbox.OAuth2(inbox.OAuth2Config{TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			RefreshToken: o.RefreshToken, Scopes: o.Scopes}, nil)
	}
	if env.IMAPEnabled() {
		opts := inbox.ListenerOptions{
			Addr: env.IMAPAddr, User: env.IMAPUser, Password: env.IMAPPassword, TLS: env.IMAPTLS,
			Mailbox: env.IMAPMailbox, DoneMailbox: env.IMAPDoneMailbox,
			Taker: &inbox.Taker{Store: w.store, Desk: w.desk, Self: ownAddresses(env.SMTPFrom), Log: log.With("comp", "imap")},
			Store: w.store,
			Limits: inbox.Limits{
				MaxBytes: w.cfg.Limits.MaxEmailBytes, MaxTextChars: w.cfg.Limits.MaxTextChars,
			},
			Log: log,
		}
		if env.IMAPOAuth2() {
			opts.Token = token
		}
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
		opts := inbox.SenderOptions{
			Store: w.store, Addr: env.SMTPAddr, TLS: env.SMTPTLS,
			User: env.SMTPUser, Password: env.SMTPPassword, From: env.SMTPFrom, Log: log,
		}
		if env.SMTPOAuth2() {
			opts.Token = token
		}
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

// ownAddresses are the desk's own mail addresses: mail from them is a loop.
func ownAddresses(from string) []string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil
	}
	return []string{strings.ToLower(a.Address)}
}
