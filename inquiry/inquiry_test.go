package inquiry

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNewReference(t *testing.T) {
	pat := regexp.MustCompile(`^NM-[0-9A-HJKMNP-TV-Z]{6}$`)
	seen := map[Reference]bool{}
	for range 1000 {
		r := NewReference(nil)
		if !pat.MatchString(string(r)) || !referencePattern.MatchString(string(r)) {
			t.Fatalf("reference %q has the wrong form", r)
		}
		seen[r] = true
	}
	if len(seen) < 999 {
		t.Errorf("only %d distinct references in 1000", len(seen))
	}
	if r := NewReference(bytes.NewReader([]byte{0, 1, 2, 3, 4, 31})); r != "NM-01234Z" {
		t.Errorf("deterministic reference = %s", r)
	}
}

func TestParseReference(t *testing.T) {
	good := map[string]Reference{"NM-4K7Q2X": "NM-4K7Q2X", " nm-4k7q2x ": "NM-4K7Q2X", "[NM-4K7Q2X]": "NM-4K7Q2X", "NM-4K7QOX": "NM-4K7Q0X", "NM-1L1I00": "NM-111100"}
	for in, want := range good {
		if got, ok := ParseReference(in); !ok || got != want {
			t.Errorf("ParseReference(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "NM", "NM-", "NM-12", "4K7Q2X", "NM-4K7Q2X/../x", "NM-ÄÖÜ123", "NM-4K7Q2X; DROP", "NM-" + string(make([]byte, 64))} {
		if _, ok := ParseReference(in); ok {
			t.Errorf("ParseReference(%q) accepted", in)
		}
	}
	if r, ok := FindReference("Re: your question [NM-4K7Q2X] about visas"); !ok || r != "NM-4K7Q2X" {
		t.Errorf("FindReference = %q %v", r, ok)
	}
	if _, ok := FindReference("no reference here, NM-12 either"); ok {
		t.Error("FindReference found a reference in text without one")
	}
}

func TestLifecycle(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := &Inquiry{Reference: "NM-AAAAAA", Status: Open, Agency: "WFP", Support: []string{"IOM"}, CreatedAt: t0, OpenedAt: t0}
	p := Policy{FirstResponse: time.Hour, EscalateAfter: 2 * time.Hour, CheckInAfter: 3 * time.Hour, AutoCloseAfter: 4 * time.Hour, Retention: 5 * time.Hour}
	if ts := q.Timers(p); len(ts) != 2 || ts[0] != (Timer{TimerRemind, t0.Add(time.Hour)}) || ts[1] != (Timer{TimerEscalate, t0.Add(2 * time.Hour)}) {
		t.Errorf("open timers = %v", ts)
	}
	if err := q.Claim("amina", t0.Add(time.Minute)); err != nil || q.Status != Claimed || q.Assignee != "amina" || !q.FirstResponseAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claim: %v %+v", err, q)
	}
	if len(q.Timers(p)) != 0 {
		t.Error("a claimed inquiry has no SLA timers")
	}
	at := t0.Add(time.Hour)
	if err := q.Reply(Message{Author: "amina", Text: "answer", At: at}); err != nil || q.Status != Answered || q.Messages[0].Direction != Out {
		t.Fatalf("reply: %v %+v", err, q)
	}
	if ts := q.Timers(p); len(ts) != 1 || ts[0] != (Timer{TimerCheckIn, at.Add(3 * time.Hour)}) {
		t.Errorf("answered timers = %v", ts)
	}
	// A new message from the person goes back to the assignee.
	q.AddIncoming(Message{Text: "thanks, but", At: at.Add(time.Minute)})
	if q.Status != Claimed {
		t.Errorf("status after the person wrote = %s, want claimed", q.Status)
	}
	if err := q.Assign("WFP", at); err == nil {
		t.Error("assign to the same agency accepted")
	}
	if err := q.Assign("UNHCR", at.Add(2*time.Minute)); err != nil || q.Agency != "UNHCR" || q.Status != Open || q.Assignee != "" {
		t.Fatalf("assign: %v %+v", err, q)
	}
	if !q.Involves("IOM") || q.Involves("WFP") {
		t.Errorf("agencies after assign = %v", q.Agencies())
	}
	closed := at.Add(time.Hour)
	if err := q.Close(closed); err != nil || q.Status != Closed {
		t.Fatal(err)
	}
	if err := q.Close(closed); err == nil || ErrorCode(err) != ECONFLICT {
		t.Errorf("closing twice: %v", err)
	}
	if err := q.Claim("x", closed); ErrorCode(err) != ECONFLICT {
		t.Errorf("claiming a closed inquiry: %v", err)
	}
	if !q.CanReopen(closed.Add(time.Hour), 2*time.Hour) || q.CanReopen(closed.Add(3*time.Hour), 2*time.Hour) {
		t.Error("reopen window not respected")
	}
	q.Erase(closed)
	for _, m := range q.Messages {
		if m.Text != "" || m.Author != "" {
			t.Errorf("erased message keeps %+v", m)
		}
	}
	if !q.Erased || q.Contact.Address != "" || len(q.Timers(p)) != 0 {
		t.Errorf("erase left %+v", q)
	}
}

func TestErrorCode(t *testing.T) {
	if ErrorCode(nil) != "" || ErrorCode(Errorf(ENOTFOUND, "x")) != ENOTFOUND || ErrorCode(bytes.ErrTooLarge) != EINTERNAL {
		t.Error("ErrorCode mapping")
	}
	if ErrorMessage(bytes.ErrTooLarge) != "internal error" {
		t.Error("internal errors must not leak their text")
	}
}

func TestInsertKeepsThePersonsOrder(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	in := func(seq int64, text string) Message {
		return Message{Direction: In, Channel: Telegram, Text: text, Seq: seq, At: at}
	}
	out := Message{Direction: Out, Channel: Telegram, Text: "staff answer", At: at}
	cases := []struct {
		name     string
		stored   []Message
		add      Message
		want     string
		appended bool
	}{
		{"in order", []Message{in(1, "a")}, in(2, "b"), "a b", true},
		{"overtaken once", []Message{in(1, "a"), in(3, "c")}, in(2, "b"), "a b c", false},
		{"overtaken twice", []Message{in(1, "a"), in(3, "c"), in(4, "d")}, in(2, "b"), "a b c d", false},
		{"never before staff", []Message{in(1, "a"), out, in(5, "e")}, in(2, "b"), "a staff answer b e", false},
		{"staff last", []Message{in(3, "c"), out}, in(2, "b"), "c staff answer b", true},
		{"no seq (web, email)", []Message{in(3, "c")}, Message{Direction: In, Channel: Telegram, Text: "x", At: at}, "c x", true},
		{"other channel", []Message{{Direction: In, Channel: Email, Text: "m", Seq: 9}}, in(2, "b"), "m b", true},
	}
	for _, c := range cases {
		q := &Inquiry{Messages: append([]Message{}, c.stored...)}
		got := q.Insert(c.add)
		var texts []string
		for _, m := range q.Messages {
			texts = append(texts, m.Text)
		}
		if strings.Join(texts, " ") != c.want || got != c.appended {
			t.Errorf("%s: %q appended=%t, want %q appended=%t", c.name, strings.Join(texts, " "), got, c.want, c.appended)
		}
	}
}

// Hostile labels: bidi overrides and control characters are removed, line
// breaks become spaces (issue 10, finding 11).
func TestCleanLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"\u2066Amina\u2069 Hassan", "Amina Hassan"},
		{"Re: help\r\nBcc: evil@example.org", "Re: help  Bcc: evil@example.org"},
		{"bell\x07 and null\x00 and del\x7f", "bell and null and del"},
		{"c1\u0085control", "c1control"},
		{"  سارة \u202Bأحمد\u202C ", "سارة أحمد"},
		{"plain name", "plain name"},
	} {
		if got := CleanLine(tc.in); got != tc.want {
			t.Errorf("CleanLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
