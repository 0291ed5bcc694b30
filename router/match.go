package router

import (
	"fmt"
	"math/bits"
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

// term is one word of a keyword; several keywords share a term.
type term struct {
	id     int32
	policy suffixPolicy
}

// phrase is a keyword: a sequence of terms (wildcard = any 0–3 words), and
// for "A + B" keywords the terms of B, to be found within pairWindow words.
type phrase struct {
	terms  []int32
	second []int32
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
	pairWindow        = 8
)

// matcher finds every keyword of every topic (and the urgency cues) in a
// token list. Terms are looked up by each rune-boundary prefix of a word, so a
// word costs a handful of map lookups whatever the number of keywords.
type matcher struct {
	terms   map[string][]term
	termIDs map[string]int32 // key: policy byte + text, dedupes terms
	lens    []int            // byte lengths of terms, ascending
	phrases []phrase
	byFirst map[int32][]int
	// English spelling slips: every English keyword word of minFuzzy letters
	// or more, and each of its one-letter deletions, to the terms it spells;
	// and the words known to be spelled right (never looked up there).
	fuzzy map[string][]fuzzyTerm
	vocab map[string]bool
}

// fuzzyTerm is an English keyword word that a one-letter slip may spell.
type fuzzyTerm struct {
	id   int32
	word string
}

// minFuzzy is the length from which an English keyword word is also found
// misspelled by one letter (pasport, salery, trafficing, sucide).
const minFuzzy = 6

func newMatcher() *matcher {
	return &matcher{terms: map[string][]term{}, termIDs: map[string]int32{}, byFirst: map[int32][]int{},
		fuzzy: map[string][]fuzzyTerm{}, vocab: map[string]bool{}}
}

// add compiles one keyword. A word ending in * matches any word starting
// with it; a lone * stands for up to three words; "A + B" matches when both
// A and B occur, in either order, at most pairWindow words apart.
func (m *matcher) add(raw, lang string, owner int) error {
	p := phrase{owner: owner, lang: lang, raw: raw}
	parts := strings.Split(raw, " + ")
	if len(parts) > 2 {
		return fmt.Errorf("keyword %q: at most one + allowed", raw)
	}
	for i, part := range parts {
		ids, weight, err := m.compileTerms(part, lang)
		if err != nil {
			return fmt.Errorf("keyword %q: %w", raw, err)
		}
		p.weight += weight
		if i == 0 {
			p.terms = ids
		} else {
			p.second = ids
		}
	}
	m.phrases = append(m.phrases, p)
	m.byFirst[p.terms[0]] = append(m.byFirst[p.terms[0]], len(m.phrases)-1)
	return nil
}

func (m *matcher) compileTerms(raw, lang string) ([]int32, float64, error) {
	var ids []int32
	var weight float64
	for _, w := range strings.Fields(raw) {
		if w == "*" {
			if len(ids) == 0 {
				return nil, 0, fmt.Errorf("cannot start with *")
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
			ids = append(ids, m.termID(p, pol))
			weight++
		}
	}
	switch {
	case len(ids) == 0:
		return nil, 0, fmt.Errorf("has no letters or digits")
	case ids[len(ids)-1] == wildcard:
		return nil, 0, fmt.Errorf("cannot end with *")
	}
	return ids, weight, nil
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
func (m *matcher) termID(word string, pol suffixPolicy) int32 {
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
		if n >= minFuzzy && isASCII(word) {
			m.addFuzzy(word, word, id)
			for i := 0; i < n; i++ {
				m.addFuzzy(word[:i]+word[i+1:], word, id)
			}
		}
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

func (m *matcher) addFuzzy(key, word string, id int32) {
	for _, f := range m.fuzzy[key] {
		if f.id == id {
			return
		}
	}
	m.fuzzy[key] = append(m.fuzzy[key], fuzzyTerm{id, word})
}

// fuzzySuffixes are the endings taken off a misspelled word before it is
// compared with the keywords (pasports → pasport ~ passport).
var fuzzySuffixes = []string{"", "s", "es", "ed", "ing", "ers", "er"}

// lookupFuzzy appends the English terms that w, a word no keyword matched and
// no training sentence contains, misspells: after a common ending is taken
// off, one letter missing, extra, replaced, or two neighbours swapped, the
// first letter right. Candidates come from the deletion index; each is then
// checked, since two deletions can also meet at distance two.
func (m *matcher) lookupFuzzy(ids []int32, w string) []int32 {
	if len(w) < minFuzzy || !isASCII(w) || m.knownWord(w) {
		return ids
	}
	var buf [64]byte
	for _, suf := range fuzzySuffixes {
		stem, ok := strings.CutSuffix(w, suf)
		if !ok || len(stem) < minFuzzy-1 || len(stem) > len(buf) {
			continue
		}
		ids = m.fuzzyCands(ids, stem, stem)
		if len(stem) < minFuzzy {
			continue
		}
		for i := 0; i < len(stem); i++ {
			key := append(append(buf[:0], stem[:i]...), stem[i+1:]...)
			ids = m.fuzzyCands(ids, string(key), stem)
		}
	}
	return ids
}

// knownWord reports whether w, or w less a common ending, is a word of the
// training sentences: spelled right, so not a slip for a keyword.
func (m *matcher) knownWord(w string) bool {
	for _, suf := range fuzzySuffixes {
		if stem, ok := strings.CutSuffix(w, suf); ok && (m.vocab[stem] || m.vocab[stem+"e"]) {
			return true
		}
	}
	return false
}

func (m *matcher) fuzzyCands(ids []int32, key, stem string) []int32 {
	for _, f := range m.fuzzy[key] {
		if f.word[0] == stem[0] && !containsID(ids, f.id) && oneEdit(stem, f.word) {
			ids = append(ids, f.id)
		}
	}
	return ids
}

// oneEdit reports whether a and b (ASCII) differ by exactly one inserted,
// deleted or replaced letter, or one swap of neighbouring letters.
func oneEdit(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	switch len(b) - len(a) {
	case 0:
		if i == len(a) {
			return false // equal
		}
		if a[i+1:] == b[i+1:] {
			return true // replaced
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] // swapped
	case 1:
		return a[i:] == b[i+1:]
	}
	return false
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

// find returns the keywords present in toks (words of a text in language
// lang), each once, in text order.
func (m *matcher) find(toks []string, lang string) []hit {
	return m.findOf(toks, allCandidates(toks, lang), lang)
}

// findOf is find with the candidates of every word already computed.
func (m *matcher) findOf(toks []string, cands [][]string, lang string) []hit {
	wordTerms := make([][]int32, len(toks))
	for i, w := range toks {
		for _, c := range cands[i] {
			wordTerms[i] = m.lookup(wordTerms[i], c)
		}
		if len(wordTerms[i]) == 0 && lang == "en" {
			wordTerms[i] = m.lookupFuzzy(wordTerms[i], w)
		}
	}
	var hits []hit
	for i := range toks {
		for _, id := range wordTerms[i] {
			for _, p := range m.byFirst[id] {
				if seenPhrase(hits, p) {
					continue
				}
				ok, words := matchFrom(m.phrases[p].terms, wordTerms, i, 0)
				if !ok {
					continue
				}
				h := hit{p, i, words}
				if second := m.phrases[p].second; second != nil {
					if h, ok = findPair(h, second, wordTerms); !ok {
						continue
					}
				}
				hits = append(hits, h)
			}
		}
	}
	return hits
}

// findPair looks for the second part of a pair keyword near its first part
// (hit h), and returns the hit widened to cover both.
func findPair(h hit, second []int32, wordTerms [][]int32) (hit, bool) {
	span := bits.Len64(h.words)
	lo, hi := max(0, h.pos-pairWindow-len(second)), min(len(wordTerms), h.pos+span+pairWindow)
	for j := lo; j < hi; j++ {
		ok, words := matchFrom(second, wordTerms, j, 0)
		if !ok {
			continue
		}
		if j >= h.pos {
			words <<= j - h.pos
			if words&h.words == 0 {
				return hit{h.phrase, h.pos, h.words | words}, true
			}
		} else if d := h.pos - j; (h.words<<d)&words == 0 {
			return hit{h.phrase, j, h.words<<d | words}, true
		}
	}
	return h, false
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
		for skip := 0; skip <= maxWildcard && i+skip <= len(wordTerms); skip++ {
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

// Word-initial clitics stripped before lookup. Arabic: conjunctions,
// prepositions and the article. Sorani: verb prefixes (دە- present, نا-/نە-
// negation, مە- prohibitive, ب- subjunctive). Each set is used only on text
// of its language: Arabic ك- would turn Sorani کرێ (wage) into ري.
var (
	arabicProclitics = []string{
		"وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال",
		"وب", "ول", "فب", "فل", "وك", "و", "ف", "ب", "ل", "ك",
	}
	soraniProclitics = []string{"ده", "نا", "نه", "مه", "ناي", "ب"}
)

// candidates lists the forms of a word to look up: the word itself and, for
// Arabic script, the word without each clitic of the text's language it may
// start with (both sets when the text is not Arabic-script at all).
func candidates(out []string, w, lang string) []string {
	out = append(out, w)
	if w == "" || w[0] < 0x80 {
		return out
	}
	if lang != "ckb" {
		out = stripClitics(out, w, arabicProclitics)
	}
	if lang != "ar" {
		out = stripClitics(out, w, soraniProclitics)
	}
	return out
}

// allCandidates lists the candidates of every word of toks, in one backing
// array.
func allCandidates(toks []string, lang string) [][]string {
	out := make([][]string, len(toks))
	buf := make([]string, 0, 3*len(toks))
	for i, w := range toks {
		start := len(buf)
		buf = candidates(buf, w, lang)
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out
}

func stripClitics(out []string, w string, clitics []string) []string {
	for _, p := range clitics {
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
