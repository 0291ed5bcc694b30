package router

import (
	"slices"
	"strings"
)

// The classifier's features are hashed into dim buckets ("the hashing
// trick"): no vocabulary to store, and any word the training data never saw
// still lands somewhere, sharing its character n-grams with the words it
// resembles. 2^18 buckets keep collisions rare for the ~100k distinct
// features of the corpus.
const (
	dimBits = 18
	dim     = 1 << dimBits
)

// Feature kinds, the seed of each kind's hash.
const (
	kindWord   = 1 // a word, or a word with an Arabic or Sorani clitic stripped
	kindBigram = 2 // two neighbouring words
	kindGram   = 3 // character 3-, 4- and 5-grams, seeds 3+g
	kindRule   = 9 // a keyword rule that fired (kw:TOPIC, cue:urgent, ...)
)

// featureSet is one text's features: distinct buckets and, for the
// explanation only, a name per bucket.
type featureSet struct {
	buckets []uint32
	names   map[uint32]string
}

// textFeatures computes the features of a text's words and of the rules
// that fired on it. With named set, it also remembers a readable name of
// each bucket (for `matched`); Route asks for names only of the text it
// explains, so the hot path builds no strings.
func textFeatures(dst []uint32, toks []string, cands [][]string, rules []string, names map[uint32]string) []uint32 {
	add := func(h uint64, name func() string) {
		b := uint32(h & (dim - 1))
		dst = append(dst, b)
		if names != nil {
			if _, ok := names[b]; !ok {
				names[b] = name()
			}
		}
	}
	var starts [64]int
	for i, w := range toks {
		for _, c := range cands[i] {
			add(hashString(kindWord, c), func() string { return "w:" + c })
		}
		if i+1 < len(toks) {
			next := toks[i+1]
			add(hashPair(kindBigram, w, next), func() string { return "b:" + w + "_" + next })
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
		for g := 3; g <= 5; g++ {
			for i := 0; i+g < n; i++ {
				from, to := starts[i], starts[i+g]
				add(hashPadded(uint64(kindGram+g), w, from, to), func() string { return "g:" + padded(w)[from:to] })
			}
		}
	}
	for _, r := range rules {
		add(hashString(kindRule, r), func() string { return r })
	}
	return dedupe(dst)
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

func hashPair(seed uint64, a, b string) uint64 {
	return hashString(seed, a+"\x00"+b)
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

// sentences splits normalized-token text at sentence ends of the raw text,
// so that urgency can be judged per sentence too: one line of danger in a
// long message must not be drowned by the rest.
func sentences(text string) []string {
	f := func(r rune) bool {
		switch r {
		case '.', '!', '?', '\n', '؟', '،', ';', '؛':
			return true
		}
		return false
	}
	parts := strings.FieldsFunc(text, f)
	return parts
}

// dedupe sorts buckets and drops repeats: features are binary.
func dedupe(xs []uint32) []uint32 {
	slices.Sort(xs)
	return slices.Compact(xs)
}
