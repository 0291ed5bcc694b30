package router

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Topic is one routing rule; the config package converts its YAML topics into these.
type Topic struct {
	ID        string
	Lead      string
	Support   []string
	Keywords  map[string][]string // language code ("en","ar","ckb") -> keywords/phrases
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
	topics  []Topic
	other   int
	press   int // -1 when the network has no press topic
	m       *matcher
	model   *model
	urgency *model // two classes: 0 calm, 1 urgent
	joint   *jointIndex
}

// New compiles the topics' keywords and the urgency cues and trains the model.
func New(topics []Topic) (*Router, error) {
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
				errs = append(errs, fmt.Errorf("topic %q: unknown keyword language %q (want en, ar or ckb)", t.ID, lang))
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
	docs := trainingDocs(topics)
	for i, d := range docs {
		docs[i].feats = features(nil, d.toks, d.lang)
		if d.lang == "en" {
			for _, w := range d.toks {
				r.m.vocab[w] = true
			}
		}
	}
	r.model = trainModel(len(topics), docs)
	r.urgency = trainUrgency(r.m, docs)
	r.joint = newJointIndex(r.model, r.urgency)
	return r, nil
}

// Route classifies one text. A langHint of en, ar or ckb (the language the
// person chose) wins over detection; anything else is ignored.
func (r *Router) Route(text, langHint string) Decision {
	text = clip(text, maxAnalyzed)
	d := Decision{Matched: make([]string, 0, 8)}
	lang, why := DetectLanguage(text)
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
	toks := tokens(text)
	cands := allCandidates(toks, lang)
	hits := r.m.findOf(toks, cands, lang)
	hashes := featuresOf(make([]uint64, 0, 24*len(toks)), toks, cands)
	feats := r.joint.lookup(make([]int32, 0, len(hashes)), hashes)
	c := r.classify(feats, hits, lang)
	t := r.topics[c.topic]
	d.Topic, d.Agency, d.Sensitive = t.ID, t.Lead, t.Sensitive
	d.Support = append([]string{}, t.Support...)
	d.Matched = append(d.Matched, c.why...)
	d.Matched = append(d.Matched, "agency:"+t.Lead+" (lead of "+t.ID+")")

	cues, calmed := r.urgentCues(toks, feats, hits)
	d.Matched = append(d.Matched, calmed...)
	switch {
	case len(cues) > 0 && c.pressRule:
		d.Matched = append(d.Matched, "not urgent: press request ("+cues[0]+")")
	case len(cues) > 0:
		d.Urgent = true
		d.Matched = append(d.Matched, cues...)
	}
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
