package router

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// Topic is one routing rule; the config package converts its YAML topics into these.
type Topic struct {
	ID        string
	Lead      string
	Support   []string
	Keywords  map[string][]string // language code ("en","ar","ckb","kmr") -> keywords/phrases
	Sensitive bool
}

// Decision is what `netdesk route --json` prints (field names and order are the contract).
type Decision struct {
	Language  string   `json:"language"`
	Topic     string   `json:"topic"`
	Agency    string   `json:"agency"`
	Support   []string `json:"support"` // never nil: [] in JSON
	Urgent    bool     `json:"urgent"`
	Matched   []string `json:"matched"` // never nil
	Sensitive bool     `json:"-"`
	// TopicP and UrgentP are the calibrated probabilities behind the
	// decision, for callers that weigh a later message against the first.
	TopicP  float64 `json:"-"`
	UrgentP float64 `json:"-"`
}

// Fallback is the topic that takes whatever nothing else claims.
const Fallback = "other"

// pressTopic wins over the topic a journalist writes about.
const pressTopic = "press"

// maxAnalyzed bounds the bytes routed: a message's subject shows in its
// first pages, and the hot path must not grow with a megabyte of junk.
const maxAnalyzed = 32 << 10

// Router is immutable after New and safe for concurrent use.
type Router struct {
	topics []Topic
	other  int
	press  int // -1 when the network has no press topic
	m      *matcher

	idf     idfTable  // feature weights of the topic and urgency models
	topic   *linear   // one class per topic
	urgency *linear   // class 1: urgent
	lang    *linear   // langClasses
	minTopP []float64 // per topic: below this probability the fallback takes the text
	urgentP float64   // from this probability a text is urgent
	stats   TrainStats
}

// TrainStats says what New trained on and what it chose.
type TrainStats struct {
	TopicSamples, UrgencySamples, LanguageSamples int
	UrgentThreshold                               float64
	TopicTemp, UrgencyTemp                        float64
}

// Stats reports the training that New did.
func (r *Router) Stats() TrainStats { return r.stats }

// New compiles the topics' keywords and the urgency cues, and trains the
// topic, urgency and language classifiers on the embedded corpus.
func New(topics []Topic) (*Router, error) {
	r, err := compile(topics)
	if err != nil {
		return nil, err
	}
	corpus, err := loadCorpus()
	if err != nil {
		return nil, fmt.Errorf("router: corpus: %w", err)
	}
	r.train(corpus, topics)
	return r, nil
}

// Check validates topics as New does, without training: `netdesk config
// check` need not spend a second on a model it throws away.
func Check(topics []Topic) error {
	_, err := compile(topics)
	return err
}

func compile(topics []Topic) (*Router, error) {
	if len(topics) == 0 {
		return nil, errors.New("router: no topics")
	}
	r := &Router{other: -1, press: -1, m: newMatcher()}
	var errs []error
	seen := map[string]bool{}
	for i, t := range topics {
		switch {
		case strings.TrimSpace(t.ID) == "":
			errs = append(errs, fmt.Errorf("topic %d: empty id", i+1))
		case seen[t.ID]:
			errs = append(errs, fmt.Errorf("topic %q: duplicate id", t.ID))
		}
		seen[t.ID] = true
		if strings.TrimSpace(t.Lead) == "" {
			errs = append(errs, fmt.Errorf("topic %q: no lead agency", t.ID))
		}
		switch t.ID {
		case Fallback:
			r.other = i
		case pressTopic:
			r.press = i
		}
		for lang, kws := range t.Keywords {
			if !languages[lang] {
				errs = append(errs, fmt.Errorf("topic %q: unknown keyword language %q (want en, ar, ckb or kmr)", t.ID, lang))
				continue
			}
			for _, kw := range kws {
				if err := r.m.add(kw, lang, i); err != nil {
					errs = append(errs, fmt.Errorf("topic %q: %w", t.ID, err))
				}
			}
		}
		// Keep a copy the caller cannot change; keywords live on in the matcher.
		t.Support = append([]string{}, t.Support...)
		t.Keywords = nil
		r.topics = append(r.topics, t)
	}
	if r.other < 0 {
		errs = append(errs, fmt.Errorf("no %q topic: unmatched messages need a fallback", Fallback))
	}
	if err := addUrgentCues(r.m); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("router: %w", errors.Join(errs...))
	}
	return r, nil
}

// analysis is everything Route learns of a text before deciding.
type analysis struct {
	toks   []string
	cands  [][]string
	rules  []string  // rule features
	hits   []hit     // keywords and cues found
	scores []float64 // keyword points per topic
	cues   []string  // urgency cues that count
	calmed []string  // urgency cues a calm phrase, negation or past date cancelled
	x      []uint32  // feature buckets
	u      vector    // x with values (set once the router has its idf table)
}

// analyze computes a text's words, keyword hits, rule verdicts and features.
// lang is the language the text is read as (its detected language).
func (r *Router) analyze(text, lang string) *analysis {
	a := &analysis{toks: tokens(text)}
	a.cands = allCandidates(a.toks, lang)
	a.hits = r.m.findOf(a.toks, a.cands, lang)
	a.scores = r.score(a.hits, lang)
	a.cues, a.calmed = urgentHits(r.m, a.toks, a.hits)
	a.rules = ruleFeatures(make([]string, 0, 8), a.scores, r.topics, a.cues, a.calmed, longPast(a.toks))
	a.x = textFeatures(make([]uint32, 0, 24*len(a.toks)+len(a.rules)), a.toks, a.cands, a.rules)
	return a
}

// name returns the readable names of buckets, in one more walk over the
// text's features (only the few an explanation shows are built).
func (a *analysis) name(buckets ...[]uint32) map[uint32]string {
	names := map[uint32]string{}
	for _, bs := range buckets {
		for _, b := range bs {
			names[b] = ""
		}
	}
	if len(names) > 0 {
		nameFeatures(names, a.toks, a.cands, a.rules)
	}
	return names
}

// featureList formats the named buckets as " (a, b, c)".
func featureList(buckets []uint32, names map[uint32]string) string {
	var out []string
	for _, b := range buckets {
		if n := names[b]; n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, ", ") + ")"
}

// Route classifies one text. A langHint of en, ar, ckb or kmr (the language
// the person chose) wins over detection; anything else is ignored.
func (r *Router) Route(text, langHint string) Decision {
	text = clip(text, maxAnalyzed)
	d := Decision{Matched: make([]string, 0, 8)}
	lang, why := r.detect(text)
	switch {
	case languages[langHint]:
		d.Language = langHint
		d.Matched = append(d.Matched, "lang:"+langHint+" (hint)")
	case langHint != "":
		d.Language = lang
		d.Matched = append(d.Matched, fmt.Sprintf("lang:%s (%s; hint %q ignored)", lang, why, clip(langHint, 16)))
	default:
		d.Language = lang
		d.Matched = append(d.Matched, "lang:"+lang+" ("+why+")")
	}

	// The text's own language drives matching; a hint only labels the
	// decision, since people do not always write in the language they chose.
	a := r.analyze(text, lang)
	a.u = r.idf.vector(a.x)
	c := r.classify(a)
	u := r.judgeUrgency(a, c.pressRule)
	// Name the features that weighed most, for both decisions at once.
	var topicTop, urgentTop []uint32
	if c.explain >= 0 {
		topicTop = r.topic.strongest(a.u, c.topic, maxFeaturesExplained)
	}
	if u.explain >= 0 {
		urgentTop = r.urgency.strongest(a.u, 1, maxFeaturesExplained)
	}
	names := a.name(topicTop, urgentTop)
	if c.explain >= 0 {
		c.why[c.explain] += featureList(topicTop, names)
	}
	if u.explain >= 0 {
		u.why[u.explain] += featureList(urgentTop, names)
	}

	t := r.topics[c.topic]
	d.Topic, d.Agency, d.Sensitive, d.TopicP = t.ID, t.Lead, t.Sensitive, c.p
	d.Support = append([]string{}, t.Support...)
	d.Matched = append(d.Matched, c.why...)
	d.Matched = append(d.Matched, "agency:"+t.Lead+" (lead of "+t.ID+")")
	d.Urgent, d.UrgentP = u.urgent, u.p
	d.Matched = append(d.Matched, u.why...)
	return d
}

// clip cuts s to at most n bytes without splitting a rune.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// parallel runs fns at once and waits for them.
func parallel(fns ...func()) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	wg.Wait()
}
