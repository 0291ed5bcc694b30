package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// Staff triage in each agency's group. Who may act is decided by the desk
// (agents: inquiries their agency leads or supports; coordinators and
// admins: all), for the staff member the Telegram user is configured as;
// anyone else is told so and nothing changes.

const (
	notAllowed = "You are not allowed to act on this inquiry."
	notStaff   = "Only the agency's configured staff can do this (staff need their telegram_user in the network file)."
	staffHelp  = "Buttons on a card: Claim, Reassign, Close.\nReply to a card to answer the person, or write /reply NM-XXXXXX your answer.\n/queue lists this agency's open inquiries."
)

func (b *Bot) staffMessage(ctx context.Context, id string, ag config.Agency, m *tgbotapi.Message) error {
	if m.From == nil || m.From.IsBot {
		return nil
	}
	text := strings.TrimSpace(m.Text)
	if text == "" {
		text = strings.TrimSpace(m.Caption)
	}
	cmd, args := b.command(text)
	staff, isStaff := b.cfg.StaffByTelegram(m.From.ID)
	chat := strconv.FormatInt(m.Chat.ID, 10)
	notice := func(suffix, text string) error {
		return b.say(ctx, queue.Outbound{To: chat, Group: true, Agency: ag.ID, Text: text, ReplyTo: m.MessageID}, id, suffix)
	}
	switch cmd {
	case "/reply":
		refText, answer, _ := strings.Cut(args, " ")
		ref, ok := inquiry.ParseReference(refText)
		if !ok || strings.TrimSpace(answer) == "" {
			return notice("usage", "Write /reply NM-XXXXXX followed by your answer.")
		}
		if !isStaff {
			return notice("denied", notStaff)
		}
		return b.staffReply(ctx, id, staff, ref, answer, notice)
	case "/queue":
		if !isStaff {
			return notice("denied", notStaff)
		}
		return b.queueList(ctx, staff, ag, notice)
	case "/help", "/start":
		return notice("help", staffHelp)
	case "":
		// A reply to one of the bot's cards answers its inquiry.
		if m.ReplyToMessage == nil || text == "" || strings.HasPrefix(text, "/") {
			return nil
		}
		refs, err := b.store.CardRefs(ctx, chat, m.ReplyToMessage.MessageID)
		if err != nil {
			return err
		}
		if len(refs) == 0 {
			// A card whose message id is not recorded yet (the reply came
			// right after it was sent): its buttons name its inquiries.
			refs = buttonRefs(m.ReplyToMessage)
		}
		switch {
		case len(refs) == 0:
			return nil // staff talking among themselves
		case !isStaff:
			return notice("denied", notStaff)
		case len(refs) > 1:
			return notice("which", "That message lists several inquiries. Write /reply NM-XXXXXX your answer.")
		}
		return b.staffReply(ctx, id, staff, refs[0], text, notice)
	}
	return nil
}

func (b *Bot) staffReply(ctx context.Context, id string, staff config.Staff, ref inquiry.Reference, text string, notice func(suffix, text string) error) error {
	_, err := b.desk.ReplyOnce(ctx, staff, ref, text, Source+":"+id)
	switch code := inquiry.ErrorCode(err); {
	case err == nil:
		b.log.Info("staff replied from Telegram", "ref", ref, "staff", staff.ID)
		return notice("sent", fmt.Sprintf("✓ Your answer to %s is on its way to the person.", ref))
	case errors.Is(err, queue.ErrDuplicate):
		return nil
	case code == inquiry.ENOTFOUND:
		return notice("denied", fmt.Sprintf("No inquiry %s that you may answer.", ref))
	case code == inquiry.EINVALID || code == inquiry.ECONFLICT || code == inquiry.ETOOLARGE:
		return notice("invalid", "Not sent: "+inquiry.ErrorMessage(err))
	}
	return err
}

// queueLines is how many inquiries /queue lists.
const queueLines = 30

func (b *Bot) queueList(ctx context.Context, staff config.Staff, ag config.Agency, notice func(suffix, text string) error) error {
	sums, err := b.desk.Queue(ctx, staff, desk.Filter{Agency: ag.ID, Limit: queueLines + 1})
	if code := inquiry.ErrorCode(err); code == inquiry.ENOTFOUND || code == inquiry.EINVALID {
		return notice("denied", notAllowed)
	} else if err != nil {
		return err
	}
	if len(sums) == 0 {
		return notice("queue", fmt.Sprintf("No open inquiries for %s.", ag.ID))
	}
	lines := []string{fmt.Sprintf("Open inquiries for %s (urgent first, then oldest):", ag.ID)}
	for i, s := range sums {
		if i == queueLines {
			lines = append(lines, "… and more (see the dashboard).")
			break
		}
		line := fmt.Sprintf("%s · %s · %s · %s", s.Reference, s.Status, s.Topic, desk.Age(b.store.Now().Sub(s.CreatedAt)))
		if s.Urgent {
			line = "🚨 " + line
		}
		if s.Overdue {
			line += " · overdue"
		}
		if s.Assignee != "" {
			line += " · " + s.Assignee
		}
		lines = append(lines, line)
	}
	return notice("queue", strings.Join(lines, "\n"))
}

// staffCallback handles a card's buttons: claim:REF, reassign:REF (shows
// the agencies), assign:REF:AGENCY, cancel:REF (back to the card's
// buttons), close:REF.
func (b *Bot) staffCallback(ctx context.Context, id string, ag config.Agency, cb *tgbotapi.CallbackQuery) error {
	parts := strings.SplitN(cb.Data, ":", 3)
	if len(parts) < 2 {
		b.answer(ctx, cb.ID, "")
		return nil
	}
	action := parts[0]
	ref, ok := inquiry.ParseReference(parts[1])
	if !ok {
		b.answer(ctx, cb.ID, "")
		return nil
	}
	staff, ok := b.cfg.StaffByTelegram(cb.From.ID)
	if !ok {
		// At debug level only: how an admin finds a new colleague's
		// telegram_user (they press a button, the log tells the id).
		b.log.Debug("button press by a Telegram user who is not configured staff", "agency", ag.ID, "telegram_user", cb.From.ID)
		b.answer(ctx, cb.ID, notAllowed)
		return nil
	}
	who := orDefault(staff.Name, staff.ID)
	var (
		q    *inquiry.Inquiry
		err  error
		line string // what the card says was done
		ack  string // what the presser is told
		rows [][]queue.Button
	)
	switch action {
	case "claim":
		q, err = b.desk.Claim(ctx, staff, ref)
		line, ack = "Claimed by "+who, "Claimed"
	case "close":
		q, err = b.desk.Close(ctx, staff, ref)
		line, ack = "Closed by "+who, "Closed"
	case "reassign":
		q, err = b.desk.Get(ctx, staff, ref)
		if err == nil {
			rows = b.agencyRows(q)
			ack = "Choose the agency"
		}
	case "cancel":
		_, err = b.desk.Get(ctx, staff, ref)
		if err == nil {
			rows, err = b.cardRows(ctx, cb.Message, ref)
		}
	case "assign":
		if len(parts) < 3 {
			b.answer(ctx, cb.ID, "")
			return nil
		}
		q, err = b.desk.Assign(ctx, staff, ref, parts[2], "reassigned in the Telegram group by "+staff.ID)
		if err == nil {
			line, ack = fmt.Sprintf("Reassigned to %s by %s", q.Agency, who), "Reassigned to "+q.Agency
			rows, err = b.cardRows(ctx, cb.Message, ref)
		}
	default:
		b.answer(ctx, cb.ID, "")
		return nil
	}
	switch code := inquiry.ErrorCode(err); {
	case err == nil:
	case code == inquiry.ENOTFOUND:
		b.answer(ctx, cb.ID, notAllowed)
		return nil
	case code == inquiry.ECONFLICT || code == inquiry.EINVALID || code == inquiry.EFORBIDDEN:
		b.answer(ctx, cb.ID, inquiry.ErrorMessage(err))
		return nil
	default:
		return err
	}
	if line != "" {
		b.log.Info("staff action from Telegram", "action", action, "ref", ref, "staff", staff.ID)
	}
	b.answer(ctx, cb.ID, ack)
	// The card shows what was done (and the buttons that now apply).
	text := cb.Message.Text
	if line != "" {
		text = withStatus(text, ref, line)
	}
	if rows == nil {
		rows = buttonsOf(cb.Message.ReplyMarkup)
	}
	return b.say(ctx, queue.Outbound{
		To: strconv.FormatInt(cb.Message.Chat.ID, 10), Group: true, Agency: ag.ID, Reference: ref, Kind: queue.KindCardEdit,
		EditMessage: cb.Message.MessageID, Text: text, Buttons: rows,
	}, id, "edit")
}

// agencyRows is the keyboard of a Reassign: every other agency, then Cancel.
func (b *Bot) agencyRows(q *inquiry.Inquiry) [][]queue.Button {
	var rows [][]queue.Button
	var row []queue.Button
	for _, a := range b.cfg.Agencies {
		if a.ID == q.Agency {
			continue
		}
		row = append(row, queue.Button{Text: a.ID, Data: "assign:" + string(q.Reference) + ":" + a.ID})
		if len(row) == 3 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return append(rows, []queue.Button{{Text: "Cancel", Data: "cancel:" + string(q.Reference)}})
}

// cardRows is the keyboard a card (or combined message) had when posted.
func (b *Bot) cardRows(ctx context.Context, msg *tgbotapi.Message, ref inquiry.Reference) ([][]queue.Button, error) {
	refs, err := b.store.CardRefs(ctx, strconv.FormatInt(msg.Chat.ID, 10), msg.MessageID)
	if err != nil {
		return nil, err
	}
	if len(refs) > 1 {
		return batchRows(refs), nil
	}
	return desk.CardButtons(ref), nil
}

func buttonsOf(kb *tgbotapi.InlineKeyboardMarkup) [][]queue.Button {
	if kb == nil {
		return nil
	}
	rows := make([][]queue.Button, 0, len(kb.InlineKeyboard))
	for _, r := range kb.InlineKeyboard {
		row := make([]queue.Button, 0, len(r))
		for _, btn := range r {
			if btn.CallbackData != nil {
				row = append(row, queue.Button{Text: btn.Text, Data: *btn.CallbackData})
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// statusRule separates a card's text from the lines that say what staff did.
const statusRule = "\n\n━━━━━━━━\n"

// withStatus sets the line for ref in the status lines under a card's text
// ("NM-4K7Q2X — Claimed by Amina"), keeping the lines of other inquiries of
// a combined message, within Telegram's length.
func withStatus(text string, ref inquiry.Reference, line string) string {
	base, footer := text, ""
	if i := strings.LastIndex(text, statusRule); i >= 0 {
		base, footer = text[:i], text[i+len(statusRule):]
	}
	prefix := string(ref) + " — "
	var lines []string
	found := false
	for _, l := range strings.Split(footer, "\n") {
		if l == "" {
			continue
		}
		r, _, ok := strings.Cut(l, " — ")
		if _, isRef := inquiry.ParseReference(r); !ok || !isRef {
			// Not our footer after all: the rule was part of the text.
			base, lines = text, nil
			break
		}
		if strings.HasPrefix(l, prefix) {
			l, found = prefix+line, true
		}
		lines = append(lines, l)
	}
	if !found {
		lines = append(lines, prefix+line)
	}
	foot := statusRule + strings.Join(lines, "\n")
	return Clip(base, MaxText-TextLen(foot)) + foot
}

// buttonRefs returns the inquiries named by the Claim buttons of a card the
// bot posted (Telegram sends the replied-to message with its keyboard).
func buttonRefs(m *tgbotapi.Message) []inquiry.Reference {
	if m == nil || m.From == nil || !m.From.IsBot || m.ReplyMarkup == nil {
		return nil
	}
	var refs []inquiry.Reference
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, btn := range row {
			if btn.CallbackData == nil {
				continue
			}
			if r, ok := strings.CutPrefix(*btn.CallbackData, "claim:"); ok {
				if ref, ok := inquiry.ParseReference(r); ok {
					refs = append(refs, ref)
				}
			}
		}
	}
	return refs
}
