// Package desk is the application: it turns inbound messages into routed
// inquiries, applies staff actions with their permissions, and composes
// what goes out (acks, safety messages, replies, staff cards). Channels
// (web, bot, inbox) and the scheduler call it; it keeps state in queue.
package desk

import (
	"io"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/router"
)

// Channels says which delivery channels run, so nothing is queued for a
// sender that does not exist.
type Channels struct {
	Telegram bool
	Email    bool
	// MailDomain is the domain of Message-IDs the desk creates.
	MailDomain string
}

// Desk is the inquiry desk of one network.
type Desk struct {
	cfg      *config.Config
	store    *queue.Store
	router   *router.Router
	channels Channels
	now      func() time.Time
	rand     io.Reader
	log      *slog.Logger
	routed   *waiters
}

// Options wire a Desk.
type Options struct {
	Config   *config.Config
	Store    *queue.Store
	Router   *router.Router
	Channels Channels
	Now      func() time.Time // time.Now when nil
	Rand     io.Reader        // crypto/rand when nil
	Log      *slog.Logger
}

// New returns a Desk.
func New(o Options) *Desk {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Desk{cfg: o.Config, store: o.Store, router: o.Router, channels: o.Channels,
		now: o.Now, rand: o.Rand, log: o.Log.With("comp", "desk"), routed: newWaiters()}
}

// Config returns the network configuration.
func (d *Desk) Config() *config.Config { return d.cfg }

// Store returns the store.
func (d *Desk) Store() *queue.Store { return d.store }

// Route classifies a text as the router workers would.
func (d *Desk) Route(text, lang string) router.Decision { return d.router.Route(text, lang) }

// Channels returns the delivery channels that run.
func (d *Desk) Channels() Channels { return d.channels }

// Policy returns the follow-up delays from the configuration.
func Policy(c *config.Config) inquiry.Policy {
	f := c.Followups
	return inquiry.Policy{
		FirstResponse: f.FirstResponse.D(), EscalateAfter: f.EscalateAfter.D(),
		CheckInAfter: f.CheckInAfter.D(), AutoCloseAfter: f.AutoCloseAfter.D(), Retention: f.Retention.D(),
	}
}

// Topics converts the configured topics for the router.
func Topics(c *config.Config) []router.Topic {
	out := make([]router.Topic, len(c.Topics))
	for i, t := range c.Topics {
		out[i] = router.Topic{ID: t.ID, Lead: t.Lead, Support: t.Support, Keywords: t.Keywords, Sensitive: t.Sensitive}
	}
	return out
}

// language returns lang if the network speaks it, else English.
func (d *Desk) language(lang string) string {
	for _, l := range d.cfg.Network.Languages {
		if l == lang {
			return lang
		}
	}
	return "en"
}

// emailAddress returns the address in s if s is one.
func emailAddress(s string) (string, bool) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || !strings.Contains(a.Address, "@") {
		return "", false
	}
	return strings.ToLower(a.Address), true
}
