package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func post(h http.Handler, secret, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(body))
	if secret != "" {
		r.Header.Set(SecretHeader, secret)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestWebhookSecretAndDurability(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true})
	h := e.bot.Webhook("s3cret-token_1")
	body, _ := json.Marshal(personUpdate(49001, "Question about food vouchers"))
	ctx := context.Background()

	for _, secret := range []string{"", "wrong", "s3cret-token_", "s3cret-token_12"} {
		if w := post(h, secret, string(body)); w.Code != http.StatusForbidden {
			t.Errorf("secret %q: %d, want 403", secret, w.Code)
		}
	}
	if n, _ := e.rdb.XLen(ctx, e.store.Keys().Inbound()).Result(); n != 0 {
		t.Fatalf("a refused call was enqueued")
	}
	r := httptest.NewRequest(http.MethodGet, "/telegram/webhook", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
	if w := post(h, "s3cret-token_1", `{"update_id": "x"`); w.Code != http.StatusBadRequest {
		t.Errorf("broken JSON: %d", w.Code)
	}
	if w := post(h, "s3cret-token_1", `{"update_id": 5, "message": {"text": "`+strings.Repeat("a", 2<<20)+`"}}`); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: %d", w.Code)
	}

	// The right secret: 200 once the update is durably queued; a replay
	// (Telegram retrying) changes nothing.
	for range 2 {
		if w := post(h, "s3cret-token_1", string(body)); w.Code != http.StatusOK {
			t.Fatalf("right secret: %d %s", w.Code, w.Body)
		}
	}
	q := e.inquiryOf(49001)
	e.waitText(49001, string(q.Reference))
	if n := len(e.load(q.Reference).Messages); n != 1 {
		t.Errorf("%d messages after a replayed webhook call", n)
	}

	// Redis down: 503, so Telegram delivers again later. (The workers stop
	// first: they would only retry and fill the log.)
	e.stop()
	e.redis.Stop()
	body2, _ := json.Marshal(personUpdate(49002, "Another question"))
	if w := post(h, "s3cret-token_1", string(body2)); w.Code != http.StatusServiceUnavailable {
		t.Errorf("Redis down: %d, want 503", w.Code)
	}
}

func TestWebhookModeEndToEnd(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true})
	srv := httptest.NewServer(e.bot.Webhook("hook-secret"))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.bot.RegisterWebhook(ctx, srv.URL, "hook-secret"); err != nil {
		t.Fatal(err)
	}
	if url, secret := e.fake.WebhookURL(); url != srv.URL || secret != "hook-secret" {
		t.Fatalf("webhook set to %q %q", url, secret)
	}
	e.fake.PersonText(49003, "en", "I need food assistance")
	q := e.inquiryOf(49003)
	e.waitText(49003, string(q.Reference))
	eventually(t, 5*time.Second, "the update confirmed", func() bool { return e.fake.Pending() == 0 })

	// Telegram with another secret (a forged or stale registration) is refused.
	e.fake.Webhook(srv.URL, "not-the-secret")
	id := e.fake.PersonText(49004, "en", "Second person")
	eventually(t, 5*time.Second, "refused deliveries", func() bool { return strings.Contains(e.logs.String(), "webhook call refused") })
	if e.seen(id) || e.fake.Pending() != 1 {
		t.Errorf("a call with the wrong secret was taken")
	}
}
