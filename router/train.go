package router

import (
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Training settings, chosen on the validation split.
var (
	topicOptions   = trainOptions{epochs: 5, rate: 3, seed: 1}
	urgencyOptions = trainOptions{epochs: 5, rate: 1.5, seed: 2}
	langOptions    = trainOptions{epochs: 3, rate: 0.5, seed: 3}
)

// keywordWeight is what one keyword counts as a training text: less than a
// message, since it is one phrase, but enough that a network's own topics,
// with no corpus lines, are learnt from their keywords.
var keywordWeight float32 = 0.5

// urgentWeight makes a missed urgent training message cost more than a false
// alarm: there are fewer of them, and missing one is the worse error.
const urgentWeight = 2

// minValRecall is the share of the validation split's urgent messages the
// urgency threshold must flag.
const minValRecall = 0.95

// Lines of the corpus for topics the network does not have are skipped, so a
// replaced topic list still trains on its own keywords and urgency on all.
func (r *Router) train(corpus []labelled, topics []Topic) {
	index := map[string]int{}
	for i, t := range topics {
		index[t.ID] = i
	}
	feats := make([][]uint32, len(corpus))
	cues := make([][]string, len(corpus))
	langFeats := make([][]uint32, len(corpus))
	eachParallel(len(corpus), func(i int) {
		a := r.analyze(corpus[i].text, corpus[i].lang)
		feats[i], cues[i] = a.x, a.cues
		langFeats[i] = dedupe(langFeatures(nil, corpus[i].text))
	})

	// One idf table for the topic and urgency models, over the training
	// split and the keywords.
	kwFeats, kwClass := [][]uint32{}, []int{}
	for i, t := range topics {
		// In a fixed order: training is deterministic, so a cached model
		// and a fresh one decide alike.
		for _, lang := range slices.Sorted(maps.Keys(t.Keywords)) {
			for _, kw := range t.Keywords[lang] {
				kwFeats = append(kwFeats, r.analyze(kw, lang).x)
				kwClass = append(kwClass, i)
			}
		}
	}
	var trainTexts [][]uint32
	for i, l := range corpus {
		if l.split == splitTrain {
			trainTexts = append(trainTexts, feats[i])
		}
	}
	r.idf = newIDF(append(trainTexts, kwFeats...))

	var topicTrain, topicVal, urgTrain, urgVal, langTrain, langVal []sample
	add := func(train, val *[]sample, l labelled, s sample) {
		switch l.split {
		case splitTrain:
			*train = append(*train, s)
		case splitValidation:
			*val = append(*val, s)
		}
	}
	for i, l := range corpus {
		u := r.idf.vector(feats[i])
		if k, ok := index[l.topic]; ok && l.topic != "" {
			add(&topicTrain, &topicVal, l, sample{vector: u, y: k, weight: 1})
		}
		urgent := l.urgent
		if urgent < 0 && l.topic != "" && len(cues[i]) == 0 {
			// The first stage's topic sentences, written as ordinary
			// questions, are calm when no urgency cue is in them.
			urgent = 0
		}
		if urgent >= 0 {
			s := sample{vector: u, y: int(urgent), weight: 1}
			if urgent == 1 {
				s.weight = urgentWeight
			}
			add(&urgTrain, &urgVal, l, s)
		}
		y := langIndex(l.lang)
		add(&langTrain, &langVal, l, sample{vector: idfTable(nil).vector(langFeats[i]), y: y, weight: 1})
		// Kurdish is often typed without its own letters: Sorani and
		// Kurmanji on an Arabic keyboard (ه ي ك ر ل for ە ی ک ڕ ڵ),
		// Kurmanji on a keyboard without ê î û ç ş. Train on that spelling too.
		if plain := plainKeyboard(l.text); l.lang != "ar" && l.lang != "en" && plain != l.text {
			add(&langTrain, &langVal, l, sample{vector: idfTable(nil).vector(dedupe(langFeatures(nil, plain))), y: y, weight: 1})
		}
	}
	// Every keyword is a training text of its topic, so a network's own
	// topics and keywords train a model even with no corpus lines.
	for i, x := range kwFeats {
		topicTrain = append(topicTrain, sample{vector: r.idf.vector(x), y: kwClass[i], weight: keywordWeight})
	}

	parallel(
		func() {
			r.topic = trainLinear(len(topics), topicTrain, topicOptions)
			r.topic.fitTemperature(topicVal)
			r.minTopP = r.topicThresholds(topicVal)
		},
		func() {
			r.urgency = trainLinear(2, urgTrain, urgencyOptions)
			r.urgency.fitTemperature(urgVal)
			r.urgentP = urgentThreshold(r.urgency, urgVal)
		},
		func() {
			r.lang = trainLinear(len(langClasses), langTrain, langOptions)
			r.lang.fitTemperature(langVal)
		},
	)
	r.stats = TrainStats{
		TopicSamples: len(topicTrain), UrgencySamples: len(urgTrain), LanguageSamples: len(langTrain),
		UrgentThreshold: r.urgentP, TopicTemp: r.topic.temp, UrgencyTemp: r.urgency.temp,
	}
}

// plainKeyboard spells text as typed on an Arabic or a plain Latin keyboard.
var plainKeyboard = strings.NewReplacer(
	"ە", "ه", "ی", "ي", "ێ", "ي", "ک", "ك", "ڕ", "ر", "ڵ", "ل", "ۆ", "و", "ڤ", "ف",
	"ê", "e", "î", "i", "û", "u", "ç", "c", "ş", "s", "Ê", "E", "Î", "I", "Û", "U", "Ç", "C", "Ş", "S",
).Replace

// topicThresholds chooses, per topic, the probability below which a text
// the model gives that topic goes to the fallback instead: the value that
// routes most validation texts right.
func (r *Router) topicThresholds(val []sample) []float64 {
	th := make([]float64, len(r.topics))
	type guess struct {
		k    int
		p    float64
		want int
	}
	guesses := make([]guess, len(val))
	for i, s := range val {
		p := r.topic.probs(s.vector)
		k := argmax(p)
		guesses[i] = guess{k, p[k], s.y}
	}
	for k := range th {
		if k == r.other {
			continue
		}
		best, bestRight := 0.0, -1
		for _, t := range []float64{0, 0.2, 0.3, 0.4, 0.5} {
			right := 0
			for _, g := range guesses {
				if g.k != k {
					continue
				}
				got := k
				if g.p < t {
					got = r.other
				}
				if got == g.want {
					right++
				}
			}
			if right > bestRight {
				best, bestRight = t, right
			}
		}
		th[k] = best
	}
	return th
}

// urgentThreshold is the highest probability threshold that still flags
// minValRecall of the validation split's urgent messages: the fewest false
// alarms at the recall the desk needs (the issue asks for 92% on unseen
// messages; the validation split is easier, hence the margin).
func urgentThreshold(m *linear, val []sample) float64 {
	var ps []float64
	for _, s := range val {
		if s.y == 1 {
			ps = append(ps, m.probs(s.vector)[1])
		}
	}
	if len(ps) == 0 {
		return 0.5
	}
	sort.Float64s(ps)
	miss := int(float64(len(ps)) * (1 - minValRecall)) // this many may fall below
	return min(0.5, ps[miss])
}

// eachParallel calls fn(i) for i in [0, n) on every CPU.
func eachParallel(n int, fn func(int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
