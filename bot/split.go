package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxText is the most a Telegram message holds, in UTF-16 code units: the
// Bot API counts text as JavaScript does, so a character outside the Basic
// Multilingual Plane (most emoji) counts twice.
const MaxText = 4096

// TextLen is the length of s as Telegram counts it.
func TextLen(s string) int {
	n := 0
	for _, r := range s {
		n += runeLen(r)
	}
	return n
}

func runeLen(r rune) int {
	if r >= 0x10000 && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

// Split cuts text into parts of at most limit UTF-16 code units, at a line
// break if there is one in the second half of a part, else at a space,
// else between characters. The separator a part ends at is dropped.
func Split(text string, limit int) []string {
	if limit <= 0 {
		limit = MaxText
	}
	var parts []string
	rest := text
	for TextLen(rest) > limit {
		// fit: the byte length of the longest prefix within limit.
		fit, n := 0, 0
		for i, r := range rest {
			if n+runeLen(r) > limit {
				fit = i
				break
			}
			n += runeLen(r)
		}
		if fit == 0 { // a limit below one character: take one anyway
			_, fit = utf8.DecodeRuneInString(rest)
		}
		head := rest[:fit]
		cut, skip := -1, 0
		if i := strings.LastIndexByte(head, '\n'); i > len(head)/2 {
			cut, skip = i, 1
		} else if i := strings.LastIndexFunc(head, unicode.IsSpace); i > len(head)/2 {
			_, size := utf8.DecodeRuneInString(head[i:])
			cut, skip = i, size
		}
		if cut < 0 {
			cut = fit
		}
		// Telegram trims each message: drop the blank edges of a part.
		if p := strings.TrimRight(rest[:cut], " \t\r\n"); p != "" {
			parts = append(parts, p)
		}
		rest = strings.TrimLeft(rest[cut+skip:], "\r\n")
	}
	if p := strings.TrimRight(rest, " \t\r\n"); p != "" || len(parts) == 0 {
		parts = append(parts, p)
	}
	return parts
}

// Clip shortens text to at most limit UTF-16 code units, ending with "…".
func Clip(text string, limit int) string {
	if TextLen(text) <= limit {
		return text
	}
	n := 0
	for i, r := range text {
		if n+runeLen(r) > limit-1 {
			return text[:i] + "…"
		}
		n += runeLen(r)
	}
	return text
}
