package desk

import (
	"context"
	"time"

	"github.com/unmigration-iraq/netdesk/queue"
)

// RouterWorker returns a router worker named name: a consumer of the
// inbound stream that turns each entry into an inquiry message
// (HandleInbound). An entry that cannot be is kept in the dead letters.
// block bounds a read's wait for new entries; minIdle is how long an entry
// a dead worker held waits before another takes it (0: the defaults).
func (d *Desk) RouterWorker(name string, block, minIdle time.Duration) *queue.Consumer {
	log := d.log.With("comp", "router")
	return &queue.Consumer{
		Client: d.store.Client(), Stream: d.store.Keys().Inbound(), Group: queue.InboundGroup,
		Name: name, Handle: d.HandleInbound, Delete: true, Block: block, MinIdle: minIdle, Log: log,
		Dead: func(ctx context.Context, id string, values map[string]any, err error) {
			if derr := d.store.DeadInbound(ctx, id, values, err.Error()); derr != nil {
				log.Error("inbound dead letter not stored", "id", id, "err", derr)
			}
		},
	}
}
