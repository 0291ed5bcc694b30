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

// soraniWeight scores a rune as evidence of Sorani (positive) or Arabic
// (negative). The strong Sorani letters ڕ ڵ ۆ ێ ە exist only in Sorani; the
// weak ones also turn up in Iraqi Arabic (چ گ for colloquial sounds) or come
// from Persian keyboards (ی ک); Sorani spelling does not use ة ى ث ذ ض ظ,
// tanween or hamza on alef.
func soraniWeight(r rune) (w float64, strong bool) {
	switch r {
	case 'ڕ', 'ڵ', 'ۆ', 'ێ', 'ە':
		return 3, true
	case 'ڤ':
		return 2, false
	case 'پ', 'ژ':
		return 1.5, false
	case 'ی', 'ک':
		return 1, false
	case 'گ', 'چ':
		return 0.5, false
	case 'ة', 'ى', 'ث', 'ذ', 'ض', 'ظ', 'ً', 'ٌ', 'ٍ', 'إ', 'أ':
		return -2, false
	}
	return 0, false
}

// minWeakSorani is the weak evidence that makes Sorani of a text with none of
// the strong letters: one Iraqi گ or چ (0.5) is not enough ("يگولون").
const minWeakSorani = 1.5

// DetectLanguage tells English (Latin script), Arabic and Sorani Kurdish
// apart, and says why. Text with no letters is reported as "en".
func DetectLanguage(text string) (lang string, why string) {
	var latin, arabic int
	var ckb, ar float64
	var strongs, weak, arab []rune
	var prev, prev2 rune
	n := 0
	for _, r := range text {
		if n++; n > detectLimit {
			break
		}
		w, strong := soraniWeight(r)
		switch {
		case r == 0x200C && prev == 'ه':
			// Sorani typed on an Arabic keyboard writes ە as ه + ZWNJ.
			ckb += 3
			strongs = addRune(strongs, 'ە')
		case strong:
			ckb += w
			strongs = addRune(strongs, r)
		case w > 0:
			ckb += w
			weak = addRune(weak, r)
		case w < 0:
			ar -= w
			arab = addRune(arab, r)
		case r == 'ل' && prev == 'ا' && !isLetter(prev2):
			ar += 0.5 // the article ال at the start of a word
		}
		switch {
		case r < 0x80:
			if 'a' <= r|0x20 && r|0x20 <= 'z' {
				latin++
			}
		case r >= 0x0600 && r <= 0x06FF:
			if f := arabicBlock[r-0x0600]; f >= 0 && (f < '0' || f > '9') {
				arabic++
			}
		case isLetter(r) && unicode.Is(unicode.Latin, r):
			latin++
		case isLetter(r) && unicode.Is(unicode.Arabic, r):
			arabic++
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
	case ckb > ar && (len(strongs) > 0 || ckb >= minWeakSorani):
		if len(strongs) > 0 {
			return "ckb", "sorani letters " + joinRunes(strongs)
		}
		return "ckb", "kurdish/persian letters " + joinRunes(weak)
	case len(arab) > 0:
		return "ar", "arabic letters " + joinRunes(arab)
	default:
		return "ar", "arabic script, no sorani letters"
	}
}

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
