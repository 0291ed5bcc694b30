package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

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
	status   string // what staff did, when redrawn (statusLine)
}

// excerptLen is how much of a message a combined card shows.
const excerptLen = 90

// sendBatch sends card entries as one combined message and returns the
// group's next delay and the entries done.
func (s *Sender) sendBatch(ctx context.Context, batch []*entry) (time.Duration, []*entry) {
	var items []*batchItem
	var done []*entry
	looks, err := s.look(ctx, batch)
	if err != nil {
		return time.Second, nil
	}
	states := map[*entry]sendState{}
	for i, e := range batch {
		if looks[i].sent {
			done = append(done, e)
			continue
		}
		states[e] = looks[i].st
		i := slices.IndexFunc(items, func(it *batchItem) bool { return it.ref == e.o.Reference })
		if i >= 0 {
			items[i].entries = append(items[i].entries, e)
			continue
		}
		items = append(items, &batchItem{ref: e.o.Reference, entries: []*entry{e}, followup: e.o.Kind == queue.KindFollowupCard})
	}
	if len(items) == 0 {
		return 0, done
	}
	for _, it := range items {
		s.describe(ctx, it)
	}
	slices.SortStableFunc(items, func(a, b *batchItem) int {
		switch {
		case a.urgent == b.urgent:
			return 0
		case a.urgent:
			return -1
		}
		return 1
	})
	text, n := renderBatch(items)
	items = items[:n]
	refs := make([]inquiry.Reference, n)
	for i, it := range items {
		refs[i] = it.ref
	}
	var sending []*entry
	var ids []string
	for _, it := range items {
		for _, e := range it.entries {
			sending = append(sending, e)
			ids = append(ids, e.o.ID)
		}
	}
	to := sending[0].o.To
	var tries int
	for _, e := range sending {
		st := states[e]
		if st.state == "sending" {
			s.inDoubt(ctx, e)
		}
		tries = max(tries, st.tries)
	}
	if err := s.setState(ctx, ids, "state", "sending"); err != nil {
		return time.Second, done
	}
	rctx, cancel := context.WithTimeout(ctx, s.o.RequestTimeout)
	defer cancel()
	msg, err := s.api.SendText(rctx, SendMessage{ChatID: to, Text: text, ReplyMarkup: keyboard(batchRows(refs))})
	if err != nil {
		delay, failed := s.failed(ctx, sending, err, tries)
		return delay, append(done, failed...)
	}
	s.rememberCard(ctx, to, msg.MessageID, refs)
	for _, e := range sending {
		s.markSent(ctx, e)
	}
	s.log.Info("combined cards for a busy group", "agency", sending[0].o.Agency, "inquiries", len(items))
	return s.group, append(done, sending...)
}

// describe fills an item from its inquiry (or from its card when the
// inquiry cannot be read).
func (s *Sender) describe(ctx context.Context, it *batchItem) {
	q, err := s.store.Load(ctx, it.ref)
	if err != nil {
		it.excerpt = lastParagraph(it.entries[len(it.entries)-1].o.Text)
		it.urgent = strings.Contains(it.entries[0].o.Text, "URGENT")
		return
	}
	it.topic, it.language, it.urgent = q.Topic, q.Language, q.Urgent
	for _, m := range slices.Backward(q.Messages) {
		if m.Direction == inquiry.In {
			it.excerpt = m.Text
			if it.excerpt == "" && len(m.Attachments) > 0 {
				it.excerpt = fmt.Sprintf("[%d attachment(s)]", len(m.Attachments))
			}
			break
		}
	}
	if q.Erased {
		it.excerpt = "(personal data erased)"
	}
	it.status = s.statusLine(q)
}

// statusLine is the footer line a card gets for what staff did, rebuilt
// from the inquiry when a combined message is drawn again.
func (s *Sender) statusLine(q *inquiry.Inquiry) string {
	who := q.Assignee
	if st, ok := s.cfg.StaffByID(q.Assignee); ok && st.Name != "" {
		who = st.Name
	}
	switch {
	case q.Status == inquiry.Closed:
		return "Closed"
	case who != "":
		return "Claimed by " + who
	}
	return ""
}

func lastParagraph(s string) string {
	if i := strings.LastIndex(s, "\n\n"); i >= 0 {
		return s[i+2:]
	}
	return s
}

// renderBatch writes the combined message for as many items as fit, and
// returns its text and the number of items it holds.
func renderBatch(items []*batchItem) (string, int) {
	blocks := make([]string, 0, len(items))
	for _, it := range items {
		var b strings.Builder
		if it.urgent {
			b.WriteString("🚨 URGENT ")
		}
		if it.followup {
			b.WriteString("💬 ")
		} else {
			b.WriteString("🆕 ")
		}
		b.WriteString(string(it.ref))
		if it.topic != "" {
			b.WriteString(" · " + it.topic)
		}
		if it.language != "" {
			b.WriteString(" · " + it.language)
		}
		if ex := strings.Join(strings.Fields(it.excerpt), " "); ex != "" {
			b.WriteString("\n" + Clip(ex, excerptLen))
		}
		blocks = append(blocks, b.String())
		if len(blocks) > 1 && (TextLen(batchText(blocks)) > MaxText || len(blocks) > maxBatchItems) {
			blocks = blocks[:len(blocks)-1]
			break
		}
	}
	return Clip(batchText(blocks), MaxText), len(blocks)
}

func batchText(blocks []string) string {
	return fmt.Sprintf("📥 %d inquiries waiting (combined: the group is busy)\n\n%s", len(blocks), strings.Join(blocks, "\n\n"))
}

// batchRows is the keyboard of a combined message: a row per inquiry.
func batchRows(refs []inquiry.Reference) [][]queue.Button {
	rows := make([][]queue.Button, 0, len(refs))
	for _, ref := range refs {
		r := string(ref)
		rows = append(rows, []queue.Button{
			{Text: "Claim " + r, Data: "claim:" + r},
			{Text: "Reassign", Data: "reassign:" + r},
			{Text: "Close", Data: "close:" + r},
		})
	}
	return rows
}
