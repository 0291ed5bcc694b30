package router

import _ "embed"

// Example messages the model learns from, one per line: TOPIC<TAB>LANG<TAB>TEXT.
// They are written for this purpose and share no sentence with the dev or
// held-out evaluation sets. Lines for topics a network does not have are
// skipped, so a replaced topic list still trains on its own keywords.
//
//go:embed data/train.tsv
var trainText string

// trainingDocs turns every keyword and every example of a known topic into a
// training document.
func trainingDocs(topics []Topic) []doc {
	index := map[string]int{}
	var docs []doc
	for i, t := range topics {
		index[t.ID] = i
		for lang, kws := range t.Keywords {
			for _, kw := range kws {
				docs = append(docs, doc{class: i, lang: lang, toks: tokens(kw)})
			}
		}
	}
	// TestEmbeddedTables checks the table's shape; here a bad line is skipped.
	_ = eachLine(trainText, "data/train.tsv", func(f []string) error {
		if i, ok := index[f[0]]; ok && len(f) == 3 {
			docs = append(docs, doc{class: i, lang: f[1], toks: tokens(f[2])})
		}
		return nil
	})
	return docs
}
