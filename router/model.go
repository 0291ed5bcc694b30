package router

import "math"

// model is a multinomial naive Bayes classifier over normalized words and
// character 3–5-grams. Keywords decide most messages; the model decides the
// rest (no keyword, or a tie), because n-grams of words it has seen carry over
// to inflections and spellings nobody listed. It is trained once in New from
// the topics' keywords and the shipped example sentences, and only read after.
// The same kind of model, with two classes, judges urgency.
type model struct {
	nClass int
	index  map[uint64]int32 // feature -> row of logp
	logp   []float32        // row*nClass + class -> log P(feature | class)
}

// doc is one training text, its language and its class (topic index), and
// its features once computed (the topic and urgency models share them).
type doc struct {
	class int
	lang  string
	toks  []string
	feats []uint64
}

// alpha is the additive smoothing; small, because most features are rare.
const alpha = 0.1

func trainModel(nClass int, docs []doc) *model {
	m := &model{nClass: nClass, index: map[uint64]int32{}}
	// First the rows of every feature occurrence, then the counts, so the
	// count table is allocated once.
	var occ []int32 // row of each feature occurrence, doc after doc
	ends := make([]int, len(docs))
	var buf []uint64
	for di, d := range docs {
		feats := d.feats
		if feats == nil {
			buf = features(buf[:0], d.toks, d.lang)
			feats = buf
		}
		for _, h := range feats {
			row, ok := m.index[h]
			if !ok {
				row = int32(len(m.index))
				m.index[h] = row
			}
			occ = append(occ, row)
		}
		ends[di] = len(occ)
	}
	counts := make([]float32, len(m.index)*nClass)
	totals := make([]float64, nClass)
	start := 0
	for di, d := range docs {
		for _, row := range occ[start:ends[di]] {
			counts[int(row)*nClass+d.class]++
		}
		totals[d.class] += float64(ends[di] - start)
		start = ends[di]
	}
	v := float64(len(m.index))
	denom := make([]float64, nClass)
	zero := make([]float32, nClass) // log P of a feature never seen in the class
	for k := range denom {
		denom[k] = totals[k] + alpha*v
		zero[k] = float32(math.Log(alpha / denom[k]))
	}
	m.logp = make([]float32, len(counts))
	for i, c := range counts {
		k := i % nClass
		if c == 0 {
			m.logp[i] = zero[k]
		} else {
			m.logp[i] = float32(math.Log((float64(c) + alpha) / denom[k]))
		}
	}
	return m
}

// features appends the hashes of the features of a text (see eachFeature).
func features(dst []uint64, toks []string, lang string) []uint64 {
	return featuresOf(dst, toks, allCandidates(toks, lang))
}

// featuresOf is features with the candidates already computed. Route
// computes the features once for both models.
func featuresOf(dst []uint64, toks []string, cands [][]string) []uint64 {
	eachFeatureOf(toks, cands, func(h uint64) { dst = append(dst, h) })
	return dst
}

// posterior returns P(class | text) for every class (uniform priors) and the
// number of known features it rests on.
func (m *model) posterior(toks []string, lang string) ([]float64, int) {
	feats := features(nil, toks, lang)
	rows := make([]int32, len(feats))
	for i, h := range feats {
		rows[i] = -1
		if row, ok := m.index[h]; ok {
			rows[i] = row
		}
	}
	return m.posteriorRows(rows, nil)
}

// jointIndex maps a feature to its row in each of several models, so that
// Route looks every feature up once for both the topic and the urgency model.
type jointIndex struct {
	index map[uint64]int32 // feature -> joint row
	rows  [][]int32        // model -> joint row -> row in that model, or -1
}

func newJointIndex(models ...*model) *jointIndex {
	j := &jointIndex{index: map[uint64]int32{}, rows: make([][]int32, len(models))}
	for mi, m := range models {
		for h, row := range m.index {
			jr, ok := j.index[h]
			if !ok {
				jr = int32(len(j.index))
				j.index[h] = jr
				for k := range j.rows {
					j.rows[k] = append(j.rows[k], -1)
				}
			}
			j.rows[mi][jr] = row
		}
	}
	return j
}

// lookup appends the joint row of every known feature.
func (j *jointIndex) lookup(dst []int32, feats []uint64) []int32 {
	for _, h := range feats {
		if jr, ok := j.index[h]; ok {
			dst = append(dst, jr)
		}
	}
	return dst
}

// posteriorRows is posterior for features already looked up: rows holds the
// model's rows (-1: unknown), or joint rows translated through via.
func (m *model) posteriorRows(rows []int32, via []int32) ([]float64, int) {
	score := make([]float64, m.nClass)
	known := 0
	for _, row := range rows {
		if via != nil {
			row = via[row]
		}
		if row < 0 {
			continue
		}
		known++
		for k, v := range m.logp[int(row)*m.nClass : int(row+1)*m.nClass] {
			score[k] += float64(v)
		}
	}
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
	eachFeatureOf(toks, allCandidates(toks, lang), fn)
}

// eachFeatureOf is eachFeature with the candidates of every word (see
// allCandidates) already computed, as Route shares them with the matcher.
func eachFeatureOf(toks []string, cands [][]string, fn func(uint64)) {
	var starts [64]int
	for i, w := range toks {
		for _, c := range cands[i] {
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
