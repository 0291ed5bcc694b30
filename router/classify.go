package router

import (
	"fmt"
	"math/bits"
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

// modelWeight is what the model's posterior for a topic is worth, in keyword
// points, when keywords matched: a topic the model is sure of (p near 1)
// outweighs a single keyword of another topic the model thinks unlikely.
var modelWeight = 2.0

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

func (r *Router) classify(feats []int32, hits []hit, lang string) classification {
	scores := r.score(hits, lang)
	kwTop := argmax(scores)
	var c classification
	switch {
	case r.press >= 0 && scores[r.press] >= pressOverride:
		// A journalist asking about trafficking is a press request.
		c.topic, c.pressRule = r.press, true
		if rival := bestExcept(scores, r.press); rival >= 0 {
			c.why = append(c.why, "rule:press overrides "+r.topics[rival].ID)
		}
		c.why = append(c.why, r.explainTopic(c.topic, hits, scores)...)
		return c
	case scores[kwTop] <= 0:
		return r.classifyByModel(feats)
	}

	// Keywords and the model vote together: each topic's keyword points plus
	// modelWeight times the model's posterior. One keyword is strong evidence,
	// but a model sure of another topic overrides it (a daughter forced to
	// marry is not a schooling question because the word "daughter" is there).
	// The fallback takes no part: a text with a topic's keyword is about
	// something, even if it also reads like a greeting.
	post, _ := r.model.posteriorRows(feats, r.joint.rows[0])
	best := kwTop
	final := make([]float64, len(scores))
	for i := range scores {
		if i == r.other {
			continue
		}
		final[i] = scores[i] + modelWeight*post[i]
		if final[i] > final[best] {
			best = i
		}
	}
	var tied []int
	for i, s := range scores {
		if s == scores[kwTop] {
			tied = append(tied, i)
		}
	}
	switch {
	case scores[best] < scores[kwTop]:
		c.why = append(c.why, fmt.Sprintf("model:nb p=%.2f overrides keywords of %s", post[best], r.topicList(tied)))
		for _, t := range tied {
			c.why = append(c.why, r.explainTopic(t, hits, scores)...)
		}
	case len(tied) > 1:
		c.why = append(c.why, fmt.Sprintf("tie %s broken by model:nb p=%.2f", r.topicList(tied), post[best]))
	default:
		c.why = append(c.why, fmt.Sprintf("model:nb p=%.2f", post[best]))
	}
	c.topic = best
	c.why = append(c.why, r.explainTopic(best, hits, scores)...)
	return c
}

// classifyByModel decides a text no keyword matched: the model's topic if it
// is sure enough, else the fallback.
func (r *Router) classifyByModel(feats []int32) classification {
	post, known := r.model.posteriorRows(feats, r.joint.rows[0])
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
// spellings of one keyword (refugee, refugees) still counts once. A word that
// a longer phrase of another topic covers belongs to that phrase: in "safety
// of journalists" the word "journalists" is not also a press keyword, and in
// "forced to marry" the word "forced" is not also forced labour.
func (r *Router) score(hits []hit, lang string) []float64 {
	type cover struct {
		topic, pos, span int
		w                float64
	}
	var covers []cover
	maxPos := 0
	for _, h := range hits {
		p := &r.m.phrases[h.phrase]
		if p.owner < 0 {
			continue // urgency cues and calm phrases
		}
		w := langWeight(p.lang, lang)
		span := bits.OnesCount64(h.words)
		for k := 0; k < 64; k++ {
			if h.words&(1<<k) != 0 {
				covers = append(covers, cover{p.owner, h.pos + k, span, w})
				maxPos = max(maxPos, h.pos+k)
			}
		}
	}
	scores := make([]float64, len(r.topics))
	if len(covers) == 0 {
		return scores
	}
	longest := make([]int, maxPos+1)
	for _, c := range covers {
		longest[c.pos] = max(longest[c.pos], c.span)
	}
	// For each topic and word: the longest phrase and the heaviest weight.
	sort.Slice(covers, func(i, j int) bool {
		if covers[i].topic != covers[j].topic {
			return covers[i].topic < covers[j].topic
		}
		if covers[i].pos != covers[j].pos {
			return covers[i].pos < covers[j].pos
		}
		if covers[i].span != covers[j].span {
			return covers[i].span > covers[j].span
		}
		return covers[i].w > covers[j].w
	})
	for i, c := range covers {
		if i > 0 && covers[i-1].topic == c.topic && covers[i-1].pos == c.pos {
			continue // the longest, heaviest cover of this word is already counted
		}
		if c.span < longest[c.pos] {
			continue // a longer phrase of another topic owns this word
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
