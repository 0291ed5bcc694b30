package web

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

type intakeRequest struct {
	Text     *string `json:"text"`
	Language string  `json:"language"`
	Name     string  `json:"name"`
	Contact  string  `json:"contact"`
}

// intake is POST /api/v1/inquiries, the public channel.
func (s *Server) intake(w http.ResponseWriter, r *http.Request) error {
	ok, err := s.store.Allow(r.Context(), "intake", clientAddr(r), s.cfg.Limits.IntakePerMinute, time.Minute)
	if err != nil {
		return err
	}
	if !ok {
		w.Header().Set("Retry-After", "60")
		return inquiry.Errorf(inquiry.ERATELIMIT, "too many inquiries from your address; try again in a minute")
	}
	var req intakeRequest
	if err := decode(w, r, maxIntakeBody, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return inquiry.Errorf(inquiry.EINVALID, "field \"text\" is required")
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(key) > 255 || !utf8.ValidString(key) {
		return inquiry.Errorf(inquiry.EINVALID, "Idempotency-Key must be at most 255 characters")
	}
	start := time.Now()
	rc, replayed, err := s.desk.Submit(r.Context(), desk.Submission{Text: *req.Text, Language: req.Language, Name: req.Name, Contact: req.Contact},
		desk.Idempotency{Key: key, Caller: clientAddr(r)})
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusCreated, rc)
		return nil
	}
	s.metrics.routed.Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusCreated, rc)
	return nil
}
