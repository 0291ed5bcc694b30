package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/unmigration-iraq/netdesk/bot"
)

// telegramChannel wires the bot: the sender, and either the poller (long
// polling under a lease) or, when NETDESK_TELEGRAM_WEBHOOK_URL is set, the
// webhook handler (returned for web) and its registration with Telegram.
// Nothing here waits for Telegram: if the Bot API is unreachable at start,
// each part retries in the background and serve runs on.
func telegramChannel(ctx context.Context, w wiring) ([]component, http.Handler, error) {
	env := w.cfg.Env
	hc := &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	}} // no overall Timeout: each call carries its own deadline (long polls wait 25 s)
	api := bot.NewClient(env.TelegramAPI, env.TelegramToken, hc)
	b := bot.New(bot.Options{Desk: w.desk, API: api, Log: w.log})
	sender := bot.NewSender(bot.SenderOptions{Store: w.store, API: api, Config: w.cfg, Name: w.instance, Log: w.log})
	comps := []component{
		{name: "telegram-sender", run: sender.Run},
		{name: "telegram-identify", run: b.Identify},
	}
	if env.TelegramWebhookURL != "" {
		comps = append(comps, component{name: "telegram-webhook", run: func(ctx context.Context) error {
			return b.RegisterWebhook(ctx, env.TelegramWebhookURL, env.TelegramWebhookSecret)
		}})
		return comps, b.Webhook(env.TelegramWebhookSecret), nil
	}
	p := bot.NewPoller(bot.PollerOptions{Bot: b, API: api, Store: w.store, Instance: w.instance, Log: w.log})
	comps = append(comps, component{name: "telegram-poller", run: p.Run})
	return comps, nil, nil
}
