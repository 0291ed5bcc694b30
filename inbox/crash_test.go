package inbox_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/testbin"
	"github.com/unmigration-iraq/netdesk/internal/testlog"
	"github.com/unmigration-iraq/netdesk/queue"
)

// throttled slows the server's writes to about bps bytes per second, so a
// backlog takes long enough to be interrupted.
type throttled struct {
	net.Conn
	bps int
}

func (c *throttled) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := min(len(p), 2048)
		w, err := c.Conn.Write(p[:chunk])
		n += w
		if err != nil {
			return n, err
		}
		p = p[chunk:]
		time.Sleep(time.Duration(chunk) * time.Second / time.Duration(c.bps))
	}
	return n, nil
}

// slowMove makes the server take a second before it reads a MOVE command,
// as a busy server does: the time between "in Redis" and "moved" that a
// crash must survive.
type slowMove struct{ net.Conn }

func (c slowMove) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if bytes.Contains(p[:n], []byte("UID MOVE")) {
		time.Sleep(time.Second)
	}
	return n, err
}

// process is a running `netdesk serve`.
type process struct {
	cmd *exec.Cmd
	out *testlog.Buffer
}

func startServe(t *testing.T, bin string, env []string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NETDESK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	p := &process{cmd: cmd, out: &testlog.Buffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("netdesk output:\n%s", p.out.String())
		}
	})
	return p
}

// TestCrashMidBacklog kills `netdesk serve` (SIGKILL) while it takes in a
// backlog of 500 messages, starts it again, and checks that every message
// became exactly one inquiry and sits in the done mailbox.
func TestCrashMidBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills netdesk")
	}
	const total = 500
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	srv := startMemIMAP(t, memOptions{wrap: func(c net.Conn) net.Conn { return slowMove{&throttled{Conn: c, bps: 150 << 10}} }})
	filler := strings.Repeat("I have been waiting for my residency papers for months and nobody answers. ", 12)
	var raws [][]byte
	for i := range total {
		raws = append(raws, mail{from: fmt.Sprintf("person%03d@example.org", i), subject: fmt.Sprintf("backlog %03d", i),
			messageID: fmt.Sprintf("<backlog-%03d@example.org>", i), body: fmt.Sprintf("token-%03d\n%s\n", i, filler)}.raw())
	}
	direct := srv // the test's own connections are throttled too; they are small
	direct.deliver(t, "INBOX", raws...)

	bin := testbin.Netdesk(t)
	env := []string{
		"NETDESK_REDIS_URL=" + rs.URL, "NETDESK_REDIS_PREFIX=crash", "NETDESK_HTTP_ADDR=127.0.0.1:0",
		"NETDESK_IMAP_ADDR=" + srv.Addr, "NETDESK_IMAP_USER=" + imapUser, "NETDESK_IMAP_PASSWORD=" + imapPass,
		"NETDESK_IMAP_TLS=none", "NETDESK_LOG_LEVEL=warn",
	}
	keys := queue.NewKeys("crash")
	ctx := context.Background()
	inquiries := func() int64 { n, _ := rdb.ZCard(ctx, keys.All()).Result(); return n }

	first := startServe(t, bin, env)
	// Kill it when one batch was moved and the next is half taken in:
	// messages in Redis but not yet moved, and messages not yet fetched.
	waitFor(t, 60*time.Second, "part of the backlog taken in", func() bool {
		moved := direct.count(t, "Processed")
		return moved > 0 && inquiries() >= int64(moved)+20
	})
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	moved, made := direct.count(t, "Processed"), inquiries()
	t.Logf("killed with %d moved and %d inquiries", moved, made)
	if moved >= total {
		t.Fatalf("the backlog was done before the kill (%d moved); slow the server down", moved)
	}

	second := startServe(t, bin, env)
	waitFor(t, 3*time.Minute, "the whole backlog", func() bool {
		return direct.count(t, "INBOX") == 0 && direct.count(t, "Processed") == total && inquiries() == total && routed(rdb, keys)
	})
	_ = second.cmd.Process.Signal(syscall.SIGTERM)
	_ = second.cmd.Wait()

	// Every message is exactly one inquiry with one message.
	store := queue.NewStore(rdb, queue.Options{Prefix: "crash"})
	refs, err := rdb.ZRange(ctx, keys.All(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range refs {
		q, err := store.Load(ctx, inquiry.Reference(r))
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Messages) != 1 {
			t.Errorf("%s has %d messages", r, len(q.Messages))
			continue
		}
		token := strings.SplitN(q.Messages[0].Text, "\n", 2)[0]
		if seen[token] {
			t.Errorf("%s taken in twice", token)
		}
		seen[token] = true
	}
	if len(seen) != total {
		t.Errorf("%d distinct messages became inquiries, want %d", len(seen), total)
	}
	if n := len(direct.messages(t, "Processed")); n != total {
		t.Errorf("%d messages in Processed, want %d", n, total)
	}
}

// routed reports that the router workers have nothing pending.
func routed(rdb *redis.Client, keys queue.Keys) bool {
	ctx := context.Background()
	n, err := rdb.XLen(ctx, keys.Inbound()).Result()
	if err != nil || n != 0 {
		return false
	}
	p, err := rdb.XPending(ctx, keys.Inbound(), queue.InboundGroup).Result()
	return err == nil && p.Count == 0
}
