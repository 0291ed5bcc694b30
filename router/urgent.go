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
		return m.add(fields[1], fields[0], ownerUrgent)
	})
}

// urgentCues explains each urgency cue found, as "urgent:LANG:PHRASE".
func (r *Router) urgentCues(hits []hit) []string {
	var why []string
	for _, h := range hits {
		p := &r.m.phrases[h.phrase]
		if p.owner == ownerUrgent && len(why) < maxCuesExplained {
			why = append(why, "urgent:"+p.lang+":"+p.raw)
		}
	}
	return why
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
