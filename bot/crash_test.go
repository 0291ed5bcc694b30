package bot

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/testbin"
	"github.com/unmigration-iraq/netdesk/queue"
)

// crashLimits let 1,000 messages go out in seconds, with the fake
// enforcing the same limits.
const crashLimits = `
limits: {intake_per_minute: 0, telegram_per_minute: 20, max_text_chars: 20000, max_email_bytes: 26214400,
         send_private_per_second: 1, send_group_per_minute: 600, send_per_second: 200}
`

// TestCrashLosesAndDuplicatesNothing runs `netdesk serve` as a process and
// kills it (SIGKILL) twice: while a burst of 500 updates is being taken in,
// and while the ~1,000 messages they cause are being sent. After a restart
// every update is exactly one inquiry message, and every message was sent
// once; the only duplicates allowed are those the sender recorded as in
// doubt (a request in flight at the kill: Telegram may have delivered it).
func TestCrashLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills netdesk serve; skipped with -short")
	}
	bin := testbin.Netdesk(t)
	dir := t.TempDir() // the serve logs
	rs := redistest.Start(t)
	rdb := rs.Client(t)
	fake := bottest.New(t, bottest.Options{GlobalPerSecond: 200, PrivatePerSecond: 1, GroupPerMinute: 600})
	cfgPath := writeConfig(t, crashLimits)
	cfg, err := config.Load(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	keys := queue.NewKeys("netdesk")
	ctx := context.Background()

	// 500 people, one message each, on every topic.
	var kws []string
	for _, tp := range cfg.Topics {
		if k := tp.Keywords["en"]; len(k) > 0 {
			kws = append(kws, k[0])
		}
	}
	const n = 500
	texts := map[string]int64{}
	for i := range n {
		text := fmt.Sprintf("Message %03d: I have a question about %s", i, kws[i%len(kws)])
		chat := int64(60000 + i)
		texts[text] = chat
		fake.PersonText(chat, "en", text)
	}

	var logs []string
	start := func(run int) *exec.Cmd {
		t.Helper()
		logPath := filepath.Join(dir, fmt.Sprintf("serve-%d.log", run))
		logs = append(logs, logPath)
		f, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(),
			"NETDESK_REDIS_URL="+rs.URL, "NETDESK_TELEGRAM_TOKEN="+fake.Token, "NETDESK_TELEGRAM_API="+fake.URL,
			"NETDESK_HTTP_ADDR="+freeAddr(t), "NETDESK_CONFIG="+cfgPath, "NETDESK_LOG_LEVEL=info")
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			f.Close()
		})
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		// The dead process's poller lease would expire within 15 s; the
		// test does not wait for that.
		rdb.Del(ctx, keys.Lease(LeaseName))
	}
	sends := func() int { return fake.Calls("sendMessage") }

	// 1. Killed while taking the burst in.
	p := start(1)
	eventually(t, 30*time.Second, "the burst being taken in", func() bool { return fake.Served() >= 200 })
	kill(p)
	pending := fake.Pending()
	t.Logf("kill 1: %d of %d updates unconfirmed, %d sent", pending, n, sends())
	if pending == 0 || pending == n {
		t.Logf("the kill did not land mid-burst (pending %d); the test still checks recovery", pending)
	}

	// 2. Killed while sending.
	before := sends()
	p = start(2)
	eventually(t, 60*time.Second, "sending under way", func() bool { return sends() >= before+150 })
	kill(p)
	t.Logf("kill 2: %d messages sent", sends())

	// 3. Restart and let it finish.
	p = start(3)
	eventually(t, 150*time.Second, "every inquiry acknowledged and carded", func() bool {
		if fake.Pending() > 0 {
			return false
		}
		all, err := rdb.ZRange(ctx, keys.All(), 0, -1).Result()
		if err != nil || len(all) < n {
			return false
		}
		acked := map[int64]bool{}
		for _, s := range fake.Sent() {
			if s.ChatID >= 60000 && s.ChatID < 60000+n {
				acked[s.ChatID] = true
			}
		}
		if len(acked) < n {
			return false
		}
		groupText := groupTexts(fake)
		for _, ref := range all {
			if !strings.Contains(groupText, ref) {
				return false
			}
		}
		return true
	})
	if err := p.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = p.Wait()

	// Every update is exactly one inquiry message.
	all, _ := rdb.ZRange(ctx, keys.All(), 0, -1).Result()
	if len(all) != n {
		t.Errorf("%d inquiries, want %d", len(all), n)
	}
	got := map[string]int{}
	for _, ref := range all {
		msgs, err := rdb.LRange(ctx, keys.Messages(inquiry.Reference(ref)), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 {
			t.Errorf("%s has %d messages, want 1", ref, len(msgs))
		}
		for _, m := range msgs {
			for text := range texts {
				if strings.Contains(m, `"text":"`+text+`"`) {
					got[text]++
				}
			}
		}
	}
	for text := range texts {
		if got[text] != 1 {
			t.Errorf("update %q is in %d inquiry messages, want 1", text, got[text])
		}
	}

	// Every message was sent once, but for those in doubt.
	inDoubt, _ := rdb.HGet(ctx, keys.Counters(), "telegram_in_doubt").Int()
	dups := 0
	perChat := map[int64]int{}
	safety := cfg.SafetyMessage("en")
	for _, s := range fake.Sent() {
		if s.Method == "sendMessage" && s.ChatID > 0 && s.Text != safety {
			perChat[s.ChatID]++ // the ack (an urgent message also gets the safety message)
		}
	}
	for chat := int64(60000); chat < 60000+n; chat++ {
		switch c := perChat[chat]; {
		case c == 0:
			t.Errorf("chat %d got no ack", chat)
		case c > 1:
			dups += c - 1
		}
	}
	groupText := groupTexts(fake)
	for _, ref := range all {
		switch c := strings.Count(groupText, ref); {
		case c == 0:
			t.Errorf("no card for %s", ref)
		case c > 1:
			dups += c - 1
		}
	}
	t.Logf("%d messages sent, %d duplicates, %d in doubt, %d 429s", sends(), dups, inDoubt, fake.Throttled())
	if dups > inDoubt {
		t.Errorf("%d duplicates but only %d sends in doubt", dups, inDoubt)
	}
	if fake.Throttled() != 0 {
		t.Errorf("%d 429s", fake.Throttled())
	}
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if strings.Contains(string(b), fake.Token) {
			t.Errorf("the bot token appears in %s", l)
		}
	}
}

func groupTexts(f *bottest.Fake) string {
	var b strings.Builder
	for _, s := range f.Sent() {
		if s.Method == "sendMessage" && s.ChatID < 0 {
			b.WriteString(s.Text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func freeAddr(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
