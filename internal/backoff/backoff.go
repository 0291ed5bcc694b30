// Package backoff is the one exponential backoff of netdesk: reconnecting
// to IMAP and Telegram, waiting out a Redis outage, retrying the send
// schedule. A wait starts at Min and doubles up to Max.
package backoff

import (
	"context"
	"time"
)

// Backoff is a doubling wait. It is not safe for concurrent use; each loop
// keeps its own.
type Backoff struct {
	min, max, cur time.Duration
}

// New returns a backoff that waits min first and at most max.
func New(min, max time.Duration) *Backoff { return &Backoff{min: min, max: max, cur: min} }

// Next is the wait the next Wait or Step will use.
func (b *Backoff) Next() time.Duration { return b.cur }

// Reset starts over from the shortest wait (after a success).
func (b *Backoff) Reset() { b.cur = b.min }

// At sets the next wait to d (a server's retry_after), but never under min.
func (b *Backoff) At(d time.Duration) { b.cur = max(d, b.min) }

// Step returns the wait to use now and doubles the next one.
func (b *Backoff) Step() time.Duration {
	d := b.cur
	b.cur = min(2*b.cur, b.max)
	return d
}

// Wait sleeps Step() or until ctx is done; it reports whether it slept the
// whole wait.
func (b *Backoff) Wait(ctx context.Context) bool { return Sleep(ctx, b.Step()) }

// Sleep waits d or until ctx is done; it reports whether it slept the whole
// wait.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
