package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/testbin"
	"github.com/unmigration-iraq/netdesk/queue"
	"github.com/unmigration-iraq/netdesk/web"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// process is a running `netdesk serve`.
type process struct {
	cmd  *exec.Cmd
	logs *strings.Builder
}

func startServe(t *testing.T, env []string, addr string) *process {
	t.Helper()
	cmd := exec.Command(testbin.Netdesk(t), "serve")
	cmd.Env = append(os.Environ(), env...)
	logs := &strings.Builder{}
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: logs}
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not become healthy")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Kill() // SIGKILL: no clean-up runs
		_ = p.cmd.Wait()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCrashDuringIntake: 1,000 intake POSTs while `netdesk serve` is killed
// with SIGKILL part-way and restarted. Clients retry with their
// Idempotency-Key, as a careful client does. Every inquiry that got a 201
// exists afterwards, exactly once.
func TestCrashDuringIntake(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and kills the binary")
	}
	rs := redistest.Start(t)
	addr := freeAddr(t)
	cfgFile := filepath.Join(t.TempDir(), "network.yaml")
	token := "crash-test-admin"
	os.WriteFile(cfgFile, []byte(fmt.Sprintf("staff:\n  - {id: root, agency: SECRETARIAT, role: admin, token_sha256: %s}\nlimits:\n  intake_per_minute: 0\n", web.HashToken(token))), 0o600)
	env := []string{"NETDESK_REDIS_URL=" + rs.URL, "NETDESK_HTTP_ADDR=" + addr, "NETDESK_CONFIG=" + cfgFile, "NETDESK_LOG_LEVEL=warn"}
	proc := startServe(t, env, addr)

	const total = 1000
	var (
		mu       sync.Mutex
		refs     = map[string]string{} // idempotency key -> reference from a 201
		created  atomic.Int64
		killOnce sync.Once
		restart  = make(chan struct{})
	)
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(i int) {
		key := fmt.Sprintf("crash-%d", i)
		body := fmt.Sprintf(`{"text":"Request %d: we need food baskets for the family"}`, i)
		for attempt := 0; ; attempt++ {
			req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/inquiries", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", key)
			res, err := client.Do(req)
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					var rc struct{ Reference string }
					json.Unmarshal(b, &rc)
					mu.Lock()
					if prev, ok := refs[key]; ok && prev != rc.Reference {
						t.Errorf("key %s answered %s then %s", key, prev, rc.Reference)
					}
					refs[key] = rc.Reference
					mu.Unlock()
					if created.Add(1) == 300 {
						killOnce.Do(func() { go func() { proc.kill(); close(restart) }() })
					}
					return
				}
				if res.StatusCode != http.StatusConflict && res.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("unexpected %d: %s", res.StatusCode, b)
					return
				}
			}
			if attempt > 2000 {
				t.Errorf("request %d never succeeded", i)
				return
			}
			time.Sleep(20 * time.Millisecond) // client back-off between retries
		}
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				post(i)
			}
		}()
	}
	restarted := make(chan struct{})
	go func() {
		<-restart
		proc = startServe(t, env, addr)
		close(restarted)
	}()
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	<-restarted

	// Wait until the router workers have taken in everything (entries left
	// by the killed process are reclaimed after 15 s).
	ctx := context.Background()
	rdb := rs.Client(t)
	store := queue.NewStore(rdb, queue.Options{Prefix: "netdesk"})
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, _ := rdb.XLen(ctx, store.Keys().Inbound()).Result()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d inbound entries never processed\n%s", n, proc.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(refs) != total {
		t.Fatalf("%d requests got a 201, want %d", len(refs), total)
	}
	distinct := map[string]bool{}
	for _, ref := range refs {
		distinct[ref] = true
		if n, _ := rdb.Exists(ctx, store.Keys().Inquiry(inqRef(ref))).Result(); n != 1 {
			t.Errorf("inquiry %s got a 201 but does not exist", ref)
		}
	}
	all, _ := rdb.ZCard(ctx, store.Keys().All()).Result()
	if len(distinct) != total || all != total {
		t.Errorf("%d distinct references, %d inquiries stored; want %d and %d (exactly once)", len(distinct), all, total, total)
	}
	depth, _ := rdb.ZCard(ctx, store.Keys().AgencyQueue("WFP")).Result()
	if depth != total {
		t.Errorf("WFP queue holds %d, want %d", depth, total)
	}
	t.Logf("1000 intakes with a SIGKILL after %d: %d inquiries, each once", 300, all)
}

func inqRef(s string) inquiry.Reference { return inquiry.Reference(s) }
