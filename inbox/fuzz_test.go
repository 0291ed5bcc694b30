package inbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// fuzzLimits are small so the fuzzer reaches them.
var fuzzLimits = Limits{MaxBytes: 1 << 16, MaxParts: 20, MaxDepth: 5, MaxTextChars: 2000}

// FuzzNormalize: any bytes give a Mail that is safe to store.
// Crashers found are kept in testdata/fuzz/FuzzNormalize.
func FuzzNormalize(f *testing.F) {
	files, _ := filepath.Glob("testdata/mail/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"", "\r\n\r\n", "From: a@b\r\n\r\n", "From a@b Mon Jan 1\r\nFrom: x@y\r\n\r\nbody",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
		"Content-Type: text/html\r\n\r\n<a href=x><a href=y>z</a></a><blockquote><blockquote>q",
		"Content-Type: text/plain; charset=x-mac-arabic\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
		"Subject: =?utf-8?B?" + strings.Repeat("A", 100) + "?=\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Normalize(raw, fuzzLimits)
		for what, s := range map[string]string{"Text": m.Text, "Body": m.Body, "Subject": m.Subject, "Name": m.Name, "From": m.From} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", what, s)
			}
			if strings.ContainsRune(s, 0) {
				t.Fatalf("%s holds a NUL", what)
			}
		}
		if n := utf8.RuneCountInString(m.Body); n > fuzzLimits.MaxTextChars {
			t.Fatalf("body of %d characters", n)
		}
		if strings.Contains(m.Text+m.Body, quoteMark) {
			t.Fatal("a quote mark leaked")
		}
		if len(m.Attachments) > 50 || len(m.Thread()) > maxThreadIDs {
			t.Fatalf("%d attachments, %d thread ids", len(m.Attachments), len(m.Thread()))
		}
		if m.From != "" && (strings.Count(m.From, "@") != 1 || m.From != strings.ToLower(m.From) || strings.ContainsFunc(m.From, unicode.IsSpace)) {
			t.Fatalf("From = %q", m.From)
		}
		if m.MessageID != "" && (!strings.HasPrefix(m.MessageID, "<") || !strings.HasSuffix(m.MessageID, ">")) {
			t.Fatalf("MessageID = %q", m.MessageID)
		}
		if again := Normalize(raw, fuzzLimits); again.Key() != m.Key() || again.Text != m.Text {
			t.Fatal("Normalize is not deterministic")
		}
	})
}

// FuzzThread: the threading parser returns well-formed, unique ids, and
// reading its own output gives the same ids.
// Crashers found are kept in testdata/fuzz/FuzzThread.
func FuzzThread(f *testing.F) {
	for _, s := range []string{
		"<a@b>", "<a@b> <c@d>", "<a@b>,<c@d>", "a@b c@d", "<a@b> (comment <x@y>)", `"phrase" <a@b>`,
		"<<a@b>>", "<a@b", "<>", "(((", ")<a@b>(", "<a @b>", "<a\r\n\t@b>", "\x00<a@b>", "<ä@ü>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ids := ParseMessageIDs(v)
		if len(ids) > maxIDsParsed {
			t.Fatalf("%d ids", len(ids))
		}
		seen := map[string]bool{}
		for _, id := range ids {
			inner := strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
			if len(id) < 5 || id[0] != '<' || id[len(id)-1] != '>' || strings.ContainsAny(inner, "<>()\\\", ;") ||
				strings.ContainsFunc(inner, func(r rune) bool { return r < 0x21 || r == 0x7f || unicode.IsSpace(r) }) ||
				!strings.Contains(inner, "@") || len(inner) > maxMessageIDLen || !utf8.ValidString(id) {
				t.Fatalf("bad id %q from %q", id, v)
			}
			if seen[id] {
				t.Fatalf("duplicate id %q", id)
			}
			seen[id] = true
		}
		if again := ParseMessageIDs(strings.Join(ids, " ")); strings.Join(again, " ") != strings.Join(ids, " ") {
			t.Fatalf("not stable: %q -> %q", ids, again)
		}
		// What the desk stores for a thread is bounded.
		if th := Thread(ids, ids); len(th) > maxThreadIDs {
			t.Fatalf("thread of %d", len(th))
		}
	})
}

// FuzzTrimReply: trimming never invents text: every line it keeps is a
// line of the input.
func FuzzTrimReply(f *testing.F) {
	f.Add("Yes.\n\nOn Mon, X <x@y> wrote:\n> q\n")
	f.Add("> q\nanswer\n-- \nsig")
	f.Add("من: x\nتاريخ الإرسال: y\nإلى: z\n")
	f.Fuzz(func(t *testing.T, s string) {
		out := TrimReply(s)
		lines := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			lines[l] = true
			lines[strings.TrimSpace(l)] = true
		}
		for _, l := range strings.Split(out, "\n") {
			if l != "" && !lines[l] && !lines[strings.TrimSpace(l)] && !strings.Contains(s, l) {
				t.Fatalf("invented line %q", l)
			}
		}
	})
}

func TestOutboxFieldAgrees(t *testing.T) {
	o := queue.Outbound{ID: "x1", Channel: inquiry.Email, To: "a@example.org", Text: "hi", Attempts: 2}
	s, err := encodeOutbound(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := queue.DecodeOutbound(map[string]any{outboxField: s})
	if err != nil || got.ID != "x1" || got.Attempts != 2 {
		t.Fatalf("decoded %+v, %v", got, err)
	}
}
