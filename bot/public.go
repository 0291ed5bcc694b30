package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// The public conversation, in private chats with the bot.

// languageNames are the language buttons of /start, each in its own script:
// Sorani in Arabic script, Kurmanji (Badini) in Latin script.
var languageNames = map[string]string{"en": "English", "ar": "العربية", "ckb": "کوردی", "kmr": "Kurmancî"}

// languageRows lays the language buttons out in balanced rows of at most
// three, so the names stay readable on a phone: three languages make one
// row, four make two rows of two.
func languageRows(langs []string) [][]queue.Button {
	rows := (len(langs) + 2) / 3
	if rows == 0 {
		return nil
	}
	per := (len(langs) + rows - 1) / rows
	var out [][]queue.Button
	for chunk := range slices.Chunk(langs, per) {
		var row []queue.Button
		for _, l := range chunk {
			row = append(row, queue.Button{Text: orDefault(languageNames[l], l), Data: "lang:" + l})
		}
		out = append(out, row)
	}
	return out
}

func (b *Bot) private(ctx context.Context, id string, m *tgbotapi.Message) error {
	if m.From != nil && m.From.IsBot {
		return nil
	}
	chat := strconv.FormatInt(m.Chat.ID, 10)
	switch cmd, _ := b.command(m.Text); cmd {
	case "/start", "/help", "/language":
		return b.once(ctx, id, func() error { return b.start(ctx, id, chat, m.From) })
	case "/status":
		return b.once(ctx, id, func() error { return b.status(ctx, id, chat, m.From) })
	case "/new":
		return b.once(ctx, id, func() error {
			if err := b.store.EndConversation(ctx, inquiry.Telegram, chat); err != nil {
				return err
			}
			lang := b.lang(ctx, chat, m.From)
			return b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.Text("new", lang, nil), Language: lang}, id, "new")
		})
	case "/urgent", "/danger", "/sos":
		return b.urgent(ctx, id, chat, m.From)
	case "/forget":
		return b.once(ctx, id, func() error {
			lang := b.lang(ctx, chat, m.From)
			return b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.Text("forget_confirm", lang, nil), Language: lang,
				Buttons: [][]queue.Button{
					{{Text: b.cfg.Text("forget_yes", lang, nil), Data: "forget:yes"}},
					{{Text: b.cfg.Text("forget_no", lang, nil), Data: "forget:no"}},
				}}, id, "forget")
		})
	}
	return b.personMessage(ctx, id, chat, m, false)
}

// urgent is /urgent: the person says they are in danger now. Their open
// inquiry becomes urgent (desk.PersonInDanger sends the safety message);
// with none, the safety message goes to them all the same.
func (b *Bot) urgent(ctx context.Context, id, chat string, from *tgbotapi.User) error {
	ref, ok, err := b.store.Conversation(ctx, inquiry.Telegram, chat)
	if err != nil {
		return err
	}
	if ok {
		err := b.desk.PersonInDanger(ctx, inquiry.Telegram, chat, ref, Source+":"+id)
		if inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
			return err // nil: done
		}
	}
	return b.once(ctx, id, func() error {
		lang := b.lang(ctx, chat, from)
		return b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.SafetyMessage(lang), Language: lang, Kind: queue.KindSafety}, id, "safety")
	})
}

// personMessage puts a person's message on the inbound stream: the router
// workers turn it into an inquiry, or add it to the person's open one, and
// queue the ack (and the safety message, when urgent).
func (b *Bot) personMessage(ctx context.Context, id, chat string, m *tgbotapi.Message, edited bool) error {
	text, atts := content(m)
	if text == "" {
		return nil // a sticker, a poll, a service message: nothing to answer
	}
	p, err := b.person(ctx, chat)
	if err != nil {
		return err
	}
	at := time.Unix(int64(m.Date), 0)
	if m.Date == 0 {
		at = b.store.Now()
	}
	in := &queue.Inbound{
		ID: Source + ":" + id, Channel: inquiry.Telegram, Address: chat, Name: name(m.From),
		Language: p.lang, Text: text, At: at, Attachments: atts, TelegramMessage: m.MessageID,
		Edited: edited,
	}
	if edited && m.EditDate != 0 {
		in.At = time.Unix(int64(m.EditDate), 0)
	}
	added, err := b.store.Enqueue(ctx, Source, id, in)
	if err != nil {
		return err
	}
	if !added {
		return nil // taken before: a replay
	}
	// What follows is best effort: the message is safe on the stream.
	if p.blocked {
		// They write again, so they unblocked the bot.
		_ = b.store.SetPersonField(ctx, inquiry.Telegram, chat, fieldBlocked, "")
	}
	b.flood(ctx, id, chat, p.lang, m.From)
	return nil
}

// flood tells a person who writes faster than limits.telegram_per_minute to
// slow down, once a minute. What they sent is kept all the same.
func (b *Bot) flood(ctx context.Context, id, chat, lang string, from *tgbotapi.User) {
	limit := b.cfg.Limits.TelegramPerMinute
	if limit <= 0 {
		return
	}
	ok, err := b.store.Allow(ctx, "tg-in", chat, limit, time.Minute)
	if err != nil || ok {
		return
	}
	if first, err := b.store.Allow(ctx, "tg-slow", chat, 1, time.Minute); err != nil || !first {
		return
	}
	if lang == "" {
		lang = clientLanguage(b.cfg.Network.Languages, from)
	}
	if err := b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.Text("slow_down", lang, nil), Language: lang}, id, "slow"); err != nil {
		b.log.Warn("slow-down notice not queued", "err", err)
	}
}

// content is the text and attachments of a message. A file without a
// caption still makes a message ("[photo]"), so it reaches staff.
func content(m *tgbotapi.Message) (string, []inquiry.Attachment) {
	text := strings.TrimSpace(m.Text)
	if text == "" {
		text = strings.TrimSpace(m.Caption)
	}
	var atts []inquiry.Attachment
	var marks []string
	add := func(mark string, a inquiry.Attachment) {
		atts = append(atts, a)
		marks = append(marks, mark)
	}
	if n := len(m.Photo); n > 0 {
		ph := m.Photo[n-1] // the largest size
		add("[photo]", inquiry.Attachment{Name: "photo.jpg", Type: "image/jpeg", Size: int64(ph.FileSize), FileID: ph.FileID})
	}
	switch {
	case m.Animation != nil:
		a := m.Animation
		add("[animation]", inquiry.Attachment{Name: orDefault(a.FileName, "animation.mp4"), Type: orDefault(a.MimeType, "video/mp4"), Size: int64(a.FileSize), FileID: a.FileID})
	case m.Document != nil:
		d := m.Document
		add("[document: "+orDefault(d.FileName, "file")+"]", inquiry.Attachment{Name: orDefault(d.FileName, "file"), Type: d.MimeType, Size: int64(d.FileSize), FileID: d.FileID})
	}
	if v := m.Voice; v != nil {
		add("[voice message]", inquiry.Attachment{Name: "voice.ogg", Type: orDefault(v.MimeType, "audio/ogg"), Size: int64(v.FileSize), FileID: v.FileID})
	}
	if a := m.Audio; a != nil {
		add("[audio]", inquiry.Attachment{Name: orDefault(a.FileName, "audio"), Type: a.MimeType, Size: int64(a.FileSize), FileID: a.FileID})
	}
	if v := m.Video; v != nil {
		add("[video]", inquiry.Attachment{Name: orDefault(v.FileName, "video.mp4"), Type: orDefault(v.MimeType, "video/mp4"), Size: int64(v.FileSize), FileID: v.FileID})
	}
	if v := m.VideoNote; v != nil {
		add("[video message]", inquiry.Attachment{Name: "video_note.mp4", Type: "video/mp4", Size: int64(v.FileSize), FileID: v.FileID})
	}
	if text == "" {
		text = strings.Join(marks, " ")
	}
	if l := m.Location; l != nil {
		text = strings.TrimSpace(text + fmt.Sprintf("\n[location: %.5f, %.5f]", l.Latitude, l.Longitude))
	}
	if c := m.Contact; c != nil {
		text = strings.TrimSpace(text + "\n[contact: " + strings.TrimSpace(c.FirstName+" "+c.LastName) + " " + c.PhoneNumber + "]")
	}
	return text, atts
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func name(u *tgbotapi.User) string {
	if u == nil {
		return ""
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// lang is the language to answer a person in: their choice, else their
// Telegram app's language when the network speaks it, else "" (English
// texts, or all languages where that matters).
func (b *Bot) lang(ctx context.Context, chat string, from *tgbotapi.User) string {
	if p, err := b.person(ctx, chat); err == nil && p.lang != "" {
		return p.lang
	}
	return clientLanguage(b.cfg.Network.Languages, from)
}

func clientLanguage(langs []string, from *tgbotapi.User) string {
	if from == nil {
		return ""
	}
	code := strings.ToLower(from.LanguageCode)
	base, _, _ := strings.Cut(code, "-")
	for _, l := range langs {
		if l == code || l == base {
			return l
		}
	}
	return ""
}

// start greets and offers the languages as buttons.
func (b *Bot) start(ctx context.Context, id, chat string, from *tgbotapi.User) error {
	lang := b.lang(ctx, chat, from)
	var text string
	if lang != "" {
		text = b.cfg.Text("start", lang, nil)
	} else {
		// Not known yet: greet in every language the network speaks.
		var parts []string
		for _, l := range b.cfg.Network.Languages {
			if t := b.cfg.Templates["start"][l]; t != "" {
				parts = append(parts, t)
			}
		}
		text = strings.Join(parts, "\n\n")
	}
	return b.say(ctx, queue.Outbound{To: chat, Text: text, Language: lang, Buttons: languageRows(b.cfg.Network.Languages)}, id, "start")
}

// statusLimit is how many inquiries /status lists.
const statusLimit = 10

func (b *Bot) status(ctx context.Context, id, chat string, from *tgbotapi.User) error {
	lang := b.lang(ctx, chat, from)
	refs, err := b.store.PersonInquiries(ctx, inquiry.Telegram, chat)
	if err != nil {
		return err
	}
	qs, err := b.store.Records(ctx, refs)
	if err != nil {
		return err
	}
	qs = slices.DeleteFunc(qs, func(q *inquiry.Inquiry) bool { return q.Erased })
	slices.SortFunc(qs, func(a, b *inquiry.Inquiry) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(qs) == 0 {
		return b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.Text("status_none", lang, nil), Language: lang}, id, "status")
	}
	var lines []string
	for _, q := range qs[:min(len(qs), statusLimit)] {
		st := b.cfg.Text("status_"+string(q.Status), lang, nil)
		if st == "" {
			st = string(q.Status)
		}
		lines = append(lines, fmt.Sprintf("%s — %s (%s)", q.Reference, st, q.CreatedAt.In(b.cfg.Location()).Format("2006-01-02")))
	}
	text := b.cfg.Text("status", lang, map[string]string{"list": strings.Join(lines, "\n")})
	return b.say(ctx, queue.Outbound{To: chat, Text: text, Language: lang}, id, "status")
}

// personCallback handles a button press in a private chat: a language
// choice, the /forget confirmation, or the answer to a check-in.
func (b *Bot) personCallback(ctx context.Context, id string, cb *tgbotapi.CallbackQuery) error {
	chat := strconv.FormatInt(cb.Message.Chat.ID, 10)
	action, arg, _ := strings.Cut(cb.Data, ":")
	switch action {
	case "lang":
		if !slices.Contains(b.cfg.Network.Languages, arg) {
			b.answer(ctx, cb.ID, "")
			return nil
		}
		if err := b.store.SetPersonField(ctx, inquiry.Telegram, chat, fieldLang, arg); err != nil {
			return err
		}
		b.answer(ctx, cb.ID, orDefault(languageNames[arg], arg))
		return b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.Text("language_set", arg, nil), Language: arg}, id, "lang")
	case "forget":
		lang := b.lang(ctx, chat, cb.From)
		// The question loses its buttons either way.
		if err := b.say(ctx, queue.Outbound{To: chat, EditMessage: cb.Message.MessageID, Text: cb.Message.Text, Kind: queue.KindEdit}, id, "edit"); err != nil {
			return err
		}
		if arg != "yes" {
			b.answer(ctx, cb.ID, b.cfg.Text("forget_no", lang, nil))
			return nil
		}
		n, err := b.desk.Forget(ctx, inquiry.Telegram, chat)
		if err != nil {
			return err
		}
		b.log.Info("a person asked to be forgotten", "inquiries", n)
		b.answer(ctx, cb.ID, "")
		return b.say(ctx, queue.Outbound{To: chat, Text: b.cfg.Text("forgotten", lang, nil), Language: lang}, id, "forgotten")
	case "danger":
		// "I am in danger now" on an ack (desk/danger.go).
		ref, ok := desk.ParseDangerData(cb.Data)
		if !ok {
			break
		}
		err := b.desk.PersonInDanger(ctx, inquiry.Telegram, chat, ref, Source+":"+id)
		if code := inquiry.ErrorCode(err); err != nil && code != inquiry.ENOTFOUND {
			return err
		}
		b.answer(ctx, cb.ID, "")
		// The ack keeps its text and loses the button.
		return b.say(ctx, queue.Outbound{To: chat, EditMessage: cb.Message.MessageID, Text: cb.Message.Text, Kind: queue.KindEdit, Reference: ref}, id, "edit")
	case "checkin":
		// "Did the answer help?" — Yes closes the inquiry, No reopens it.
		ref, yes, ok := desk.ParseCheckInData(cb.Data)
		if !ok {
			break
		}
		err := b.desk.CheckInAnswer(ctx, inquiry.Telegram, chat, ref, yes)
		if code := inquiry.ErrorCode(err); err != nil && code != inquiry.ENOTFOUND && code != inquiry.ECONFLICT {
			return err
		}
		lang := b.lang(ctx, chat, cb.From)
		answer := b.cfg.Text("no", lang, nil)
		if yes {
			answer = b.cfg.Text("yes", lang, nil)
		}
		b.answer(ctx, cb.ID, answer)
		// The question keeps its text and loses its buttons.
		return b.say(ctx, queue.Outbound{To: chat, EditMessage: cb.Message.MessageID, Text: cb.Message.Text, Kind: queue.KindEdit, Reference: ref}, id, "edit")
	}
	b.answer(ctx, cb.ID, "")
	return nil
}
