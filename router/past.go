package router

import "strconv"

// A danger told as long past is not an emergency: "ISIS took my two
// brothers in 2014", "two years ago my father tried to marry me off". A cue
// with a past date near it (years or months ago, last year, in 2014) and no
// word of now near it (now, tonight, today, still, again) is calmed; the
// urgency model does not flag a text dated in the past that nowhere speaks
// of now. "Two years ago he beat me, now he is beating me again" stays
// urgent.

// Word lists are written as people type them and normalized at start.
var (
	pastUnits = normSet("year", "years", "month", "months",
		"سنه", "سنتين", "سنين", "سنوات", "اشهر", "شهور", "عام", "اعوام",
		"ساڵ", "ساڵێک", "ساڵە", "مانگ", "مانگێک", "مانگە")
	pastAgo    = normSet("ago", "لەمەوبەر", "لەوەپێش", "پێش")
	pastBefore = normSet("قبل") // not من: "من سنتين يضربني" is "for two years", still going
	pastLast   = [][]string{
		norms("last", "year"), norms("السنه", "الماضيه"), norms("العام", "الماضي"), norms("السنه", "اللي", "فاتت"),
		norms("ساڵی", "ڕابردوو"), norms("پار"), norms("پارساڵ"),
	}
	// Words before a year: in 2014, since 2016, عام ٢٠١٤, ساڵی ٢٠١٤.
	pastYearLead = normSet("in", "since", "back", "عام", "سنه", "بعام", "بسنه", "في", "ب", "ساڵی", "لە")
	presentWords = normSet("now", "tonight", "today", "still", "again", "currently", "right", "moment",
		"هسه", "هسا", "الان", "هالحين", "الليله", "اليوم", "بعده", "حاليا", "مره", "ثانيه", "هالساعه",
		"ئێستا", "ئێستاش", "ئەمشەو", "ئەمڕۆ", "هێشتا", "دیسان", "دووبارە")
)

// Windows, in words, around a cue: a date this close is the cue's date, a
// word of now this close puts the cue in the present.
const (
	pastWindow    = 12
	presentWindow = 6
)

// pastAt returns the words that date the cue at pos in the past, or "" when
// it is not dated, or a word of now is near it.
func pastAt(toks []string, pos int) string {
	for i := max(0, pos-presentWindow); i < min(len(toks), pos+presentWindow+1); i++ {
		if presentWords[toks[i]] {
			return ""
		}
	}
	for i := max(0, pos-pastWindow); i < min(len(toks), pos+pastWindow+1); i++ {
		if m := pastMarker(toks, i); m != "" {
			return m
		}
	}
	return ""
}

// longPast is pastAt for the whole text (the urgency model has no
// position): dated in the past, and no word of now anywhere.
func longPast(toks []string) string {
	marker := ""
	for i, t := range toks {
		if presentWords[t] {
			return ""
		}
		if marker == "" {
			marker = pastMarker(toks, i)
		}
	}
	return marker
}

// pastMarker returns the past date that starts or ends at word i, if any.
func pastMarker(toks []string, i int) string {
	t := toks[i]
	switch {
	case pastAgo[t] && i > 0 && (pastUnits[toks[i-1]] || i > 1 && pastUnits[toks[i-2]]):
		return toks[i-1] + " " + t
	case pastBefore[t] && i+1 < len(toks) && (pastUnits[toks[i+1]] || i+2 < len(toks) && pastUnits[toks[i+2]]):
		return t + " " + toks[i+1]
	case pastYearLead[t] && i+1 < len(toks) && isPastYear(toks[i+1]):
		return t + " " + toks[i+1]
	}
	for _, seq := range pastLast {
		if hasSeq(toks, i, seq) {
			return t
		}
	}
	return ""
}

// isPastYear: a four-digit year from 1950 to 2099 (digits are ASCII after
// normalization). A future year in a plea for help is rare enough.
func isPastYear(t string) bool {
	y, err := strconv.Atoi(t)
	return err == nil && len(t) == 4 && y >= 1950 && y <= 2099
}

func hasSeq(toks []string, i int, seq []string) bool {
	if i+len(seq) > len(toks) {
		return false
	}
	for k, w := range seq {
		if toks[i+k] != w {
			return false
		}
	}
	return true
}

func norms(words ...string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		out = append(out, tokens(w)...)
	}
	return out
}

func normSet(words ...string) map[string]bool {
	s := map[string]bool{}
	for _, w := range norms(words...) {
		s[w] = true
	}
	return s
}
