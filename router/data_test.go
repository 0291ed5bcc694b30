package router

import (
	"strings"
	"testing"
)

// The embedded tables are well-formed, name known topics and languages, and
// share no sentence with the evaluation sets (the model must not see them).
func TestEmbeddedTables(t *testing.T) {
	known := map[string]bool{}
	for _, tp := range loadTopics(t) {
		known[tp.ID] = true
	}
	train := map[string]bool{}
	perTopic := map[string]int{}
	err := eachLine(trainText, "data/train.tsv", func(f []string) error {
		switch {
		case len(f) != 3:
			t.Errorf("train.tsv: %d fields in %q", len(f), strings.Join(f, "\t"))
		case !known[f[0]]:
			t.Errorf("train.tsv: unknown topic %q", f[0])
		case !languages[f[1]]:
			t.Errorf("train.tsv: unknown language %q", f[1])
		default:
			train[Normalize(f[2])] = true
			perTopic[f[0]+"/"+f[1]]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range known {
		for lang := range languages {
			if perTopic[id+"/"+lang] < 5 {
				t.Errorf("train.tsv: only %d examples for %s in %s", perTopic[id+"/"+lang], id, lang)
			}
		}
	}
	if err := addUrgentCues(newMatcher()); err != nil {
		t.Fatal(err)
	}
	eval := map[string]string{}
	for _, f := range []string{heldoutFile, "testdata/heldout2.jsonl", devFile} {
		for _, e := range readExamples(t, f) {
			n := Normalize(e.Text)
			if train[n] {
				t.Errorf("%s: %q is also a training sentence", f, e.Text)
			}
			if prev, dup := eval[n]; dup {
				t.Errorf("%s: %q is also in %s", f, e.Text, prev)
			}
			eval[n] = f
		}
	}
}
