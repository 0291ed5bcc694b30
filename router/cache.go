package router

import (
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The trained models can be kept on disk: training takes about a second,
// reading them back a few milliseconds, which matters to a command line
// (`netdesk route` for each of a few hundred messages) and to restarts.
// The file is named by a hash of everything training depends on (the
// corpus, the topics and their keywords, the urgency cues, the settings),
// so a change to any of them trains anew; a missing, unreadable or stale
// file is simply trained over.

// modelVersion changes whenever the features or the training change.
const modelVersion = "netdesk-router-2"

type savedModel struct {
	IDF                  []float32
	Topic, Urgency, Lang savedLinear
	MinTopP              []float64
	UrgentP              float64
	Stats                TrainStats
}

type savedLinear struct {
	K    int
	W, B []float32
	Temp float64
}

func save(m *linear) savedLinear { return savedLinear{m.k, m.w, m.b, m.temp} }
func load(s savedLinear) *linear { return &linear{k: s.K, w: s.W, b: s.B, temp: s.Temp} }

// NewCached is New with its trained models kept in dir (created if need
// be). Failing to read or write the cache is not an error: it trains.
func NewCached(topics []Topic, dir string) (*Router, error) {
	r, err := compile(topics)
	if err != nil {
		return nil, err
	}
	key, err := trainingKey(topics)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "router-"+key+".gob")
	if r.restore(path) == nil {
		return r, nil
	}
	corpus, err := loadCorpus()
	if err != nil {
		return nil, fmt.Errorf("router: corpus: %w", err)
	}
	r.train(corpus, topics)
	_ = r.store(dir, path)
	return r, nil
}

// trainingKey hashes what the trained models depend on.
func trainingKey(topics []Topic) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%+v %+v %+v %v %v\n", modelVersion, topicOptions, urgencyOptions, langOptions, keywordWeight, minValRecall)
	if err := json.NewEncoder(h).Encode(topics); err != nil {
		return "", err
	}
	h.Write([]byte(urgentText))
	err := fs.WalkDir(corpusFS, "data/corpus", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := corpusFS.ReadFile(p)
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:24], err
}

func (r *Router) restore(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var s savedModel
	if err := gob.NewDecoder(f).Decode(&s); err != nil {
		return err
	}
	if len(s.IDF) != dim || len(s.MinTopP) != len(r.topics) || s.Topic.K != len(r.topics) ||
		len(s.Topic.W) != dim*s.Topic.K || len(s.Urgency.W) != dim*2 || len(s.Lang.W) != dim*len(langClasses) {
		return errors.New("router: cached model does not fit")
	}
	r.idf, r.topic, r.urgency, r.lang = s.IDF, load(s.Topic), load(s.Urgency), load(s.Lang)
	r.minTopP, r.urgentP, r.stats = s.MinTopP, s.UrgentP, s.Stats
	return nil
}

// store writes the models to a temporary file and renames it into place, so
// that a reader never sees half a file.
func (r *Router) store(dir, path string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".router-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	s := savedModel{IDF: r.idf, Topic: save(r.topic), Urgency: save(r.urgency), Lang: save(r.lang),
		MinTopP: r.minTopP, UrgentP: r.urgentP, Stats: r.stats}
	if err := gob.NewEncoder(f).Encode(&s); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
