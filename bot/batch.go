package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Combining cards. A group may be sent 20 messages a minute. When more
// cards wait for a group than that budget, the sender combines them: each
// message lists k = ceil(waiting / budget) inquiries (at least 2, at most
// 30, and as many as fit in 4,096 characters), so whatever the burst, the
// group is never more than about a minute behind. Each inquiry in the list
// has its reference, topic, language, urgency and the start of its text,
// and its own row of buttons (Claim NM-…, Reassign, Close). A staff reply
// to a combined message cannot tell which inquiry it answers; the bot asks
// for /reply REF text instead.

// batchItem is one inquiry in a combined message.
type batchItem struct {
	ref      inquiry.Reference
	entries  []*entry
	topic    string
	language string
	urgent   bool
	followup bool
	excerpt  string
}

// excerptLen is how much of a message a combined card shows.
const excerptLen = 90

// sendBatch combines card entries into one message.
func (s *Sender) sendBatch(ctx context.Context, batch []*entry) (delay_ interface{ _() }, done []*entry) {
	panic("replaced below")
}
