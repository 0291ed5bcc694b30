package web

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// statusOf maps an error code to its HTTP status: the one place that does.
var statusOf = map[string]int{
	inquiry.EINVALID:      http.StatusBadRequest,
	inquiry.ENOTFOUND:     http.StatusNotFound,
	inquiry.ECONFLICT:     http.StatusConflict,
	inquiry.EUNAUTHORIZED: http.StatusUnauthorized,
	inquiry.EFORBIDDEN:    http.StatusForbidden,
	inquiry.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	inquiry.ERATELIMIT:    http.StatusTooManyRequests,
	inquiry.EUNAVAILABLE:  http.StatusServiceUnavailable,
	inquiry.EINTERNAL:     http.StatusInternalServerError,
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with {"error": {"code", "message"}} and the matching
// status. Internal details are logged, never sent.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := inquiry.ErrorCode(err)
	msg := inquiry.ErrorMessage(err)
	if queue.IsUnavailable(err) {
		code, msg = inquiry.EUNAVAILABLE, "the store is unavailable; try again shortly"
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
