package router

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// A cached router decides exactly as a freshly trained one, a broken cache
// file is trained over, and other topics use another file.
func TestNewCached(t *testing.T) {
	dir := t.TempDir()
	topics := loadTopics(t)
	fresh := newDefault(t)
	first, err := NewCached(topics, dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "router-*.gob"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	second, err := NewCached(topics, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range benchTexts {
		want := fresh.Route(text, "")
		for _, r := range []*Router{first, second} {
			if got := r.Route(text, ""); !reflect.DeepEqual(got, want) {
				t.Errorf("cached router decides %+v, fresh %+v", got, want)
			}
		}
	}
	if err := os.WriteFile(files[0], []byte("not a model"), 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := NewCached(topics, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := third.Route(benchTexts["en"], ""), fresh.Route(benchTexts["en"], ""); !reflect.DeepEqual(got, want) {
		t.Errorf("after a broken cache file: %+v", got)
	}
	if _, err := NewCached(minimalTopics(), dir); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "router-*.gob")); len(files) != 2 {
		t.Errorf("other topics share a cache file: %v", files)
	}
	// An unwritable directory only costs the training.
	if _, err := NewCached(topics, "/proc/no-such-dir"); err != nil {
		t.Errorf("unwritable cache dir: %v", err)
	}
}
