package router

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
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
const modelVersion = "netdesk-router-3"

// savedModel is the small part of the file, gob-encoded; the weights
// follow it as raw little-endian float32 arrays (gob spends half a second
// on 13 MB of floats, binary.Read a few milliseconds).
type savedModel struct {
	K       [3]int // classes of the topic, urgency and language models
	Temp    [3]float64
	MinTopP []float64
	UrgentP float64
	Stats   TrainStats
}

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
	br := bufio.NewReader(f)
	var s savedModel
	if err := gob.NewDecoder(br).Decode(&s); err != nil {
		return err
	}
	if s.K != [3]int{len(r.topics), 2, len(langClasses)} || len(s.MinTopP) != len(r.topics) {
		return errors.New("router: cached model does not fit")
	}
	r.idf = make(idfTable, dim)
	models := make([]*linear, 3)
	arrays := []any{[]float32(r.idf)}
	for i := range models {
		models[i] = &linear{k: s.K[i], w: make([]float32, dim*s.K[i]), b: make([]float32, s.K[i]), temp: s.Temp[i]}
		arrays = append(arrays, models[i].w, models[i].b)
	}
	for _, a := range arrays {
		if err := binary.Read(br, binary.LittleEndian, a); err != nil {
			return err
		}
	}
	r.topic, r.urgency, r.lang = models[0], models[1], models[2]
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
	bw := bufio.NewWriter(f)
	models := []*linear{r.topic, r.urgency, r.lang}
	s := savedModel{MinTopP: r.minTopP, UrgentP: r.urgentP, Stats: r.stats}
	arrays := []any{[]float32(r.idf)}
	for i, m := range models {
		s.K[i], s.Temp[i] = m.k, m.temp
		arrays = append(arrays, m.w, m.b)
	}
	err = gob.NewEncoder(bw).Encode(&s)
	for _, a := range arrays {
		if err == nil {
			err = binary.Write(bw, binary.LittleEndian, a)
		}
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
