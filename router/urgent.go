package router

import (
	_ "embed"
	"fmt"
	"strings"
)

// The urgency cues: phrases that signal immediate danger (confinement,
// violence, a child taken or recruited, self-harm, a person held now). They
// live here rather than in the network file because the YAML schema has no
// place for them and a network should not be able to switch them off.
// A phrase written with a leading "-" is calm: a cue sharing a word with it
// does not count ("suicide prevention", "I took my son to school").
//
//go:embed data/urgent.txt
var urgentText string

// maxCuesExplained bounds the cues listed in an explanation.
const maxCuesExplained = 3

func addUrgentCues(m *matcher) error {
	return eachLine(urgentText, "data/urgent.txt", func(fields []string) error {
		if len(fields) != 2 {
			return fmt.Errorf("want: LANG<TAB>PHRASE")
		}
		if !languages[fields[0]] {
			return fmt.Errorf("unknown language %q", fields[0])
		}
		if calm, ok := strings.CutPrefix(fields[1], "-"); ok {
			return m.add(calm, fields[0], ownerCalm)
		}
		return m.add(fields[1], fields[0], ownerUrgent)
	})
}

// urgentHits sorts the urgency cues among hits into those that count and
// those a calm phrase or a negation cancels.
func urgentHits(m *matcher, toks []string, hits []hit) (cues, calmed []string) {
	for _, h := range hits {
		p := &m.phrases[h.phrase]
		if p.owner != ownerUrgent || len(cues) == maxCuesExplained {
			continue
		}
		if c := calmOver(m, hits, h); c != nil {
			calmed = append(calmed, "not urgent: "+p.lang+":"+p.raw+" within "+c.lang+":"+c.raw)
			continue
		}
		if neg := negated(toks, h.pos, p.lang); neg != "" {
			calmed = append(calmed, "not urgent: "+p.lang+":"+p.raw+" negated by "+neg)
			continue
		}
		if past := pastAt(toks, h.pos); past != "" {
			calmed = append(calmed, "not urgent: "+p.lang+":"+p.raw+" long past ("+past+")")
			continue
		}
		cues = append(cues, "urgent:"+p.lang+":"+p.raw)
	}
	return cues, calmed
}

// Words that negate what follows them: "he never hit me", "no longer beats
// me", "I don't want to die", "ما يضربني". English "n't" is split off by
// normalization, leaving "t". Sorani negates inside the verb (لێم نادات), so
// its cues are written in the affirmative form and need no list.
var (
	negatorsEN = set("not", "never", "no", "t", "dont", "doesnt", "didnt", "isnt", "wasnt", "wont", "nobody", "longer")
	negatorsAR = set("لا", "لم", "لن", "ما", "مو", "مش", "ليس", "ماكو", "محد", "مب")
	// After these, Arabic ما is "what/that", not "not": بعد ما ضربني (after he hit me).
	maRelative = set("بعد", "قبل", "من", "كل", "مثل", "شنو", "شي", "لما", "حتى", "عند")
)

// negated returns the word that negates a cue starting at word pos, if any:
// English looks two words back ("did not hit me", "never hit me"), Arabic one.
func negated(toks []string, pos int, lang string) string {
	switch lang {
	case "en":
		for k := pos - 1; k >= 0 && k >= pos-2; k-- {
			if negatorsEN[toks[k]] {
				return toks[k]
			}
		}
	case "ar":
		if pos < 1 {
			return ""
		}
		w := toks[pos-1]
		if !negatorsAR[w] {
			return ""
		}
		if w == "ما" && pos >= 2 && maRelative[toks[pos-2]] {
			return ""
		}
		return w
	}
	return ""
}

// calmOver returns a calm phrase that shares a word with cue h, if any. A
// cue that names the one who acts ("armed group + took") is not calmed by a
// phrase that does not ("I took my son", whose Arabic اخذت is also "she
// took"): only a calm pair can cancel a pair.
func calmOver(m *matcher, hits []hit, h hit) *phrase {
	pair := m.phrases[h.phrase].second != nil
	for _, c := range hits {
		p := &m.phrases[c.phrase]
		if p.owner == ownerCalm && overlaps(c, h) && (!pair || p.second != nil) {
			return p
		}
	}
	return nil
}

func overlaps(a, b hit) bool {
	if a.pos > b.pos {
		a, b = b, a
	}
	d := b.pos - a.pos
	return d < 64 && a.words&(b.words<<d) != 0
}

// eachLine calls fn with the tab-separated fields of every line of an
// embedded table, skipping blank lines and # comments.
func eachLine(text, name string, fn func(fields []string) error) error {
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(strings.Split(line, "\t")); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n+1, err)
		}
	}
	return nil
}
