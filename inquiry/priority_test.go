package inquiry

import (
	"testing"
	"time"
)

// Priority (a "No" to the check-in) lasts until staff answer or close.
func TestPriorityEndsWithReplyOrClose(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for name, act := range map[string]func(q *Inquiry){
		"reply": func(q *Inquiry) { _ = q.Reply(Message{ID: "r", Author: "amina", Text: "answer", At: now}) },
		"close": func(q *Inquiry) { _ = q.Close(now) },
	} {
		q := &Inquiry{Reference: "NM-ABCDEF", Status: Open, Priority: true}
		if !q.Summarize().Priority {
			t.Errorf("%s: summary does not show the priority", name)
		}
		act(q)
		if q.Priority {
			t.Errorf("priority kept after %s", name)
		}
	}
}
