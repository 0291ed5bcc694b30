package bot

import (
	"strings"
	"testing"
)

func TestTextLenCountsAsTelegram(t *testing.T) {
	for _, c := range []struct {
		s string
		n int
	}{{"abc", 3}, {"مرحبا", 5}, {"🙂", 2}, {"a🙂b", 4}, {"é", 1}, {"e\u0301", 2}} {
		if got := TextLen(c.s); got != c.n {
			t.Errorf("TextLen(%q) = %d, want %d", c.s, got, c.n)
		}
	}
}

func TestSplit(t *testing.T) {
	lines := strings.Repeat("a line of text\n", 10) // 150 units
	parts := Split(lines, 40)
	for _, p := range parts {
		if TextLen(p) > 40 || strings.HasPrefix(p, "\n") || strings.HasSuffix(p, "\n") {
			t.Errorf("part %q: over the limit or not cut at a line", p)
		}
	}
	if got := strings.Join(parts, "\n"); got != strings.TrimSuffix(lines, "\n") {
		t.Errorf("rejoined %q", got)
	}

	words := strings.Repeat("word ", 30)
	for _, p := range Split(words, 23) {
		if TextLen(p) > 23 || strings.Contains(p, "wor ") || strings.HasPrefix(p, "ord") {
			t.Errorf("word part %q", p)
		}
	}

	// No space at all: cut between characters, never inside a surrogate pair.
	emoji := strings.Repeat("🙂", 10) // 20 units
	parts = Split(emoji, 5)
	if strings.Join(parts, "") != emoji {
		t.Errorf("emoji parts %q", parts)
	}
	for _, p := range parts {
		if TextLen(p) > 5 || !strings.HasPrefix(p, "🙂") {
			t.Errorf("emoji part %q", p)
		}
	}
	if got := Split("short", 4096); len(got) != 1 || got[0] != "short" {
		t.Errorf("short text split into %q", got)
	}
}

func TestClip(t *testing.T) {
	if got := Clip("abcdef", 4); got != "abc…" {
		t.Errorf("Clip = %q", got)
	}
	if got := Clip("🙂🙂🙂", 4); got != "🙂…" || TextLen(got) > 4 {
		t.Errorf("Clip emoji = %q", got)
	}
	if got := Clip("ok", 4); got != "ok" {
		t.Errorf("Clip short = %q", got)
	}
}
