package router

import (
	"fmt"
	"strings"
	"unicode"
)

// Languages the router knows; a hint outside this set is ignored.
var languages = map[string]bool{"en": true, "ar": true, "ckb": true}

// detectLimit bounds the runes looked at: the script of a message is clear
// long before that, and a huge input must stay cheap.
const detectLimit = 4096

// Sorani letters that Arabic does not have. The strong ones are Sorani-only;
// the weak ones also turn up in Iraqi Arabic (چ گ for colloquial sounds) or
// come from Persian keyboards (ی ک).
var (
	soraniStrong = map[rune]bool{'ڕ': true, 'ڵ': true, 'ۆ': true, 'ێ': true, 'ە': true}
	soraniWeak   = map[rune]float64{'ڤ': 2, 'پ': 1.5, 'ژ': 1.5, 'ی': 1, 'ک': 1, 'گ': 0.5, 'چ': 0.5}
	// Letters Sorani spelling does not use: a sign of Arabic.
	arabicOnly = map[rune]bool{'ة': true, 'ى': true, 'ث': true, 'ذ': true, 'ض': true, 'ظ': true,
		'ً': true, 'ٌ': true, 'ٍ': true, 'إ': true, 'أ': true}
)

// DetectLanguage tells English (Latin script), Arabic and Sorani Kurdish
// apart, and says why. Text with no letters is reported as "en".
func DetectLanguage(text string) (lang string, why string) {
	var latin, arabic int
	var ckb, ar float64
	var strong, weak, arab []rune
	var prev, prev2 rune
	n := 0
	for _, r := range text {
		if n++; n > detectLimit {
			break
		}
		switch {
		case r == 0x200C && prev == 'ه':
			// Sorani typed on an Arabic keyboard writes ە as ه + ZWNJ.
			ckb += 3
			strong = addRune(strong, 'ە')
		case soraniStrong[r]:
			ckb += 3
			strong = addRune(strong, r)
		case soraniWeak[r] > 0:
			ckb += soraniWeak[r]
			weak = addRune(weak, r)
		case arabicOnly[r]:
			ar += 2
			arab = addRune(arab, r)
		case r == 'ل' && prev == 'ا' && !unicode.IsLetter(prev2):
			ar += 0.5 // the article ال at the start of a word
		}
		if unicode.IsLetter(r) {
			if unicode.Is(unicode.Latin, r) {
				latin++
			} else if unicode.Is(unicode.Arabic, r) {
				arabic++
			}
		}
		prev2, prev = prev, r
	}
	switch {
	case latin == 0 && arabic == 0:
		return "en", "no letters, default en"
	case latin > arabic:
		if arabic > 0 {
			return "en", fmt.Sprintf("latin script (%d latin, %d arabic-script letters)", latin, arabic)
		}
		return "en", "latin script"
	case ckb > ar:
		if len(strong) > 0 {
			return "ckb", "sorani letters " + joinRunes(strong)
		}
		return "ckb", "kurdish/persian letters " + joinRunes(weak)
	case len(arab) > 0:
		return "ar", "arabic letters " + joinRunes(arab)
	default:
		return "ar", "arabic script, no sorani letters"
	}
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
