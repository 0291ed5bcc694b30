package router

import (
	"os"
	"strings"
	"testing"
)

// The corpus is well-formed, names known topics and languages, covers every
// topic in every language, and shares no sentence with an evaluation set
// (the model must not see them), nor a near copy of one.
func TestCorpus(t *testing.T) {
	known := map[string]bool{}
	for _, tp := range loadTopics(t) {
		known[tp.ID] = true
	}
	corpus, err := loadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	train := map[string]bool{}
	perTopic := map[string]int{}
	urgent := map[string]int{}
	for _, l := range corpus {
		if l.topic != "" && !known[l.topic] {
			t.Errorf("%s: unknown topic %q in %q", l.file, l.topic, l.text)
		}
		train[Normalize(l.text)] = true
		perTopic[l.topic+"/"+l.lang]++
		if l.urgent == 1 {
			urgent[l.lang]++
		}
	}
	for id := range known {
		for lang := range languages {
			if perTopic[id+"/"+lang] < 5 {
				t.Errorf("corpus: only %d examples for %s in %s", perTopic[id+"/"+lang], id, lang)
			}
		}
	}
	for lang := range languages {
		if urgent[lang] < 50 {
			t.Errorf("corpus: only %d urgent examples in %s", urgent[lang], lang)
		}
	}
	eval := map[string]string{}
	for _, f := range evalFiles {
		if _, err := os.Stat(f); os.IsNotExist(err) && f == devFile {
			continue // the shared dev set sits beside the repository
		}
		for _, e := range readExamples(t, f) {
			n := Normalize(e.Text)
			if train[n] {
				t.Errorf("%s: %q is also a training sentence", f, e.Text)
			}
			eval[n] = f
		}
	}
	// Nor a near copy: a training sentence that shares most of its words with
	// an evaluation text would make the evaluation measure memory.
	index := map[string][]int{} // word -> training sentences that have it
	var trainWords []map[string]bool
	var trainTexts []string
	for n := range train {
		ws := wordSet(n)
		for w := range ws {
			index[w] = append(index[w], len(trainWords))
		}
		trainWords = append(trainWords, ws)
		trainTexts = append(trainTexts, n)
	}
	for n, f := range eval {
		ew := wordSet(n)
		seen := map[int]bool{}
		for w := range ew {
			for _, i := range index[w] {
				if seen[i] {
					continue
				}
				seen[i] = true
				tw := trainWords[i]
				if j := jaccard(ew, tw); j >= maxTrainSimilarity && len(ew)+len(tw) >= 8 {
					t.Errorf("%s: %q shares %.0f%% of its words with the training sentence %q", f, n, 100*j, trainTexts[i])
				}
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
