package router

import (
	"strings"
	"unicode"
)

// Languages the router knows; a hint outside this set is ignored.
var languages = map[string]bool{"en": true, "ar": true, "ckb": true, "kmr": true}

// detectLimit bounds the runes looked at: the script of a message is clear
// long before that, and a huge input must stay cheap.
const detectLimit = 4096

func isLetter(r rune) bool {
	if r < 0x80 {
		return 'a' <= r|0x20 && r|0x20 <= 'z'
	}
	return unicode.IsLetter(r)
}

// addRune keeps up to four distinct examples for the explanation.
func addRune(set []rune, r rune) []rune {
	if len(set) >= 4 {
		return set
	}
	for _, s := range set {
		if s == r {
			return set
		}
	}
	return append(set, r)
}

func joinRunes(rs []rune) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}
