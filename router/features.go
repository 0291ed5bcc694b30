package router

import "sync"

// The classifier's features are hashed into dim buckets ("the hashing
// trick"): no vocabulary to store, and any word the training data never saw
// still lands somewhere, sharing its character n-grams with the words it
// resembles. 2^17 buckets hold the corpus's features with few collisions
// that matter (2^18 measured no better on the validation split) and keep the
// topic model's weights at 8 MB.
const (
	dimBits = 17
	dim     = 1 << dimBits
)

// Character n-grams of minGram to maxGram runes.
const minGram, maxGram = 3, 5

// Feature kinds, the seed of each kind's hash.
const (
	kindWord   = 1 // a word, or a word with an Arabic or Sorani clitic stripped
	kindBigram = 2 // two neighbouring words
	kindGram   = 3 // character 3-, 4- and 5-grams, seeds 3+g
	kindRule   = 9 // a keyword rule that fired (kw:TOPIC, cue:urgent, ...)
)

// feature is one feature as walkFeatures finds it: its hash, and what its
// name is made of (built only when a name is wanted).
type feature struct {
	h        uint64
	kind     uint8
	a, b     string
	from, to int
}

func (f feature) bucket() uint32 { return uint32(f.h & (dim - 1)) }

func (f feature) name() string {
	switch f.kind {
	case kindWord:
		return "w:" + f.a
	case kindBigram:
		return "b:" + f.a + "_" + f.b
	case kindGram:
		return "g:" + padded(f.a)[f.from:f.to]
	}
	return f.a
}

// featureSink receives the features of a text; a type parameter rather than
// a func value, so the hot path allocates nothing per feature.
type featureSink interface{ add(feature) }

// walkFeatures finds the features of a text's words and of the rules that
// fired on it: each word and clitic-stripped form, each pair of neighbouring
// words, the character 3- to 5-grams of each word with its boundaries marked
// ("<" and ">"), and each rule.
func walkFeatures[S featureSink](sink S, toks []string, cands [][]string, rules []string) {
	var starts [64]int
	for i, w := range toks {
		for _, c := range cands[i] {
			sink.add(feature{h: hashString(kindWord, c), kind: kindWord, a: c})
		}
		if i+1 < len(toks) {
			sink.add(feature{h: hashPair(kindBigram, w, toks[i+1]), kind: kindBigram, a: w, b: toks[i+1]})
		}
		// Byte offsets of the runes of "<" + w + ">", and its end.
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
		for g := minGram; g <= maxGram; g++ {
			for i := 0; i+g < n; i++ {
				from, to := starts[i], starts[i+g]
				sink.add(feature{h: hashPadded(uint64(kindGram+g), w, from, to), kind: kindGram, a: w, from: from, to: to})
			}
		}
	}
	for _, r := range rules {
		sink.add(feature{h: hashString(kindRule, r), kind: kindRule, a: r})
	}
}

type bucketSink struct{ dst *[]uint32 }

func (s bucketSink) add(f feature) { *s.dst = append(*s.dst, f.bucket()) }

type nameSink struct{ names map[uint32]string }

func (s nameSink) add(f feature) {
	if name, ok := s.names[f.bucket()]; ok && name == "" {
		s.names[f.bucket()] = f.name()
	}
}

// textFeatures appends the distinct buckets of a text's features.
func textFeatures(dst []uint32, toks []string, cands [][]string, rules []string) []uint32 {
	walkFeatures(bucketSink{&dst}, toks, cands, rules)
	return dedupe(dst)
}

// nameFeatures fills in the names of the buckets in names (the few an
// explanation shows), walking the text's features again.
func nameFeatures(names map[uint32]string, toks []string, cands [][]string, rules []string) {
	walkFeatures(nameSink{names}, toks, cands, rules)
}

func padded(w string) string { return "<" + w + ">" }

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

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashPadded hashes bytes [from, to) of "<" + w + ">" without building it.
func hashPadded(seed uint64, w string, from, to int) uint64 {
	h := uint64(fnvOffset) ^ seed
	h *= fnvPrime
	for i := from; i < to; i++ {
		var b byte
		switch {
		case i == 0:
			b = '<'
		case i == len(w)+1:
			b = '>'
		default:
			b = w[i-1]
		}
		h ^= uint64(b)
		h *= fnvPrime
	}
	return mix(h)
}

func hashString(seed uint64, s string) uint64 {
	h := uint64(fnvOffset) ^ seed
	h *= fnvPrime
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mix(h)
}

// hashPair hashes a + "\x00" + b without building it.
func hashPair(seed uint64, a, b string) uint64 {
	h := uint64(fnvOffset) ^ seed
	h *= fnvPrime
	for i := 0; i < len(a); i++ {
		h ^= uint64(a[i])
		h *= fnvPrime
	}
	h *= fnvPrime // the separator, a zero byte
	for i := 0; i < len(b); i++ {
		h ^= uint64(b[i])
		h *= fnvPrime
	}
	return mix(h)
}

// mix spreads FNV's weak low bits (a finalizer from splitmix64).
func mix(h uint64) uint64 {
	h ^= h >> 31
	h *= 0x7fb5d329728ea185
	h ^= h >> 27
	h *= 0x81dadef4bc2dd44d
	h ^= h >> 33
	return h
}

// ruleNames lists the rule features of a text: each topic whose keywords
// matched, each urgency cue that counts or was calmed, and a long-past
// marker. The model learns what each is worth; the rules no longer decide
// on their own (except the press rule, see classify).
func ruleFeatures(dst []string, scores []float64, topics []Topic, cues, calmed []string, past string) []string {
	for i, s := range scores {
		if s > 0 {
			dst = append(dst, "kw:"+topics[i].ID)
			if s >= 2 {
				dst = append(dst, "kw2:"+topics[i].ID)
			}
		}
	}
	if len(cues) > 0 {
		dst = append(dst, "cue:urgent")
	}
	if len(calmed) > 0 {
		dst = append(dst, "cue:calmed")
	}
	if past != "" {
		dst = append(dst, "cue:past")
	}
	return dst
}

// dedupe drops repeated buckets (features are binary), keeping the first
// of each in place. It marks buckets in a pooled bitset and clears only the
// bits it set: linear in the features, where sorting was a fifth of training.
func dedupe(xs []uint32) []uint32 {
	seen := bitsets.Get().(*[dim / 64]uint64)
	out := xs[:0]
	for _, x := range xs {
		w, bit := x/64, uint64(1)<<(x%64)
		if seen[w]&bit == 0 {
			seen[w] |= bit
			out = append(out, x)
		}
	}
	for _, x := range out {
		seen[x/64] = 0
	}
	bitsets.Put(seen)
	return out
}

var bitsets = sync.Pool{New: func() any { return new([dim / 64]uint64) }}
