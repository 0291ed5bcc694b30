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
	// The urgency model's examples are training sentences too.
	err = eachLine(urgentExamplesText, "data/urgent_examples.tsv", func(f []string) error {
		if len(f) != 2 || !languages[f[0]] {
			t.Errorf("urgent_examples.tsv: want LANG<TAB>TEXT, got %q", strings.Join(f, "\t"))
			return nil
		}
		train[Normalize(f[1])] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	eval := map[string]string{}
	for _, f := range evalFiles {
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
	// Nor a near copy: a training sentence that shares most of its words with
	// an evaluation text would make the evaluation measure memory.
	trainWords := make([]map[string]bool, 0, len(train))
	for n := range train {
		trainWords = append(trainWords, wordSet(n))
	}
	for n, f := range eval {
		ew := wordSet(n)
		for _, tw := range trainWords {
			if j := jaccard(ew, tw); j >= maxTrainSimilarity && len(ew)+len(tw) >= 8 {
				t.Errorf("%s: %q shares %.0f%% of its words with a training sentence", f, n, 100*j)
				break
			}
		}
	}
}

// maxTrainSimilarity is the word overlap (Jaccard) from which a training
// sentence counts as a near copy of an evaluation text.
const maxTrainSimilarity = 0.6

func wordSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		out[w] = true
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}
