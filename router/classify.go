package router

import (
	"fmt"
	"math/bits"
	"sort"
)

// crossWeight discounts an Arabic keyword found in Sorani text and the
// reverse: the script is shared, so loanwords match, but the text's own
// language is the better evidence.
const crossWeight = 0.5

// pressOverride is the press score (two press keywords, or one two-word
// phrase) at which a message is a media request whatever its subject.
const pressOverride = 2

// maxKwExplained bounds the keywords listed in an explanation.
const maxKwExplained = 4

type classification struct {
	topic     int
	p         float64
	why       []string
	explain   int // the entry of why that the model's strongest features annotate, or -1
	pressRule bool
}

// maxFeaturesExplained bounds the features listed in an explanation.
const maxFeaturesExplained = 4

// classify picks the topic: the classifier's most probable topic, unless its
// probability is under that topic's threshold (then the fallback), or the
// press rule fires: press keywords covering two words make a media request
// whatever it is about (a journalist asking about trafficking is press).
func (r *Router) classify(a *analysis) classification {
	post := r.topic.probs(a.u)
	c := classification{explain: -1}
	if r.press >= 0 && a.scores[r.press] >= pressOverride {
		c.topic, c.p, c.pressRule = r.press, post[r.press], true
		if k := argmax(post); k != r.press {
			c.why = append(c.why, fmt.Sprintf("rule:press overrides model:%s p=%.2f", r.topics[k].ID, post[k]))
		}
		c.why = append(c.why, r.explainTopic(c.topic, a.hits, a.scores)...)
		return c
	}
	k := argmax(post)
	c.topic, c.p = k, post[k]
	if kw := argmax(a.scores); k == r.other && a.scores[kw] > 0 {
		// The model heard nothing of any topic, but a topic's keyword is
		// there: a network's own topics, with no corpus lines, live on it.
		c.topic, c.p = kw, post[kw]
		c.why = append(c.why, fmt.Sprintf("rule:keywords of %s over model:%s p=%.2f", r.topics[kw].ID, r.topics[k].ID, post[k]))
		c.why = append(c.why, r.explainTopic(kw, a.hits, a.scores)...)
		return c
	}
	if k != r.other && post[k] < r.minTopP[k] {
		c.topic, c.p = r.other, post[r.other]
		c.why = append(c.why, fmt.Sprintf("topic:%s (model unsure: %s p=%.2f < %.2f)", r.topics[r.other].ID, r.topics[k].ID, post[k], r.minTopP[k]))
		return c
	}
	c.explain = len(c.why)
	c.why = append(c.why, fmt.Sprintf("topic:%s model p=%.2f", r.topics[k].ID, post[k]))
	c.why = append(c.why, r.explainTopic(k, a.hits, a.scores)...)
	return c
}

type urgency struct {
	urgent  bool
	p       float64
	why     []string
	explain int // as in classification
}

// judgeUrgency flags a text urgent when the urgency classifier's calibrated
// probability reaches the threshold chosen on the validation split for
// recall first. A press request is never urgent: a journalist asking about
// violence is not in danger.
func (r *Router) judgeUrgency(a *analysis, press bool) urgency {
	p := r.urgency.probs(a.u)[1]
	u := urgency{p: p, explain: -1}
	u.why = append(u.why, a.calmed...)
	switch {
	case press && p >= r.urgentP:
		u.why = append(u.why, fmt.Sprintf("not urgent: press request (model p=%.2f)", p))
	case p >= r.urgentP:
		u.urgent = true
		u.explain = len(u.why)
		u.why = append(u.why, fmt.Sprintf("urgent:model p=%.2f >= %.2f", p, r.urgentP))
		u.why = append(u.why, a.cues...)
	default:
		u.why = append(u.why, fmt.Sprintf("not urgent: model p=%.2f < %.2f", p, r.urgentP))
	}
	return u
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

func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}
