// Package web is netdesk's HTTP server: the public intake, the staff JSON
// API, the dashboard, the Telegram webhook, health and metrics.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// maxIntakeBody is the largest intake request accepted (SPEC §6).
const maxIntakeBody = 64 << 10

// maxStaffBody bounds staff API requests (a reply may be long).
const maxStaffBody = 256 << 10

// Server serves netdesk over HTTP.
type Server struct {
	desk    *desk.Desk
	store   *queue.Store
	cfg     *config.Config
	tokens  tokens
	log     *slog.Logger
	metrics *metrics
	// Webhook handles POST /telegram/webhook; nil answers 404.
	webhook http.Handler
	// dashboard serves GET / and the staff pages (NewDashboard unless
	// Options.Dashboard replaces it).
	dashboard http.Handler
	mux       *http.ServeMux
}

// Options wire a Server.
type Options struct {
	Desk      *desk.Desk
	Log       *slog.Logger
	Webhook   http.Handler
	Dashboard http.Handler
	// Registry receives the metrics; a new one when nil.
	Registry *prometheus.Registry
}

// New returns a Server.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Dashboard == nil {
		o.Dashboard = NewDashboard(DashboardOptions{Desk: o.Desk, Log: o.Log})
	}
	s := &Server{
		desk: o.Desk, store: o.Desk.Store(), cfg: o.Desk.Config(), tokens: newTokens(o.Desk.Config().Staff),
		log: o.Log.With("comp", "web"), webhook: o.Webhook, dashboard: o.Dashboard, mux: http.NewServeMux(),
	}
	s.metrics = newMetrics(o.Registry, s.store, s.cfg, s.log)
	s.routes(o.Registry)
	return s
}

// apiHandler is a handler that returns an error; one place writes it.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// staffHandler is an apiHandler that needs an authenticated staff member.
type staffHandler func(w http.ResponseWriter, r *http.Request, a desk.Actor) error

func (s *Server) routes(reg *prometheus.Registry) {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.Handle("GET /metrics", s.metrics.handler(reg, s.cfg.Env.MetricsToken))
	m.Handle("POST /api/v1/inquiries", s.api("intake", s.intake))
	m.Handle("GET /api/v1/queue", s.staff("queue", s.queue))
	m.Handle("GET /api/v1/stats", s.staff("stats", s.stats))
	m.Handle("GET /api/v1/inquiries/{ref}", s.staff("inquiry", s.inquiry))
	m.Handle("GET /api/v1/inquiries/{ref}/audit", s.staff("audit", s.audit))
	m.Handle("DELETE /api/v1/inquiries/{ref}", s.staff("erase", s.erase))
	m.Handle("POST /api/v1/inquiries/{ref}/claim", s.staff("claim", s.claim))
	m.Handle("POST /api/v1/inquiries/{ref}/close", s.staff("close", s.close))
	m.Handle("POST /api/v1/inquiries/{ref}/assign", s.staff("assign", s.assign))
	m.Handle("POST /api/v1/inquiries/{ref}/reply", s.staff("reply", s.reply))
	m.HandleFunc("POST /telegram/webhook", func(w http.ResponseWriter, r *http.Request) {
		if s.webhook == nil {
			writeError(w, r, s.log, inquiry.Errorf(inquiry.ENOTFOUND, "the Telegram webhook is not enabled"))
			return
		}
		s.webhook.ServeHTTP(w, r)
	})
	m.Handle("/api/", s.api("unknown", func(w http.ResponseWriter, r *http.Request) error {
		return inquiry.Errorf(inquiry.ENOTFOUND, "no endpoint %s %s", r.Method, r.URL.Path)
	}))
	m.Handle("/", s.dashboard)
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		s.mux.ServeHTTP(w, r)
	})
}

func (s *Server) api(route string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		if err := h(rec, r); err != nil {
			writeError(rec, r, s.log, err)
		}
		s.metrics.observe(route, rec.status, time.Since(start))
	})
}

func (s *Server) staff(route string, h staffHandler) http.Handler {
	return s.api(route, func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.tokens.staff(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="netdesk"`)
			return err
		}
		return h(w, r, a)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "redis": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// decode reads a JSON body of at most limit bytes into v, refusing
// malformed JSON, trailing data and wrong types with a clear message.
// Unknown fields are ignored, so older clients keep working. A body that is
// JSON is read as JSON whatever its Content-Type says (curl -d sends a form
// type); an HTML form post fills the fields of v named by their json tags.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return inquiry.Errorf(inquiry.ETOOLARGE, "the body is larger than %d bytes", limit)
		}
		return inquiry.Errorf(inquiry.EINVALID, "the body could not be read")
	}
	if !utf8.Valid(body) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return inquiry.Errorf(inquiry.EINVALID, "the body is not valid UTF-8")
	}
	trimmed := bytes.TrimSpace(body)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" && !bytes.HasPrefix(trimmed, []byte("{")) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return inquiry.Errorf(inquiry.EINVALID, "malformed form body")
		}
		obj := map[string]string{}
		for k := range form {
			obj[k] = form.Get(k)
		}
		body, _ = json.Marshal(obj)
		trimmed = body
	}
	if len(trimmed) == 0 {
		return inquiry.Errorf(inquiry.EINVALID, "the body is empty; a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var synErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return inquiry.Errorf(inquiry.EINVALID, "field %q must be a %s", typeErr.Field, typeErr.Type.String())
		case errors.As(err, &typeErr):
			return inquiry.Errorf(inquiry.EINVALID, "the body must be a JSON object")
		case errors.As(err, &synErr):
			return inquiry.Errorf(inquiry.EINVALID, "malformed JSON at byte %d", synErr.Offset)
		default:
			return inquiry.Errorf(inquiry.EINVALID, "malformed JSON")
		}
	}
	if dec.More() {
		return inquiry.Errorf(inquiry.EINVALID, "the body must hold one JSON object")
	}
	return nil
}

// clientAddr is the address rate limits count by: the peer's IP. Headers
// like X-Forwarded-For are not trusted (set intake_per_minute: 0 behind a
// trusted proxy that limits itself).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func reference(r *http.Request) (inquiry.Reference, error) {
	ref, ok := inquiry.ParseReference(r.PathValue("ref"))
	if !ok {
		return "", inquiry.Errorf(inquiry.ENOTFOUND, "no inquiry %q: a reference looks like NM-4K7Q2X", truncate(r.PathValue("ref"), 40))
	}
	return ref, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
