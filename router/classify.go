package router

import (
	"fmt"
	"sort"
	"strings"
)

// crossWeight discounts an Arabic keyword found in Sorani text and the
// reverse: the script is shared, so loanwords match, but the text's own
// language is the better evidence.
const crossWeight = 0.5

// pressOverride is the press score (two press keywords, or one two-word
// phrase) at which a message is a media request whatever its subject.
const pressOverride = 2

// minModelP is the posterior the model needs to claim a message that no
// keyword matched; below it the message goes to the fallback.
const minModelP = 0.5

// maxKwExplained bounds the keywords listed in an explanation.
const maxKwExplained = 4

type classification struct {
	topic     int
	why       []string
	pressRule bool
}

func (r *Router) classify(toks []string, hits []hit, lang string) classification {
	scores := r.score(hits, lang)
	var best int
	var top []int
	for i, s := range scores {
		switch {
		case s <= 0:
		case len(top) == 0 || s > scores[top[0]]:
			top = append(top[:0], i)
		case s == scores[top[0]]:
			top = append(top, i)
		}
	}

	var c classification
	switch {
	case r.press >= 0 && scores[r.press] >= pressOverride:
		// A journalist asking about trafficking is a press request.
		best, c.pressRule = r.press, true
		if rival := bestExcept(scores, r.press); rival >= 0 {
			c.why = append(c.why, "rule:press overrides "+r.topics[rival].ID)
		}
	case len(top) == 0:
		return r.classifyByModel(toks, lang)
	case len(top) == 1:
		best = top[0]
	default:
		// Keywords tie: the model, which weighs every word, decides.
		post, _ := r.model.posterior(toks, lang)
		best = top[0]
		for _, i := range top[1:] {
			if post[i] > post[best] {
				best = i
			}
		}
		c.why = append(c.why, fmt.Sprintf("tie %s broken by model:nb p=%.2f", r.topicList(top), post[best]))
	}
	c.topic = best
	c.why = append(c.why, r.explainTopic(best, hits, scores)...)
	return c
}

// classifyByModel decides a text no keyword matched: the model's topic if it
// is sure enough, else the fallback.
func (r *Router) classifyByModel(toks []string, lang string) classification {
	post, known := r.model.posterior(toks, lang)
	k := argmax(post)
	switch {
	case k != r.other && post[k] >= minModelP:
		return classification{topic: k, why: []string{fmt.Sprintf("topic:%s model:nb p=%.2f (no keyword)", r.topics[k].ID, post[k])}}
	case known == 0:
		return classification{topic: r.other, why: []string{"topic:" + r.topics[r.other].ID + " (no keyword, nothing known to the model)"}}
	default:
		return classification{topic: r.other, why: []string{fmt.Sprintf("topic:%s (no keyword; model unsure: %s p=%.2f)", r.topics[r.other].ID, r.topics[k].ID, post[k])}}
	}
}

// bestExcept returns the highest-scoring topic other than skip, or -1.
func bestExcept(scores []float64, skip int) int {
	best := -1
	for i, s := range scores {
		if i != skip && s > 0 && (best < 0 || s > scores[best]) {
			best = i
		}
	}
	return best
}

// score gives each topic one point per word of the text that its keywords
// cover: a two-word phrase beats a single word, and a word matched by several
// spellings of one keyword (refugee, refugees) still counts once.
func (r *Router) score(hits []hit, lang string) []float64 {
	type cover struct {
		topic, pos int
		w          float64
	}
	var covers []cover
	for _, h := range hits {
		p := &r.m.phrases[h.phrase]
		if p.owner < 0 {
			continue // urgency cues and calm phrases
		}
		w := langWeight(p.lang, lang)
		for k := 0; k < 64; k++ {
			if h.words&(1<<k) != 0 {
				covers = append(covers, cover{p.owner, h.pos + k, w})
			}
		}
	}
	sort.Slice(covers, func(i, j int) bool {
		if covers[i].topic != covers[j].topic {
			return covers[i].topic < covers[j].topic
		}
		if covers[i].pos != covers[j].pos {
			return covers[i].pos < covers[j].pos
		}
		return covers[i].w > covers[j].w
	})
	scores := make([]float64, len(r.topics))
	for i, c := range covers {
		if i > 0 && covers[i-1].topic == c.topic && covers[i-1].pos == c.pos {
			continue // the heaviest cover of this word is already counted
		}
		scores[c.topic] += c.w
	}
	return scores
}

func langWeight(kwLang, textLang string) float64 {
	if kwLang != textLang && (kwLang == "ar" || kwLang == "ckb") && (textLang == "ar" || textLang == "ckb") {
		return crossWeight
	}
	return 1
}

// explainTopic lists the chosen topic's keywords, heaviest first.
func (r *Router) explainTopic(t int, hits []hit, scores []float64) []string {
	var ps []*phrase
	for _, h := range hits {
		if p := &r.m.phrases[h.phrase]; p.owner == t {
			ps = append(ps, p)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].weight > ps[j].weight })
	var why []string
	for i, p := range ps {
		if i == maxKwExplained {
			why = append(why, fmt.Sprintf("topic:%s +%d more keywords (score %.1f)", r.topics[t].ID, len(ps)-i, scores[t]))
			break
		}
		why = append(why, "topic:"+r.topics[t].ID+" kw:"+p.lang+":"+p.raw)
	}
	return why
}

func (r *Router) topicList(idx []int) string {
	ids := make([]string, len(idx))
	for i, t := range idx {
		ids[i] = r.topics[t].ID
	}
	return strings.Join(ids, "/")
}

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}
