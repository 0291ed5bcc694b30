package router

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns text in the form keywords are matched in: no harakat or
// tatweel, hamza carriers and alef forms reduced to their base letter
// (أ إ آ ٱ→ا, ؤ→و, ئ→ي), one letter for each family of look-alikes (ى ی→ي,
// ک→ك, ة ە→ه, and Sorani ڕ ڵ ۆ ێ folded onto ر ل و ي because many people type
// Sorani on an Arabic keyboard), ASCII digits, compatibility forms decomposed
// (Arabic presentation forms, ligatures, accented Latin), lower case, and
// every run of punctuation, symbols or spaces turned into one space.
func Normalize(text string) string {
	var b strings.Builder
	appendNormalized(&b, text)
	return strings.TrimSuffix(b.String(), " ")
}

// tokens splits text into normalized words.
func tokens(text string) []string {
	var b strings.Builder
	appendNormalized(&b, text)
	return strings.Fields(b.String())
}

// appendNormalized writes the normalized text into b, words separated by one
// space (a trailing space may remain).
func appendNormalized(b *strings.Builder, text string) {
	b.Grow(len(text))
	space := true // suppresses leading and repeated spaces
	emit := func(r rune) {
		switch r = foldRune(r); {
		case r == dropRune:
		case r == sepRune:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		default:
			b.WriteRune(r)
			space = false
		}
	}
	for _, r := range text {
		if needsDecomposition(r) {
			// Rare: decompose this rune alone, so the common path stays cheap.
			for _, d := range norm.NFKD.String(string(r)) {
				emit(d)
			}
			continue
		}
		emit(r)
	}
}

// Runes foldRune returns to say "remove" and "split words here".
const (
	dropRune = -1
	sepRune  = -2
)

// arabicBlock classifies U+0600–U+06FF once, instead of scanning Unicode
// range tables for every rune of every message.
var arabicBlock [256]rune

func init() {
	for i := range arabicBlock {
		r := rune(0x0600 + i)
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
			arabicBlock[i] = dropRune
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			arabicBlock[i] = r
		default:
			arabicBlock[i] = sepRune
		}
	}
	for r, to := range arabicFolds {
		arabicBlock[r-0x0600] = to
	}
	for i := rune(0); i < 10; i++ {
		arabicBlock[0x0660+i-0x0600] = '0' + i // Arabic-Indic digits
		arabicBlock[0x06F0+i-0x0600] = '0' + i // Persian digits
	}
}

var arabicFolds = map[rune]rune{
	'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 'ٲ': 'ا', 'ٳ': 'ا', 'ٵ': 'ا',
	'ؤ': 'و', 'ئ': 'ي', 'ۓ': 'ي',
	'ى': 'ي', 'ی': 'ي', 'ێ': 'ي', 'ې': 'ي', 'ۍ': 'ي', 'ے': 'ي',
	'ک': 'ك', 'ڪ': 'ك',
	'ة': 'ه', 'ە': 'ه', 'ھ': 'ه', 'ہ': 'ه', 'ۀ': 'ه', 'ۂ': 'ه',
	'ڕ': 'ر', 'ڵ': 'ل',
	'ۆ': 'و', 'ۇ': 'و', 'ۉ': 'و', 'ۊ': 'و',
	'ـ': dropRune, // tatweel
}

// foldRune maps a rune to its matching form, dropRune or sepRune.
func foldRune(r rune) rune {
	switch {
	case r < 0x80:
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A')
		}
		return sepRune
	case r >= 0x0600 && r <= 0x06FF:
		return arabicBlock[r-0x0600]
	case r == utf8.RuneError:
		return sepRune
	case r == 'ß':
		return 's'
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), unicode.Is(unicode.Cf, r):
		return dropRune // marks, zero-width joiners, direction marks
	case unicode.IsLetter(r), unicode.IsDigit(r):
		return unicode.ToLower(r)
	}
	return sepRune
}

// needsDecomposition reports runes whose compatibility decomposition matters
// for matching: accented Latin, Arabic presentation forms and ligatures,
// full-width forms, and decomposable marks outside the Arabic block.
func needsDecomposition(r rune) bool {
	switch {
	case r < 0xC0:
		return false
	case r <= 0x24F, r >= 0x1E00 && r <= 0x1EFF: // Latin with diacritics
		return true
	case r >= 0xFB00 && r <= 0xFDFF, r >= 0xFE70 && r <= 0xFEFF: // presentation forms
		return true
	case r >= 0xFF00 && r <= 0xFFEF: // full-width and half-width forms
		return true
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
