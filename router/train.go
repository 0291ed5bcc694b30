package router

import (
	"runtime"
	"sort"
	"sync"
)

// Training settings, chosen on the validation split.
var (
	topicOptions   = trainOptions{epochs: 6, rate: 0.6, seed: 1}
	urgencyOptions = trainOptions{epochs: 8, rate: 0.6, seed: 2}
	langOptions    = trainOptions{epochs: 3, rate: 0.5, seed: 3}
)

// urgentWeight makes a missed urgent training message cost more than a false
// alarm: there are fewer of them, and missing one is the worse error.
const urgentWeight = 2

// Urgency threshold: the highest probability threshold that still flags at
// least minValRecall of the validation split's urgent messages. Recall comes
// first (the desk exists for people in danger); a false alarm costs a
// safety message and a red card.
const minValRecall = 0.97

// Lines of the corpus for topics the network does not have are skipped, so a
// replaced topic list still trains on its own keywords and urgency on all.
func (r *Router) train(corpus []labelled, topics []Topic) {
	index := map[string]int{}
	for i, t := range topics {
		index[t.ID] = i
	}
	feats := make([][]uint32, len(corpus))
	langFeats := make([][]uint32, len(corpus))
	eachParallel(len(corpus), func(i int) {
		feats[i] = r.analyze(corpus[i].text, corpus[i].lang, false).x
		langFeats[i] = dedupe(langFeatures(nil, corpus[i].text))
	})

	var topicTrain, topicVal, urgTrain, urgVal, langTrain, langVal []sample
	for i, l := range corpus {
		if k, ok := index[l.topic]; ok && l.topic != "" {
			s := sample{x: feats[i], y: k, weight: 1}
			switch l.split {
			case splitTrain:
				topicTrain = append(topicTrain, s)
			case splitValidation:
				topicVal = append(topicVal, s)
			}
		}
		if l.urgent >= 0 {
			s := sample{x: feats[i], y: int(l.urgent), weight: 1}
			if l.urgent == 1 {
				s.weight = urgentWeight
			}
			switch l.split {
			case splitTrain:
				urgTrain = append(urgTrain, s)
			case splitValidation:
				urgVal = append(urgVal, s)
			}
		}
		s := sample{x: langFeats[i], y: langIndex(l.lang), weight: 1}
		switch l.split {
		case splitTrain:
			langTrain = append(langTrain, s)
		case splitValidation:
			langVal = append(langVal, s)
		}
	}
	// Every keyword is a training text of its topic, so a network's own
	// topics and keywords train a model even with no corpus lines.
	for i, t := range topics {
		for lang, kws := range t.Keywords {
			for _, kw := range kws {
				toks := tokens(kw)
				x := textFeatures(nil, toks, allCandidates(toks, lang), nil, nil)
				topicTrain = append(topicTrain, sample{x: x, y: i, weight: 1})
			}
		}
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
		p := r.topic.probs(s.x)
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

// urgentThreshold is the highest threshold that keeps recall on the
// validation split at minValRecall or more.
func urgentThreshold(m *linear, val []sample) float64 {
	var ps []float64
	for _, s := range val {
		if s.y == 1 {
			ps = append(ps, m.probs(s.x)[1])
		}
	}
	if len(ps) == 0 {
		return 0.5
	}
	// The threshold is the probability of the urgent message at the
	// recall quantile, a little lowered so it is flagged too.
	sort.Float64s(ps)
	miss := int(float64(len(ps)) * (1 - minValRecall))
	return min(0.5, ps[miss]*0.999)
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
