// Package testbin builds the netdesk binary for the tests that run it as a
// process (the crash tests kill it with SIGKILL and start it again).
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	err  error
)

// Netdesk returns the path of a netdesk binary built from this module, once
// per test process, with the go command of the running toolchain.
func Netdesk(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		dir, derr := os.MkdirTemp("", "netdesk-bin")
		if derr != nil {
			err = derr
			return
		}
		path = filepath.Join(dir, "netdesk")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, berr := exec.Command(gobin, "build", "-o", path, "github.com/unmigration-iraq/netdesk/cmd/netdesk").CombinedOutput()
		if berr != nil {
			err = fmt.Errorf("go build: %v\n%s", berr, out)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return path
}
