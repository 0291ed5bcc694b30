package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// metrics are read from Redis at scrape time where they must agree across
// processes (totals, depths), and kept in process for latencies.
type metrics struct {
	requests *prometheus.HistogramVec
	routed   prometheus.Histogram
	log      *slog.Logger
}

func newMetrics(reg *prometheus.Registry, store *queue.Store, cfg *config.Config, log *slog.Logger) *metrics {
	m := &metrics{
		log: log,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "netdesk_http_request_duration_seconds", Help: "HTTP request latency by route and status.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "code"}),
		routed: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "netdesk_intake_routed_seconds", Help: "Time from a web intake request to its inquiry stored and routed.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	sensitive := map[string]bool{}
	for _, t := range cfg.Topics {
		if t.Sensitive {
			sensitive[t.ID] = true
		}
	}
	reg.MustRegister(m.requests, m.routed, &storeCollector{store: store, cfg: cfg, sensitive: sensitive})
	return m
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Observe(d.Seconds())
}

// handler serves the metrics; with a token set (NETDESK_METRICS_TOKEN),
// only to a scraper that presents it.
func (m *metrics) handler(reg *prometheus.Registry, token string) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			writeError(w, r, m.log, inquiry.Errorf(inquiry.EUNAUTHORIZED, "metrics need the metrics token"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

var (
	inquiriesDesc = prometheus.NewDesc("netdesk_inquiries_total", "Inquiries created, by channel, topic or agency.", []string{"dimension", "value"}, nil)
	depthDesc     = prometheus.NewDesc("netdesk_queue_depth", "Inquiries not closed, per agency (lead or supporting).", []string{"agency"}, nil)
	streamDesc    = prometheus.NewDesc("netdesk_stream_length", "Entries in the inbound stream, the outboxes and the dead letters.", []string{"stream"}, nil)
	failuresDesc  = prometheus.NewDesc("netdesk_delivery_failures_total", "Outbound messages given up, by channel.", []string{"channel"}, nil)
	urgentDesc    = prometheus.NewDesc("netdesk_urgent_inquiries_total", "Inquiries flagged urgent.", nil, nil)
	upDesc        = prometheus.NewDesc("netdesk_redis_up", "1 when Redis answered the scrape.", nil, nil)
	inDoubtDesc   = prometheus.NewDesc("netdesk_telegram_in_doubt_total", "Telegram messages resent after a crash left it unknown whether they were delivered.", nil, nil)
	throttledDesc = prometheus.NewDesc("netdesk_telegram_throttled_total", "429 answers from Telegram (each waited out and retried).", nil, nil)
)

type storeCollector struct {
	store     *queue.Store
	cfg       *config.Config
	sensitive map[string]bool // topic ids never shown as a label
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{inquiriesDesc, depthDesc, streamDesc, failuresDesc, urgentDesc, upDesc, inDoubtDesc, throttledDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counters, err := c.store.Counters(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	// Trafficking and gender-based violence are summed as topic
	// "sensitive": a public scrape must not tell anyone how many such
	// reports came in this hour.
	var sensitive int64
	for k, v := range counters {
		dim, val, ok := strings.Cut(k, ":")
		switch {
		case ok && dim == "topic" && c.sensitive[val]:
			sensitive += v
		case ok && (dim == "channel" || dim == "topic" || dim == "agency"):
			ch <- prometheus.MustNewConstMetric(inquiriesDesc, prometheus.CounterValue, float64(v), dim, val)
		case ok && dim == "delivery_failed":
			ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(v), val)
		case k == "urgent":
			ch <- prometheus.MustNewConstMetric(urgentDesc, prometheus.CounterValue, float64(v))
		case k == "telegram_in_doubt":
			ch <- prometheus.MustNewConstMetric(inDoubtDesc, prometheus.CounterValue, float64(v))
		case k == "telegram_throttled":
			ch <- prometheus.MustNewConstMetric(throttledDesc, prometheus.CounterValue, float64(v))
		}
	}
	ch <- prometheus.MustNewConstMetric(inquiriesDesc, prometheus.CounterValue, float64(sensitive), "topic", "sensitive")
	ids := make([]string, len(c.cfg.Agencies))
	for i, a := range c.cfg.Agencies {
		ids[i] = a.ID
	}
	if depths, err := c.store.QueueDepths(ctx, ids); err == nil {
		for a, n := range depths {
			ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(n), a)
		}
	}
	if lens, err := c.store.StreamLengths(ctx); err == nil {
		for s, n := range lens {
			ch <- prometheus.MustNewConstMetric(streamDesc, prometheus.GaugeValue, float64(n), s)
		}
	}
}
