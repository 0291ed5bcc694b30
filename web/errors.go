package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
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
	inquiry.EMISMATCH:     http.StatusUnprocessableEntity,
	inquiry.EINTERNAL:     http.StatusInternalServerError,
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statusFor classifies err for an answer, API or dashboard alike: its code
// (a Redis outage is EUNAVAILABLE), the HTTP status, and the message that
// may be shown.
func statusFor(err error) (code string, status int, msg string) {
	code, msg = inquiry.ErrorCode(err), inquiry.ErrorMessage(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	return code, status, msg
}

// writeError answers with {"error": {"code", "message"}} and the matching
// status. Internal details are logged, never sent.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code, status, msg := statusFor(err)
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

// parseFilter reads a queue filter from a query string, for the API and the
// dashboard: agency, status, topic, channel, overdue (1 or true), limit
// (1–1000; 0 when absent).
func parseFilter(q url.Values) (desk.Filter, error) {
	f := desk.Filter{
		Agency: q.Get("agency"), Status: inquiry.Status(q.Get("status")), Topic: q.Get("topic"),
		Channel: inquiry.Channel(q.Get("channel")), Overdue: q.Get("overdue") == "true" || q.Get("overdue") == "1",
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			return f, inquiry.Errorf(inquiry.EINVALID, "limit must be a number from 1 to 1000")
		}
		f.Limit = n
	}
	return f, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
