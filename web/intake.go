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

// pendingAnswer marks an idempotency key whose first request is in flight.
const pendingAnswer = "pending"

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
	if key != "" {
		if len(key) > 255 || !utf8.ValidString(key) {
			return inquiry.Errorf(inquiry.EINVALID, "Idempotency-Key must be at most 255 characters")
		}
		if done, err := s.replay(w, r, key); done || err != nil {
			return err
		}
	}
	start := time.Now()
	rc, err := s.desk.Submit(r.Context(), desk.Submission{Text: *req.Text, Language: req.Language, Name: req.Name, Contact: req.Contact}, key)
	if err != nil {
		if key != "" {
			_ = s.store.Forget(r.Context(), desk.IntakeScope, key)
		}
		return err
	}
	s.metrics.routed.Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusCreated, rc)
	return nil
}

// replay answers a retried request with the first answer. done is false
// when this is the first request with the key (now marked pending).
func (s *Server) replay(w http.ResponseWriter, r *http.Request, key string) (done bool, err error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		stored, existed, err := s.store.Remember(r.Context(), desk.IntakeScope, key, pendingAnswer)
		if err != nil {
			return true, err
		}
		if !existed {
			return false, nil
		}
		if stored != pendingAnswer {
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(append([]byte(stored), '\n'))
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, inquiry.Errorf(inquiry.ECONFLICT, "a request with this Idempotency-Key is still being processed")
		}
		select {
		case <-r.Context().Done():
			return true, r.Context().Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
