package main

import (
	"context"
	"time"

	"github.com/unmigration-iraq/netdesk/followup"
)

// schedulerLeaseTTL: another process takes the scheduler over within this
// when its holder dies (SPEC §10).
const schedulerLeaseTTL = 15 * time.Second

// followupComponents wires the follow-up scheduler. It runs in one process
// at a time, under the "scheduler" lease; claims of due timers and the
// per-day digest mark keep a handover from sending anything twice.
func followupComponents(w wiring) []component {
	s, err := followup.New(followup.Options{Desk: w.desk, Now: w.store.Now, Log: w.log})
	if err != nil {
		// Unreachable with a validated configuration (config checks the
		// cron specs); reported as a stopped component, not silently.
		return []component{{name: "scheduler", run: func(context.Context) error { return err }}}
	}
	lease := w.store.NewLease("scheduler", w.instance, schedulerLeaseTTL)
	return []component{{name: "scheduler", run: func(ctx context.Context) error {
		lease.Run(ctx, func(held context.Context) {
			if err := s.Run(held); err != nil {
				w.log.Error("scheduler stopped", "comp", "followup", "err", err)
			}
		})
		return nil
	}}}
}
