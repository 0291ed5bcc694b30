package queue

import (
	"context"
	"time"
)

// Lease lets one process at a time run a singleton component (the Telegram
// poller, the IMAP listener, the scheduler). A holder renews it well before
// it expires; when the holder dies another process takes over within TTL.
type Lease struct {
	store  *Store
	name   string
	holder string
	TTL    time.Duration
}

// NewLease returns the lease name for holder (unique per process).
func (s *Store) NewLease(name, holder string, ttl time.Duration) *Lease {
	return &Lease{store: s, name: name, holder: holder, TTL: ttl}
}

// TryAcquire takes or renews the lease; false means another process holds it.
func (l *Lease) TryAcquire(ctx context.Context) (bool, error) {
	n, err := leaseAcquireScript.Run(ctx, l.store.rdb, []string{l.store.keys.Lease(l.name)}, l.holder, l.TTL.Milliseconds()).Int()
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

// Release gives the lease back if still held, so a successor need not wait.
func (l *Lease) Release(ctx context.Context) error {
	return unavailable(leaseReleaseScript.Run(ctx, l.store.rdb, []string{l.store.keys.Lease(l.name)}, l.holder).Err())
}

// Run calls fn whenever this process holds the lease, with a context that
// ends when the lease is lost or ctx ends. It returns when ctx ends.
func (l *Lease) Run(ctx context.Context, fn func(ctx context.Context)) {
	renew := l.TTL / 3
	for ctx.Err() == nil {
		ok, err := l.TryAcquire(ctx)
		if err != nil || !ok {
			if err != nil {
				l.store.log.Warn("lease unavailable", "lease", l.name, "err", err)
			}
			sleep(ctx, renew)
			continue
		}
		l.store.log.Info("lease acquired", "lease", l.name)
		held, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			fn(held)
		}()
		// Renew while fn runs; stop fn when the lease is lost.
		t := time.NewTicker(renew)
	renewing:
		for {
			select {
			case <-done:
				break renewing
			case <-t.C:
				ok, err := l.TryAcquire(ctx)
				if err == nil && !ok {
					l.store.log.Warn("lease lost", "lease", l.name)
					cancel()
				} else if err != nil {
					l.store.log.Warn("lease renewal failed", "lease", l.name, "err", err)
				}
			}
		}
		t.Stop()
		cancel()
		<-done
		if ctx.Err() != nil {
			_ = l.Release(context.WithoutCancel(ctx))
			return
		}
		sleep(ctx, renew)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
