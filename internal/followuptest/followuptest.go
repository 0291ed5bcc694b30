// Package followuptest runs follow-up schedulers side by side, as several
// netdesk serve processes do, for the channels' exactly-once tests.
package followuptest

import (
	"context"
	"sync"
	"testing"

	"github.com/unmigration-iraq/netdesk/followup"
)

// TickTogether starts n schedulers with o and lets each tick ticks times,
// all at once, and waits for them.
func TickTogether(tb testing.TB, o followup.Options, n, ticks int) {
	tb.Helper()
	var wg sync.WaitGroup
	for range n {
		s, err := followup.New(o)
		if err != nil {
			tb.Fatal(err)
		}
		wg.Go(func() {
			for range ticks {
				if _, err := s.Tick(context.Background()); err != nil {
					tb.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
