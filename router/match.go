package router

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How much of a word may follow a keyword's stem. Keywords are written in
// their dictionary form; the policy lets them match inflected words without a
// stemmer: "farmer" matches "farmers", "مزارع" matches "مزارعين", and the
// Sorani "پەنابەر" matches "پەنابەرێکی".
type suffixPolicy uint8

const (
	sufExact suffixPolicy = iota // nothing may follow
	sufAny                       // keyword written with a trailing *, or a long Sorani stem
	sufEN
	sufAR
	sufCKB
)

var suffixSets = map[suffixPolicy]map[string]bool{
	sufEN:  set("", "s", "es", "ed", "d", "ing", "er", "ers", "ly"),
	sufAR:  arabicSuffixes(),
	sufCKB: soraniSuffixes(),
}

// arabicSuffixes: attached pronouns, plural and feminine endings, verb
// endings, and a plural or verb ending followed by a pronoun.
func arabicSuffixes() map[string]bool {
	pron := []string{"ي", "ني", "ك", "ه", "ها", "هم", "هما", "هن", "كم", "كن", "نا"}
	num := []string{"ات", "ون", "ين", "ان", "يه", "يون", "يين", "تان", "تين", "وا", "و", "ت", "تم", "تي", "وه", "يات", "ا"}
	s := set("")
	for _, p := range pron {
		s[p] = true
	}
	for _, n := range num {
		s[n] = true
		for _, p := range pron {
			s[n+p] = true
		}
	}
	return s
}

// soraniSuffixes: definite/indefinite/plural markers, then possessive or
// postpositional clitics, plus common verb endings. Used for Sorani keywords
// too short to match as bare prefixes (a word like کار must not match کارگە).
func soraniSuffixes() map[string]bool {
	det := []string{"", "ه", "ي", "هكه", "هكان", "كه", "كان", "يك", "ان", "يهك", "هك", "يكي", "اني"}
	clit := []string{"", "م", "ت", "ي", "مان", "تان", "يان", "ميان", "تيان", "مانيان", "ش", "يش", "دا", "هوه", "وه", "هوهدا", "ن", "ين", "يت", "ووه", "وو", "ووم", "ووين"}
	s := map[string]bool{}
	for _, d := range det {
		for _, c := range clit {
			s[d+c] = true
		}
	}
	return s
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

// Word-initial clitics stripped from Arabic-script words before lookup:
// Arabic conjunctions, prepositions and the article, and Sorani verb prefixes
// (دە- present, نا-/نە- negation, مە- prohibitive, ب- subjunctive).
var proclitics = []string{
	"وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال",
	"وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك",
	"ده", "نا", "نه", "مه", "ناي",
}

// term is one word of a keyword; several keywords share a term.
type term struct {
	id     int32
	policy suffixPolicy
}

// phrase is a keyword: a sequence of terms (wildcard = any 1–3 words).
type phrase struct {
	terms  []int32
	owner  int // topic index, ownerUrgent or ownerCalm
	lang   string
	raw    string
	weight float64
}

const (
	wildcard    int32 = -1
	ownerUrgent       = -1 // an urgency cue, not a topic keyword
	ownerCalm         = -2 // a phrase that cancels the cues it overlaps
	maxWildcard       = 3
)

// matcher finds every keyword of every topic (and the urgency cues) in a
// token list. Terms are looked up by each rune-boundary prefix of a word, so a
// word costs a handful of map lookups whatever the number of keywords.
type matcher struct {
	terms     map[string][]term
	termIDs   map[string]int32 // key: policy byte + text, dedupes terms
	lens      []int            // byte lengths of terms, ascending
	phrases   []phrase
	byFirst   map[int32][]int
	maxPhrase int
}

func newMatcher() *matcher {
	return &matcher{terms: map[string][]term{}, termIDs: map[string]int32{}, byFirst: map[int32][]int{}}
}

// add compiles one keyword. A word ending in * matches any word starting
// with it; a lone * stands for one to three words.
func (m *matcher) add(raw, lang string, owner int) error {
	var ids []int32
	var weight float64
	for _, w := range strings.Fields(raw) {
		if w == "*" {
			if len(ids) == 0 {
				return fmt.Errorf("keyword %q: cannot start with *", raw)
			}
			ids = append(ids, wildcard)
			continue
		}
		prefix := strings.HasSuffix(w, "*")
		parts := tokens(strings.TrimRight(w, "*"))
		for i, p := range parts {
			pol := defaultPolicy(p, lang)
			if prefix && i == len(parts)-1 {
				pol = sufAny
			}
			ids = append(ids, m.termID(p, pol, lang))
			weight++
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("keyword %q has no letters or digits", raw)
	}
	if ids[len(ids)-1] == wildcard {
		return fmt.Errorf("keyword %q: cannot end with *", raw)
	}
	m.phrases = append(m.phrases, phrase{terms: ids, owner: owner, lang: lang, raw: raw, weight: weight})
	m.byFirst[ids[0]] = append(m.byFirst[ids[0]], len(m.phrases)-1)
	return nil
}

func defaultPolicy(word, lang string) suffixPolicy {
	if !hasArabicScript(word) {
		if lang == "en" || isASCII(word) {
			if isDigits(word) {
				return sufExact
			}
			return sufEN
		}
		return sufExact
	}
	if lang == "ckb" {
		if utf8.RuneCountInString(word) >= 4 {
			return sufAny
		}
		return sufCKB
	}
	return sufAR
}

// termID registers a term and the spelling variants its inflections need.
func (m *matcher) termID(word string, pol suffixPolicy, lang string) int32 {
	key := string(rune('0'+pol)) + word
	if id, ok := m.termIDs[key]; ok {
		return id
	}
	id := int32(len(m.termIDs))
	m.termIDs[key] = id
	if pol != sufAR {
		m.addForm(word, term{id, pol})
	}
	switch pol {
	case sufEN:
		n := len(word)
		if n < 3 {
			break
		}
		last := word[n-1]
		switch {
		case last == 'y' && !strings.ContainsRune("aeiou", rune(word[n-2])):
			m.addForm(word[:n-1]+"i", term{id, pol}) // baby → babies, carry → carried
		case last == 'e':
			m.addForm(word[:n-1], term{id, pol}) // rescue → rescuing
		case !strings.ContainsRune("aeiouwxy", rune(last)) && strings.ContainsRune("aeiou", rune(word[n-2])):
			m.addForm(word+string(last), term{id, pol}) // stop → stopped
		}
	case sufAR:
		m.addArabicForms(word, term{id, pol})
		// The article is optional: words lose it when their clitics are stripped.
		if bare, ok := strings.CutPrefix(word, "ال"); ok && utf8.RuneCountInString(bare) >= 3 {
			m.addArabicForms(bare, term{id, pol})
		}
	}
	return id
}

// addArabicForms registers word and, as ة (normalized to ه) turns into ت
// before a suffix and into ات in the plural, those spellings too.
func (m *matcher) addArabicForms(word string, t term) {
	m.addForm(word, t)
	if stem, ok := strings.CutSuffix(word, "ه"); ok && utf8.RuneCountInString(stem) >= 2 {
		m.addForm(stem+"ت", t)
		m.addForm(stem+"ات", t)
	}
}

func (m *matcher) addForm(form string, t term) {
	for _, old := range m.terms[form] {
		if old == t {
			return
		}
	}
	if _, seen := m.terms[form]; !seen {
		m.lens = insertSorted(m.lens, len(form))
	}
	m.terms[form] = append(m.terms[form], t)
}

func insertSorted(xs []int, x int) []int {
	for i, v := range xs {
		if v == x {
			return xs
		}
		if v > x {
			return append(xs[:i], append([]int{x}, xs[i:]...)...)
		}
	}
	return append(xs, x)
}

// hit is one keyword found in the text: it starts at word pos, and bit k of
// words is set when word pos+k is one of its (non-wildcard) words.
type hit struct {
	phrase int
	pos    int
	words  uint64
}

// find returns the keywords present in toks, each once, in text order.
func (m *matcher) find(toks []string) []hit {
	wordTerms := make([][]int32, len(toks))
	var cands []string
	for i, w := range toks {
		cands = candidates(cands[:0], w)
		for _, c := range cands {
			wordTerms[i] = m.lookup(wordTerms[i], c)
		}
	}
	var hits []hit
	for i := range toks {
		for _, id := range wordTerms[i] {
			for _, p := range m.byFirst[id] {
				if seenPhrase(hits, p) {
					continue
				}
				if ok, words := matchFrom(m.phrases[p].terms, wordTerms, i, 0); ok {
					hits = append(hits, hit{p, i, words})
				}
			}
		}
	}
	return hits
}

func seenPhrase(hits []hit, p int) bool {
	for _, h := range hits {
		if h.phrase == p {
			return true
		}
	}
	return false
}

// lookup appends the ids of every term that word c is an inflection of.
func (m *matcher) lookup(ids []int32, c string) []int32 {
	for _, n := range m.lens {
		if n > len(c) {
			break
		}
		if n < len(c) && !utf8.RuneStart(c[n]) {
			continue
		}
		ts, ok := m.terms[c[:n]]
		if !ok {
			continue
		}
		rest := c[n:]
		for _, t := range ts {
			if suffixOK(t.policy, rest) && !containsID(ids, t.id) {
				ids = append(ids, t.id)
			}
		}
	}
	return ids
}

func suffixOK(pol suffixPolicy, rest string) bool {
	switch pol {
	case sufAny:
		return true
	case sufExact:
		return rest == ""
	default:
		return suffixSets[pol][rest]
	}
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// matchFrom reports whether terms match the words from i on; off is i's
// offset from the phrase start, and the mask marks the words matched.
func matchFrom(terms []int32, wordTerms [][]int32, i, off int) (bool, uint64) {
	if len(terms) == 0 {
		return true, 0
	}
	if off >= 64 {
		return false, 0
	}
	if terms[0] == wildcard {
		for skip := 1; skip <= maxWildcard && i+skip <= len(wordTerms); skip++ {
			if ok, words := matchFrom(terms[1:], wordTerms, i+skip, off+skip); ok {
				return true, words
			}
		}
		return false, 0
	}
	if i >= len(wordTerms) || !containsID(wordTerms[i], terms[0]) {
		return false, 0
	}
	ok, words := matchFrom(terms[1:], wordTerms, i+1, off+1)
	return ok, words | 1<<off
}

// candidates lists the forms of a word to look up: the word itself and, for
// Arabic script, the word without each clitic it may start with.
func candidates(out []string, w string) []string {
	out = append(out, w)
	if w == "" || w[0] < 0x80 {
		return out
	}
	for _, p := range proclitics {
		if rest, ok := strings.CutPrefix(w, p); ok && utf8.RuneCountInString(rest) >= 3 {
			out = append(out, rest)
		}
	}
	return out
}

func hasArabicScript(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
