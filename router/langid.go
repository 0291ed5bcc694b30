package router

import (
	"fmt"
	"strings"
	"unicode"
)

// Languages the router knows; a hint outside this set is ignored.
var languages = map[string]bool{"en": true, "ar": true, "ckb": true, "kmr": true}

// detectLimit bounds the runes looked at: the language of a message is
// clear long before that, and a huge input must stay cheap.
const detectLimit = 4096

// Language identification is a classifier of its own: the four languages
// share scripts (Kurmanji is written in Latin and in Arabic script, Arabic in
// Arabizi), so letters alone do not tell them apart, but their character
// n-grams do (Kurmanji "ê", "ji", "ez", Sorani "ەکە", "ێت", Arabizi "3", "7").
// Its features keep what matching folds away: the Sorani letters, the
// Kurmanji accents, digits inside words.
var langClasses = []string{"en", "ar", "ckb", "kmr"}

func langIndex(l string) int {
	for i, c := range langClasses {
		if c == l {
			return i
		}
	}
	return -1
}

// langFeatures hashes the words of the text as written (lower case, Arabic
// marks dropped) and their character 1- to 3-grams.
func langFeatures(dst []uint32, text string) []uint32 {
	text = clip(text, detectLimit)
	// Sorani typed on an Arabic keyboard writes ە as ه + ZWNJ.
	text = strings.ReplaceAll(text, "ه\u200c", "ە")
	word := make([]rune, 1, 64)
	word[0] = '<'
	flush := func() {
		if len(word) == 1 {
			return
		}
		word = append(word, '>')
		dst = append(dst, uint32(hashRunes(21, word)&(dim-1)))
		for g := 1; g <= 3; g++ {
			for i := 0; i+g <= len(word); i++ {
				if g == 1 && (i == 0 || i == len(word)-1) {
					continue
				}
				dst = append(dst, uint32(hashRunes(uint64(21+g), word[i:i+g])&(dim-1)))
			}
		}
		word = word[:1]
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Mn, r) || r == 'ـ' || unicode.Is(unicode.Cf, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(word) < 48 {
				word = append(word, unicode.ToLower(r))
			}
		default:
			flush()
		}
	}
	flush()
	return dst
}

// hasLetters reports whether text has any letter at all.
func hasLetters(text string) bool {
	for _, r := range clip(text, detectLimit) {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// detect names the language of text and why.
func (r *Router) detect(text string) (string, string) {
	if !hasLetters(text) {
		return "en", "no letters, default en"
	}
	p := r.lang.probs(idfTable(nil).vector(dedupe(langFeatures(nil, text))))
	k := argmax(p)
	return langClasses[k], fmt.Sprintf("model p=%.2f", p[k])
}

func hashRunes(seed uint64, rs []rune) uint64 {
	h := uint64(fnvOffset) ^ seed
	h *= fnvPrime
	for _, r := range rs {
		h ^= uint64(r)
		h *= fnvPrime
	}
	return mix(h)
}
