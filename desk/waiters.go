package desk

import (
	"context"
	"sync"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// waiters lets an intake request wait until a router worker of this process
// has stored its inquiry, so the 201 answer means "routed and queued".
type waiters struct {
	mu sync.Mutex
	m  map[inquiry.Reference]chan struct{}
}

func newWaiters() *waiters { return &waiters{m: map[inquiry.Reference]chan struct{}{}} }

func (w *waiters) add(ref inquiry.Reference) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	w.m[ref] = ch
	return ch
}

func (w *waiters) remove(ref inquiry.Reference) {
	w.mu.Lock()
	delete(w.m, ref)
	w.mu.Unlock()
}

func (w *waiters) done(ref inquiry.Reference) {
	w.mu.Lock()
	if ch, ok := w.m[ref]; ok {
		close(ch)
		delete(w.m, ref)
	}
	w.mu.Unlock()
}

// wait returns when ch closes, when exists reports the inquiry stored (a
// worker of another process took it), or at the deadline.
func (w *waiters) wait(ctx context.Context, ch chan struct{}, exists func() bool, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-ch:
			return true
		case <-poll.C:
			if exists() {
				return true
			}
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
