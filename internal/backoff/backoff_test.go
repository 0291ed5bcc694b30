package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDoublesUpToMaxAndResets(t *testing.T) {
	b := New(100*time.Millisecond, time.Second)
	var got []time.Duration
	for range 6 {
		got = append(got, b.Step())
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got[i] != w*time.Millisecond {
			t.Fatalf("steps %v", got)
		}
	}
	b.Reset()
	if b.Next() != 100*time.Millisecond {
		t.Errorf("after Reset: %v", b.Next())
	}
	b.At(10 * time.Millisecond)
	if b.Next() != 100*time.Millisecond {
		t.Errorf("At under min: %v", b.Next())
	}
	b.At(3 * time.Second)
	if b.Next() != 3*time.Second {
		t.Errorf("At a server's retry_after: %v", b.Next())
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if New(time.Hour, time.Hour).Wait(ctx) {
		t.Error("Wait slept through a cancelled context")
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep did not sleep")
	}
}
