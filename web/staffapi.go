package web

import (
	"context"
	"net/http"
	"time"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// queue is GET /api/v1/queue?agency=&status=&topic=&channel=&overdue=&limit=
func (s *Server) queue(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		return err
	}
	list, err := s.desk.Queue(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"inquiries": list})
	return nil
}

// inquiryView is the API form of an inquiry (SPEC §6).
type inquiryView struct {
	Reference  inquiry.Reference `json:"reference"`
	Channel    inquiry.Channel   `json:"channel"`
	Status     inquiry.Status    `json:"status"`
	Topic      string            `json:"topic"`
	Agency     string            `json:"agency"`
	Support    []string          `json:"support"`
	Urgent     bool              `json:"urgent"`
	Sensitive  bool              `json:"sensitive"`
	Overdue    bool              `json:"overdue"`
	Language   string            `json:"language"`
	Subject    string            `json:"subject"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Assignee   string            `json:"assignee"`
	Contact    string            `json:"contact,omitempty"`
	Name       string            `json:"name,omitempty"`
	Matched    []string          `json:"matched"`
	LinkedFrom inquiry.Reference `json:"linked_from,omitempty"`
	Erased     bool              `json:"erased,omitempty"`
	Messages   []messageView     `json:"messages"`
}

type messageView struct {
	Direction   inquiry.Direction    `json:"direction"`
	Channel     inquiry.Channel      `json:"channel"`
	Author      string               `json:"author"`
	Text        string               `json:"text"`
	At          time.Time            `json:"at"`
	Attachments []inquiry.Attachment `json:"attachments,omitempty"`
	Flagged     bool                 `json:"flagged,omitempty"`
	Edited      bool                 `json:"edited,omitempty"`
}

func (s *Server) view(q *inquiry.Inquiry) inquiryView {
	v := inquiryView{
		Reference: q.Reference, Channel: q.Channel, Status: q.Status, Topic: q.Topic, Agency: q.Agency,
		Support: q.Support, Urgent: q.Urgent, Sensitive: q.Sensitive, Overdue: s.desk.Overdue(q),
		Language: q.Language, Subject: q.Subject, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
		Assignee: q.Assignee, Contact: q.Contact.Address, Name: q.Contact.Name, Matched: q.Matched,
		LinkedFrom: q.LinkedFrom, Erased: q.Erased, Messages: []messageView{},
	}
	if v.Support == nil {
		v.Support = []string{}
	}
	if v.Matched == nil {
		v.Matched = []string{}
	}
	for _, m := range q.Messages {
		v.Messages = append(v.Messages, messageView{m.Direction, m.Channel, m.Author, m.Text, m.At, m.Attachments, m.Flagged, m.Edited})
	}
	return v
}

func (s *Server) inquiry(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	q, err := s.desk.Get(r.Context(), a, ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.view(q))
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	trail, err := s.desk.AuditTrail(r.Context(), a, ref)
	if err != nil {
		return err
	}
	if trail == nil {
		trail = []queue.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"audit": trail})
	return nil
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	return s.action(w, r, a, s.desk.Claim)
}

func (s *Server) close(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	return s.action(w, r, a, s.desk.Close)
}

func (s *Server) action(w http.ResponseWriter, r *http.Request, a desk.Actor, fn func(ctx context.Context, a desk.Actor, ref inquiry.Reference) (*inquiry.Inquiry, error)) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	q, err := fn(r.Context(), a, ref)
	if err != nil {
		return err
	}
	s.desk.Viewed(r.Context(), a, q)
	writeJSON(w, http.StatusOK, s.view(q))
	return nil
}

type assignRequest struct {
	Agency string `json:"agency"`
	Reason string `json:"reason"`
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	var req assignRequest
	if err := decode(w, r, maxStaffBody, &req); err != nil {
		return err
	}
	if req.Agency == "" {
		return inquiry.Errorf(inquiry.EINVALID, "field \"agency\" is required")
	}
	q, err := s.desk.Assign(r.Context(), a, ref, req.Agency, req.Reason)
	if err != nil {
		return err
	}
	s.desk.Viewed(r.Context(), a, q)
	writeJSON(w, http.StatusOK, s.view(q))
	return nil
}

type replyRequest struct {
	Text *string `json:"text"`
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	var req replyRequest
	if err := decode(w, r, maxStaffBody, &req); err != nil {
		return err
	}
	if req.Text == nil {
		return inquiry.Errorf(inquiry.EINVALID, "field \"text\" is required")
	}
	q, msg, err := s.desk.Reply(r.Context(), a, ref, *req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"reference": q.Reference, "status": q.Status, "queued": true,
		"message": messageView{msg.Direction, msg.Channel, msg.Author, msg.Text, msg.At, nil, false, false},
	})
	return nil
}

func (s *Server) erase(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	if err := s.desk.Erase(r.Context(), a, ref); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"reference": ref, "erased": true})
	return nil
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, a desk.Actor) error {
	st, err := s.desk.Stats(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
