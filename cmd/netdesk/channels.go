package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/queue"
)

// wiring is what serve hands every channel.
type wiring struct {
	cfg      *config.Config
	desk     *desk.Desk
	store    *queue.Store
	instance string // unique per process: consumer names, lease holder
	log      *slog.Logger
}

// channels wires the enabled channels: their listeners and senders as
// components, and the Telegram webhook handler when in webhook mode.
func channels(ctx context.Context, cfg *config.Config, d *desk.Desk, store *queue.Store, instance string, log *slog.Logger) ([]component, http.Handler, error) {
	w := wiring{cfg: cfg, desk: d, store: store, instance: instance, log: log}
	var comps []component
	var webhook http.Handler
	if cfg.Env.TelegramEnabled() {
		c, h, err := telegramChannel(ctx, w)
		if err != nil {
			return nil, nil, err
		}
		comps, webhook = append(comps, c...), h
	}
	if cfg.Env.IMAPEnabled() || cfg.Env.SMTPEnabled() {
		c, err := emailChannel(ctx, w)
		if err != nil {
			return nil, nil, err
		}
		comps = append(comps, c...)
	}
	return comps, webhook, nil
}
