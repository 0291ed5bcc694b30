package router

import "math"

// model is a multinomial naive Bayes classifier over normalized words and
// character 3–5-grams. Keywords decide most messages; the model decides the
// rest (no keyword, or a tie), because n-grams of words it has seen carry over
// to inflections and spellings nobody listed. It is trained once in New from
// the topics' keywords and the shipped example sentences, and only read after.
type model struct {
	nClass int
	logp   map[uint64][]float32 // feature -> log P(feature | class)
}

// doc is one training text, its language and its class (topic index).
type doc struct {
	class int
	lang  string
	toks  []string
}

// alpha is the additive smoothing; small, because most features are rare.
const alpha = 0.1

func trainModel(nClass int, docs []doc) *model {
	counts := map[uint64][]float64{}
	totals := make([]float64, nClass)
	for _, d := range docs {
		eachFeature(d.toks, d.lang, func(h uint64) {
			c := counts[h]
			if c == nil {
				c = make([]float64, nClass)
				counts[h] = c
			}
			c[d.class]++
			totals[d.class]++
		})
	}
	v := float64(len(counts))
	m := &model{nClass: nClass, logp: make(map[uint64][]float32, len(counts))}
	for h, c := range counts {
		lp := make([]float32, nClass)
		for k := range lp {
			lp[k] = float32(math.Log((c[k] + alpha) / (totals[k] + alpha*v)))
		}
		m.logp[h] = lp
	}
	return m
}

// posterior returns P(class | text) for every class (uniform priors) and the
// number of known features it rests on.
func (m *model) posterior(toks []string, lang string) ([]float64, int) {
	score := make([]float64, m.nClass)
	known := 0
	eachFeature(toks, lang, func(h uint64) {
		lp, ok := m.logp[h]
		if !ok {
			return
		}
		known++
		for k, v := range lp {
			score[k] += float64(v)
		}
	})
	if known == 0 {
		for k := range score {
			score[k] = 1 / float64(m.nClass)
		}
		return score, 0
	}
	// Naive Bayes is overconfident because n-grams of one word are far from
	// independent; dividing by a temperature keeps posteriors comparable.
	temp := math.Max(1, float64(known)/8)
	best := math.Inf(-1)
	for _, s := range score {
		best = math.Max(best, s)
	}
	var sum float64
	for k, s := range score {
		score[k] = math.Exp((s - best) / temp)
		sum += score[k]
	}
	for k := range score {
		score[k] /= sum
	}
	return score, known
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// eachFeature calls fn with the hash of every feature of the words: the word
// itself, each clitic-stripped form, and its character 3-, 4- and 5-grams
// with word boundaries marked.
func eachFeature(toks []string, lang string, fn func(uint64)) {
	var cands []string
	var starts [64]int
	for _, w := range toks {
		cands = candidates(cands[:0], w, lang)
		for _, c := range cands {
			fn(hashString(1, c))
		}
		// Byte offsets of the runes of "\x02" + w + "\x03", and its end.
		w = truncRunes(w, len(starts)-4)
		n := 0
		starts[n] = 0
		n++
		for i := range w {
			starts[n] = i + 1
			n++
		}
		starts[n] = len(w) + 1
		starts[n+1] = len(w) + 2
		n += 2
		for g := 3; g <= 5; g++ {
			for i := 0; i+g < n; i++ {
				fn(hashPadded(uint64(g), w, starts[i], starts[i+g]))
			}
		}
	}
}

// truncRunes cuts s after max runes; long "words" (URLs, junk) need no more.
func truncRunes(s string, limit int) string {
	n := 0
	for i := range s {
		if n == limit {
			return s[:i]
		}
		n++
	}
	return s
}

// hashPadded hashes bytes [from, to) of "\x02" + w + "\x03" without building it.
func hashPadded(seed uint64, w string, from, to int) uint64 {
	h := uint64(fnvOffset) ^ seed
	h *= fnvPrime
	for i := from; i < to; i++ {
		var b byte
		switch {
		case i == 0:
			b = 2
		case i == len(w)+1:
			b = 3
		default:
			b = w[i-1]
		}
		h ^= uint64(b)
		h *= fnvPrime
	}
	return h
}

func hashString(seed uint64, s string) uint64 {
	h := uint64(fnvOffset) ^ seed
	h *= fnvPrime
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}
