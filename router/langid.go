package router

import (
	"fmt"
	"strings"
	"unicode"
)

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
	var word []rune
	flush := func() {
		if len(word) == 0 {
			return
		}
		w := "<" + string(word) + ">"
		dst = append(dst, uint32(hashString(21, w)&(dim-1)))
		rs := []rune(w)
		for g := 1; g <= 3; g++ {
			for i := 0; i+g <= len(rs); i++ {
				if g == 1 && (rs[i] == '<' || rs[i] == '>') {
					continue
				}
				dst = append(dst, uint32(hashString(uint64(21+g), string(rs[i:i+g]))&(dim-1)))
			}
		}
		word = word[:0]
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Mn, r) || r == 'ـ' || unicode.Is(unicode.Cf, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, unicode.ToLower(r))
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
	p := r.lang.probs(dedupe(langFeatures(nil, text)))
	k := argmax(p)
	return langClasses[k], fmt.Sprintf("model p=%.2f", p[k])
}
