// Package routertest gives tests a trained router without training one per
// test: training takes a second, and sixteen under the race detector. One
// router per set of topics is kept for the test binary, and the trained
// models are cached on disk (router.NewCached) for the other packages'
// test binaries of the same run.
package routertest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/unmigration-iraq/netdesk/router"
)

var (
	mu      sync.Mutex
	routers = map[string]*router.Router{}
)

// New returns the router for topics, trained once per test binary. Routers
// are immutable, so tests may share one.
func New(tb testing.TB, topics []router.Topic) *router.Router {
	tb.Helper()
	key, err := json.Marshal(topics)
	if err != nil {
		tb.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if r, ok := routers[string(key)]; ok {
		return r
	}
	r, err := router.NewCached(topics, filepath.Join(os.TempDir(), "netdesk-test-router"))
	if err != nil {
		tb.Fatal(err)
	}
	routers[string(key)] = r
	return r
}
