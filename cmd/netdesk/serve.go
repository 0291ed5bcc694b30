package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/web"
)

// routerWorkers is how many router workers each process runs.
const routerWorkers = 4

// component is a long-running part of serve.
type component struct {
	name string
	run  func(ctx context.Context) error
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: netdesk serve (configured by NETDESK_* variables)")
		return 2
	}
	cfg, err := loadConfig("", getenv)
	if err != nil {
		fmt.Fprintln(stderr, "netdesk: the configuration has problems:")
		printProblems(stderr, err)
		return 1
	}
	log := newLogger(stderr, cfg.Env.LogLevel)
	// go-redis reports pool trouble through its own (library-wide) logger;
	// route it into ours so it has a level and a component.
	redis.SetLogger(redisLogger{log.With("comp", "redis")})

	rdb, closeRedis, err := openRedis(cfg.Env.RedisURL, log, stderr)
	if err != nil {
		log.Error("redis", "err", err)
		return 1
	}
	defer closeRedis()

	if cfg.Env.RedisURL == "" && len(cfg.Staff) == 0 {
		tok := tempAdmin(cfg)
		// Printed to the terminal, not logged: it is for the person who
		// just started the desk to try the API.
		fmt.Fprintf(stdout, "\nNo staff are configured. A temporary admin token for this run:\n\n    %s\n\n  curl -H 'Authorization: Bearer %s' http://%s/api/v1/queue\n\n", tok, tok, cfg.Env.HTTPAddr)
	}

	rt, err := newRouter(cfg, getenv)
	if err != nil {
		log.Error("router", "err", err)
		return 1
	}
	host, _ := os.Hostname()
	instance := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(3))
	store := queue.NewStore(rdb, queue.Options{Prefix: cfg.Env.RedisPrefix, Policy: desk.Policy(cfg), Log: log})
	d := desk.New(desk.Options{
		Config: cfg, Store: store, Router: rt, Log: log,
		Channels: desk.Channels{Telegram: cfg.Env.TelegramEnabled(), Email: cfg.Env.SMTPEnabled(), MailDomain: mailDomain(cfg.Env.SMTPFrom)},
	})

	comps := []component{}
	for i := range routerWorkers {
		// A dead process's entries are taken over within 15 s (SPEC §10).
		c := d.RouterWorker(fmt.Sprintf("%s-r%d", instance, i), 0, 15*time.Second)
		comps = append(comps, component{name: "router", run: c.Run})
	}
	extra, webhook, err := channels(ctx, cfg, d, store, instance, log)
	if err != nil {
		log.Error("channels", "err", err)
		return 1
	}
	comps = append(comps, extra...)
	comps = append(comps, followupComponents(wiring{cfg: cfg, desk: d, store: store, instance: instance, log: log})...)

	srv := web.New(web.Options{Desk: d, Log: log, Webhook: webhook})
	ln, err := net.Listen("tcp", cfg.Env.HTTPAddr)
	if err != nil {
		log.Error("listen", "addr", cfg.Env.HTTPAddr, "err", err)
		return 1
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	log.Info("netdesk serving", "addr", ln.Addr().String(), "network", cfg.Network.Name, "config", cfg.Source,
		"telegram", cfg.Env.TelegramEnabled(), "imap", cfg.Env.IMAPEnabled(), "smtp", cfg.Env.SMTPEnabled(),
		"mail_oauth2", cfg.Env.IMAPOAuth2() || cfg.Env.SMTPOAuth2(), "version", version)

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, c := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.run(workCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("component stopped", "component", c.name, "err", err)
			}
		}()
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(ln) }()

	code := 0
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-httpErr:
		log.Error("http server", "err", err)
		code = 1
	}
	// Finish requests first (an intake waits for its worker), then let each
	// component finish the entry it holds; nothing acknowledged is dropped.
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutCtx)
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-shutCtx.Done():
		log.Warn("components did not stop in time; unfinished entries will be redelivered")
	}
	log.Info("stopped")
	return code
}

// openRedis connects to NETDESK_REDIS_URL, or starts the embedded store.
func openRedis(url string, log *slog.Logger, stderr io.Writer) (redis.UniversalClient, func(), error) {
	if url == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return nil, nil, fmt.Errorf("embedded store: %w", err)
		}
		fmt.Fprintln(stderr, strings.Repeat("!", 78))
		fmt.Fprintln(stderr, "!! NETDESK_REDIS_URL is not set: running on an EMBEDDED IN-MEMORY store.")
		fmt.Fprintln(stderr, "!! NOTHING SURVIVES A RESTART. Fine for a try-out; set NETDESK_REDIS_URL for real use.")
		fmt.Fprintln(stderr, strings.Repeat("!", 78))
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		return rdb, func() { _ = rdb.Close(); mr.Close() }, nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, fmt.Errorf("NETDESK_REDIS_URL: %w", redactURLError(err))
	}
	rdb := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		// Not fatal: listeners wait for Redis and /healthz says 503.
		log.Warn("redis not reachable yet; waiting for it", "addr", opt.Addr, "err", err)
	}
	return rdb, func() { _ = rdb.Close() }, nil
}

func redactURLError(err error) error {
	// go-redis errors may quote the URL, which can carry a password.
	return errors.New("the URL could not be parsed")
}

// tempAdmin adds an admin with a random token for this run only.
func tempAdmin(cfg *config.Config) string {
	tok := "nd_" + randomHex(20)
	cfg.Staff = append(cfg.Staff, config.Staff{
		ID: "admin", Name: "Temporary admin", Agency: cfg.Network.Secretariat, Role: config.RoleAdmin,
		TokenSHA256: web.HashToken(tok),
	})
	return tok
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func mailDomain(from string) string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return ""
	}
	_, d, _ := strings.Cut(a.Address, "@")
	return d
}

// redisLogger adapts slog to go-redis's logger. Its messages (dial
// failures) carry addresses, never credentials, and are repeated on every
// retry, so they go at debug level; outages are reported by the components.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...))
}
