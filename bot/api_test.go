package bot

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
)

func TestClientOutcomesAreTyped(t *testing.T) {
	f := bottest.New(t, bottest.Options{PrivatePerSecond: 1})
	c := NewClient(f.URL, f.Token, nil)
	ctx := context.Background()

	if _, err := c.SendText(ctx, SendMessage{ChatID: "501", Text: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SendText(ctx, SendMessage{ChatID: "501", Text: "two"})
	var thr *ThrottledError
	if !errors.As(err, &thr) || thr.RetryAfter < time.Second {
		t.Errorf("second message in a second: %v, want a ThrottledError with retry_after", err)
	}
	f.Block(502, true)
	_, err = c.SendText(ctx, SendMessage{ChatID: "502", Text: "hi"})
	var stop *StoppedError
	if !errors.As(err, &stop) || !strings.Contains(stop.Reason, "blocked") {
		t.Errorf("blocked: %v", err)
	}
	_, err = c.SendText(ctx, SendMessage{ChatID: "503", Text: strings.Repeat("🙂", 2049)})
	var fail *FailedError
	if !errors.As(err, &fail) || fail.Code != 400 {
		t.Errorf("4,098 UTF-16 units: %v, want a 400", err)
	}
	f.FailNext("getMe", 502, 1)
	_, err = c.GetMe(ctx)
	var tr *TransientError
	if !errors.As(err, &tr) || tr.Code != 502 {
		t.Errorf("502: %v", err)
	}
	if _, err := NewClient(f.URL, "999:wrong", nil).GetMe(ctx); !IsUnauthorized(err) {
		t.Errorf("wrong token: %v", err)
	}
	f.Webhook("http://127.0.0.1:1/x", "s")
	if _, err := c.GetUpdates(ctx, 0, 0, 10); !IsConflict(err) {
		t.Errorf("getUpdates with a webhook set: %v", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	const token = "424242:SECRET-token-value_xyz"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = NewClient("http://"+addr, token, nil).GetMe(context.Background())
	if err == nil {
		t.Fatal("no error from a closed port")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the token is in the error: %v", err)
	}
	var tr *TransientError
	var op *net.OpError
	if !errors.As(err, &tr) || !errors.As(err, &op) {
		t.Errorf("want a TransientError wrapping the network error, got %T: %v", err, err)
	}
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), token) {
			t.Errorf("the token is in a wrapped error: %v", e)
		}
	}
}

func TestLongPollIsCancellable(t *testing.T) {
	f := bottest.New(t, bottest.Options{})
	c := NewClient(f.URL, f.Token, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetUpdates(ctx, 0, 30*time.Second, 10)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("a cancelled long poll returned %v after %s", err, time.Since(start))
	}
}
