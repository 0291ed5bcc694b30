package bot

import "github.com/unmigration-iraq/netdesk/queue"

// The sender's schedule is kept in Redis by queue.SendSchedule, so that
// every process sending for the bot keeps to one set of limits; here is
// only how the bot ranks its messages in it.

// Ranks order a chat's queue, and the rank of a chat's next entry is the
// band of its ready set.
const (
	rankSafety = 0
	rankAck    = 1
	rankReply  = 2 // staff replies, the bot's answers, card edits
	rankOther  = 3 // cards, follow-ups, digests
)

func rankOf(o *queue.Outbound) int {
	switch {
	case o.Kind == queue.KindSafety:
		return rankSafety
	case o.Kind == queue.KindAck:
		return rankAck
	case o.Kind == queue.KindReply || o.EditMessage != 0 || o.Kind == queue.KindNotice:
		return rankReply
	}
	return rankOther
}
