// Package redistest starts a real redis-server for tests, on a free
// loopback port with its own data directory, and stops it after the test.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server.
type Server struct {
	Addr string
	URL  string
	cmd  *exec.Cmd
	dir  string
}

// Start runs redis-server for the test (AOF on, so data survives a restart
// of the server). Tests are skipped when redis-server is not installed,
// unless NETDESK_REQUIRE_REDIS=1 (set by CI), where they fail.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("NETDESK_REQUIRE_REDIS") == "1" {
			tb.Fatalf("redis-server not found: %v", err)
		}
		tb.Skip("redis-server not installed (make test installs it)")
	}
	s := &Server{dir: tb.TempDir()}
	for attempt := 0; ; attempt++ {
		port := freePort(tb)
		s.Addr = "127.0.0.1:" + strconv.Itoa(port)
		s.URL = "redis://" + s.Addr + "/0"
		s.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", s.dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
			"--protected-mode", "no", "--logfile", filepath.Join(s.dir, "redis.log"))
		if err := s.cmd.Start(); err != nil {
			tb.Fatalf("start redis-server: %v", err)
		}
		if s.waitReady(5 * time.Second) {
			break
		}
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		if attempt == 3 {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			tb.Fatalf("redis-server did not start:\n%s", log)
		}
	}
	tb.Cleanup(s.Stop)
	return s
}

// Client returns a client for the server, closed after the test.
func (s *Server) Client(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop ends the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *Server) waitReady(d time.Duration) bool {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// String describes the server for logs.
func (s *Server) String() string { return fmt.Sprintf("redis-server at %s", s.Addr) }
