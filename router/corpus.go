package router

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// The training corpus: labelled messages, one per line,
// LANG<TAB>TOPIC<TAB>URGENT<TAB>TEXT, where TOPIC may be "?" (an urgency
// example only) and URGENT is 1, 0 or "?" (a topic example only). Written for
// training by people who never saw an evaluation set (see data/corpus/README).
//
//go:embed data/corpus/*.tsv
var corpusFS embed.FS

// Splits of the corpus, decided by a hash of each normalized text so that a
// message stays in its split whatever else is added: most for training, one
// part for choosing temperatures and thresholds (validation), one part never
// used for either (held out: its figures are reported by TestEval).
type split uint8

const (
	splitTrain split = iota
	splitValidation
	splitHeldout
)

// Per 100 texts: validation 10, held out 10, the rest for training.
const (
	validationPercent = 10
	heldoutPercent    = 10
)

func splitOf(norm string) split {
	switch h := hashString(0x5e11, norm) % 100; {
	case h < heldoutPercent:
		return splitHeldout
	case h < heldoutPercent+validationPercent:
		return splitValidation
	}
	return splitTrain
}

// labelled is one corpus line.
type labelled struct {
	file   string
	lang   string
	topic  string // "" when unknown
	urgent int8   // 1, 0, or -1 when unknown
	text   string
	split  split
}

// loadCorpus reads every corpus file. A malformed line is an error: the
// corpus ships in the binary, and TestCorpus keeps it clean.
func loadCorpus() ([]labelled, error) {
	files, err := fs.Glob(corpusFS, "data/corpus/*.tsv")
	if err != nil {
		return nil, err
	}
	var out []labelled
	for _, f := range files {
		raw, err := corpusFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		name := path.Base(f)
		err = eachLine(string(raw), name, func(fs []string) error {
			if len(fs) != 4 {
				return fmt.Errorf("want LANG<TAB>TOPIC<TAB>URGENT<TAB>TEXT, got %d fields", len(fs))
			}
			l := labelled{file: name, lang: fs[0], topic: fs[1], text: strings.TrimSpace(fs[3])}
			if !languages[l.lang] {
				return fmt.Errorf("unknown language %q", l.lang)
			}
			if l.topic == "?" {
				l.topic = ""
			}
			switch fs[2] {
			case "1":
				l.urgent = 1
			case "0":
				l.urgent = 0
			case "?":
				l.urgent = -1
			default:
				return fmt.Errorf("urgent must be 1, 0 or ?, not %q", fs[2])
			}
			if l.text == "" {
				return fmt.Errorf("empty text")
			}
			l.split = splitOf(Normalize(l.text))
			out = append(out, l)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
