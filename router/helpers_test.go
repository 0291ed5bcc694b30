package router

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// topicsFile is the shipped default network's topic list.
const topicsFile = "../config/default_topics.yaml"

type yamlTopic struct {
	ID        string              `yaml:"id"`
	Lead      string              `yaml:"lead"`
	Support   []string            `yaml:"support"`
	Sensitive bool                `yaml:"sensitive"`
	Keywords  map[string][]string `yaml:"keywords"`
}

func loadTopics(tb testing.TB) []Topic {
	tb.Helper()
	raw, err := os.ReadFile(topicsFile)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Topics []yamlTopic `yaml:"topics"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("%s: %v", topicsFile, err)
	}
	var out []Topic
	for _, t := range doc.Topics {
		out = append(out, Topic{ID: t.ID, Lead: t.Lead, Support: t.Support, Keywords: t.Keywords, Sensitive: t.Sensitive})
	}
	return out
}

var (
	defaultOnce   sync.Once
	defaultRouter *Router
	defaultErr    error
)

// newDefault builds the router of the default network once per test binary.
func newDefault(tb testing.TB) *Router {
	tb.Helper()
	topics := loadTopics(tb)
	defaultOnce.Do(func() { defaultRouter, defaultErr = New(topics) })
	if defaultErr != nil {
		tb.Fatal(defaultErr)
	}
	return defaultRouter
}

// example is one labelled line of routing-dev.jsonl or testdata/heldout.jsonl.
type example struct {
	Lang   string `json:"lang"`
	Text   string `json:"text"`
	Topic  string `json:"topic"`
	Agency string `json:"agency"`
	Urgent bool   `json:"urgent"`
	// Written is the language the text is written in, when known (the
	// corpus says; an evaluation set's "mixed" does not).
	Written string `json:"-"`
}

func readExamples(tb testing.TB, path string) []example {
	return readJSONL[example](tb, path)
}

// readJSONL reads a JSON Lines file of T; a missing file fails the test
// (every evaluation set ships in the repository), except the shared dev
// set, which lives outside it: without it the test is skipped.
func readJSONL[T any](tb testing.TB, path string) []T {
	tb.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) && path == devFile {
		tb.Skipf("%s not found (the shared dev set sits beside the repository)", path)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e T
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			tb.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
