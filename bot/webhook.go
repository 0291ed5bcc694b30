package bot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/queue"
)

// maxUpdate caps the body of a webhook call. Updates are a few KB; a
// message holds at most 4,096 characters.
const maxUpdate = 1 << 20

// SecretHeader carries the webhook's secret_token.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Webhook returns the handler of POST /telegram/webhook. It answers 403
// without the right secret, 200 only once the update is durably taken, and
// 503 when Redis is unreachable, so Telegram delivers the update again.
// It runs in every process; updates are deduplicated by update_id.
func (b *Bot) Webhook(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			webhookError(w, http.StatusMethodNotAllowed, "invalid", "use POST")
			return
		}
		got := r.Header.Get(SecretHeader)
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			b.log.Warn("webhook call refused: wrong or missing secret token", "remote", r.RemoteAddr)
			webhookError(w, http.StatusForbidden, "forbidden", "wrong or missing "+SecretHeader)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdate))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				webhookError(w, http.StatusRequestEntityTooLarge, "too_large", "the update is larger than 1 MiB")
				return
			}
			webhookError(w, http.StatusBadRequest, "invalid", "the body could not be read")
			return
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(body, &u); err != nil || u.UpdateID <= 0 {
			webhookError(w, http.StatusBadRequest, "invalid", "the body is not a Telegram update")
			return
		}
		// Finish taking the update even if Telegram hangs up meanwhile.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 20*time.Second)
		defer cancel()
		if err := b.Take(ctx, u); err != nil {
			b.log.Warn("webhook update not taken; Telegram will retry", "update_id", u.UpdateID, "err", err)
			if queue.IsUnavailable(err) {
				webhookError(w, http.StatusServiceUnavailable, "unavailable", "the desk's store is unavailable; retry later")
				return
			}
			webhookError(w, http.StatusInternalServerError, "internal", "the update could not be taken; retry later")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	})
}

func webhookError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
