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

// urgentCues explains each urgency cue found, as "urgent:LANG:PHRASE", and
// each one a calm phrase cancelled.
func (r *Router) urgentCues(hits []hit) (cues, calmed []string) {
	for _, h := range hits {
		p := &r.m.phrases[h.phrase]
		if p.owner != ownerUrgent || len(cues) == maxCuesExplained {
			continue
		}
		if c := r.calmOver(hits, h); c != nil {
			calmed = append(calmed, "not urgent: "+p.lang+":"+p.raw+" within "+c.lang+":"+c.raw)
			continue
		}
		cues = append(cues, "urgent:"+p.lang+":"+p.raw)
	}
	return cues, calmed
}

// calmOver returns a calm phrase that shares a word with cue h, if any.
func (r *Router) calmOver(hits []hit, h hit) *phrase {
	for _, c := range hits {
		p := &r.m.phrases[c.phrase]
		if p.owner == ownerCalm && overlaps(c, h) {
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
