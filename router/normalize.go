package router

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns text in the form keywords are matched in: compatibility
// decomposition (so أ إ آ ؤ ئ and Arabic presentation forms lose their marks),
// no harakat or tatweel, one letter for each family of look-alikes (ى ی→ي,
// ک→ك, ة ە→ه, and Sorani ڕ ڵ ۆ ێ folded onto ر ل و ي because many people type
// Sorani on an Arabic keyboard), ASCII digits, lower-case Latin without accents,
// and every run of punctuation, symbols or spaces turned into one space.
func Normalize(text string) string {
	var b strings.Builder
	appendNormalized(&b, text)
	return strings.TrimSuffix(b.String(), " ")
}

// appendNormalized writes the normalized text into b, words separated by one
// space (a trailing space may remain).
func appendNormalized(b *strings.Builder, text string) {
	if !isASCII(text) {
		text = norm.NFKD.String(text)
	}
	b.Grow(len(text))
	space := true // suppresses leading and repeated spaces
	for _, r := range text {
		r = foldRune(r)
		switch {
		case r == dropRune:
		case r == utf8.RuneError, !unicode.IsLetter(r) && !unicode.IsDigit(r):
			if !space {
				b.WriteByte(' ')
				space = true
			}
		default:
			b.WriteRune(r)
			space = false
		}
	}
}

// tokens splits normalized text into words.
func tokens(text string) []string {
	var b strings.Builder
	appendNormalized(&b, text)
	return strings.Fields(b.String())
}

// dropRune marks a rune that is removed without splitting the word (marks,
// tatweel, zero-width joiners).
const dropRune = -1

func foldRune(r rune) rune {
	if r < 0x80 {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}
	switch {
	case r >= 0x0660 && r <= 0x0669: // Arabic-Indic digits
		return '0' + r - 0x0660
	case r >= 0x06F0 && r <= 0x06F9: // Persian (extended Arabic-Indic) digits
		return '0' + r - 0x06F0
	}
	switch r {
	case 0x0640, // tatweel
		0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF, 0x00AD, 0x2060: // joiners, direction marks, soft hyphen
		return dropRune
	case 'ٱ', 'ٲ', 'ٳ', 'ٵ': // alef forms NFKD leaves alone
		return 'ا'
	case 'ى', 'ی', 'ێ', 'ې', 'ۍ', 'ے':
		return 'ي'
	case 'ک', 'ڪ':
		return 'ك'
	case 'ة', 'ە', 'ھ', 'ہ', 'ۀ':
		return 'ه'
	case 'ڕ':
		return 'ر'
	case 'ڵ':
		return 'ل'
	case 'ۆ', 'ۇ', 'ۉ', 'ۊ':
		return 'و'
	case 'ß':
		return 's'
	}
	if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
		return dropRune // harakat, hamza above/below after NFKD, Latin accents
	}
	if unicode.Is(unicode.Cf, r) {
		return dropRune
	}
	return unicode.ToLower(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
