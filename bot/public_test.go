package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

func TestStartOffersLanguagesAndRemembersTheChoice(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42001
	e.fake.PersonText(person, "", "/start")
	greet := e.waitText(person, "Please choose your language")
	if !strings.Contains(greet.Text, "يرجى اختيار لغتك") || !strings.Contains(greet.Text, "تکایە زمانەکەت هەڵبژێرە") || !strings.Contains(greet.Text, "Ji kerema xwe zimanê xwe hilbijêre") {
		t.Errorf("a person whose language is unknown should be greeted in every language, got %q", greet.Text)
	}
	if got, want := greet.Data(), []string{"lang:en", "lang:ar", "lang:ckb", "lang:kmr"}; !slices.Equal(got, want) {
		t.Fatalf("language buttons = %v, want %v", got, want)
	}

	e.fake.Press(person, person, greet.MessageID, "lang:ar")
	e.waitText(person, "شكراً لك. اكتب رسالتك")
	e.waitAnswer("العربية")

	// The choice is the language hint of the person's messages: a message
	// with no Arabic in it is still answered in Arabic.
	e.fake.PersonText(person, "", "Hello, I need help with my food basket")
	q := e.inquiryOf(person)
	if q.Language != "ar" {
		t.Errorf("inquiry language = %q, want the chosen ar", q.Language)
	}
	e.waitText(person, "الرقم المرجعي لطلبك هو "+string(q.Reference))

	// /start again greets in the chosen language only.
	e.fake.PersonText(person, "", "/start")
	e.fake.Wait(t, 10*time.Second, "a second greeting", func(sent []bottest.Sent) bool {
		n := 0
		for _, s := range sent {
			if s.ChatID == person && strings.Contains(s.Text, "يرجى اختيار لغتك") {
				n++
				if n == 2 && strings.Contains(s.Text, "Please choose") {
					t.Errorf("second greeting should be in Arabic only: %q", s.Text)
				}
			}
		}
		return n == 2
	})
}

func TestFirstMessageOpensAnInquiryLaterOnesJoinIt(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42002
	e.fake.PersonText(person, "en", "My employer has not paid my wages for three months")
	q := e.inquiryOf(person)
	ack := e.waitText(person, "Your reference is "+string(q.Reference))
	if ack.ReplyTo == 0 {
		t.Errorf("the ack should answer the person's message")
	}
	e.fake.PersonText(person, "en", "I also lost my work permit")
	eventually(t, 10*time.Second, "the second message joins the inquiry", func() bool {
		return len(e.load(q.Reference).Messages) == 2
	})
	refs, err := e.store.PersonInquiries(context.Background(), inquiry.Telegram, fmt.Sprint(person))
	if err != nil || len(refs) != 1 {
		t.Fatalf("person inquiries = %v, %v; want one", refs, err)
	}
	// One ack only: the later message is not acknowledged again.
	e.waitText(groupILO, string(q.Reference))
	if n := len(e.fake.SentTo(person)); n != 1 {
		t.Errorf("the person got %d messages, want 1 ack", n)
	}
}

func TestStatusNewAndForget(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42003
	e.fake.PersonText(person, "en", "/status")
	e.waitText(person, "You have no inquiries with us")

	e.fake.PersonText(person, "en", "I want to register as a refugee")
	first := e.inquiryOf(person)
	e.fake.PersonText(person, "en", "/status")
	st := e.waitText(person, "Your inquiries:")
	if !strings.Contains(st.Text, string(first.Reference)+" — open") {
		t.Errorf("status = %q, want %s listed as open", st.Text, first.Reference)
	}

	e.fake.PersonText(person, "en", "/new")
	e.waitText(person, "Your next message will start a new inquiry")
	e.fake.PersonText(person, "en", "Another question: food vouchers")
	eventually(t, 10*time.Second, "a second inquiry", func() bool {
		refs, _ := e.store.PersonInquiries(context.Background(), inquiry.Telegram, fmt.Sprint(person))
		return len(refs) == 2
	})
	second := e.inquiryOf(person)
	if second.Reference == first.Reference {
		t.Fatalf("after /new the message should start a new inquiry")
	}
	if n := len(e.load(first.Reference).Messages); n != 1 {
		t.Errorf("the first inquiry has %d messages, want 1", n)
	}

	e.fake.PersonText(person, "en", "/forget")
	confirm := e.waitText(person, "This will erase everything")
	if got := confirm.Data(); !slices.Equal(got, []string{"forget:yes", "forget:no"}) {
		t.Fatalf("confirm buttons = %v", got)
	}
	e.fake.Press(person, person, confirm.MessageID, "forget:yes")
	e.waitText(person, "Everything we held about you has been erased")
	for _, ref := range []inquiry.Reference{first.Reference, second.Reference} {
		q := e.load(ref)
		if !q.Erased || q.Contact.Address != "" || q.Messages[0].Text != "" {
			t.Errorf("%s not erased: erased=%t", ref, q.Erased)
		}
	}
	refs, _ := e.store.PersonInquiries(context.Background(), inquiry.Telegram, fmt.Sprint(person))
	if len(refs) != 0 {
		t.Errorf("the person's index survived /forget: %v", refs)
	}
	// The question lost its buttons.
	eventually(t, 10*time.Second, "the confirm buttons removed", func() bool {
		_, kb, _ := e.fake.Message(person, confirm.MessageID)
		return kb == nil
	})
}

// An erasure does not leave the person's words in the staff group: the
// card is edited to say only that it was erased, and loses its buttons.
func TestForgetBlanksTheStaffCard(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42010
	e.fake.PersonText(person, "en", "My employer kept my wages for months, I am Karim from Erbil")
	q := e.inquiryOf(person)
	card := e.cardFor(groupILO, q.Reference)
	if !strings.Contains(card.Text, "Karim from Erbil") {
		t.Fatalf("card text %q", card.Text)
	}
	// A second card that staff have since deleted from the group: nothing
	// to blank there, and no failure either.
	if err := e.store.RememberCard(context.Background(), fmt.Sprint(groupILO), 999999, []inquiry.Reference{q.Reference}, time.Hour); err != nil {
		t.Fatal(err)
	}
	e.fake.PersonText(person, "en", "/forget")
	confirm := e.waitText(person, "This will erase everything")
	e.fake.Press(person, person, confirm.MessageID, "forget:yes")
	e.waitText(person, "Everything we held about you has been erased")
	eventually(t, 10*time.Second, "the card blanked", func() bool {
		text, kb, _ := e.fake.Message(groupILO, card.MessageID)
		return text == desk.ErasedCard(q.Reference) && kb == nil
	})
	eventually(t, 10*time.Second, "the deleted card's edit refused", func() bool { return e.fake.Refused() >= 1 })
	// The group's messages go out in order: once a later card is there, the
	// refused edit was dealt with.
	e.fake.PersonText(person+1, "en", "My employer did not pay overtime")
	e.cardFor(groupILO, e.inquiryOf(person+1).Reference)
	if n, _ := e.rdb.XLen(context.Background(), e.store.Keys().DeadLetters()).Result(); n != 0 {
		t.Errorf("%d dead letters: a card staff deleted is nothing to fail on", n)
	}
	for _, s := range e.fake.Sent() {
		if s.Method == "sendMessage" && s.ChatID == groupILO && s.MessageID != card.MessageID && strings.Contains(s.Text, "Karim") {
			t.Errorf("another group message still shows the text: %q", s.Text)
		}
	}
}

// A corrected message is added as a message of its own, marked edited,
// and staff are told; a replayed edit changes nothing; an edit of a
// command does nothing.
func TestEditedMessageJoinsTheInquiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42011
	_, msgID := e.fake.PersonMessage(person, "en", tgbotapi.Message{Text: "My employer has not paid me since Agust"})
	q := e.inquiryOf(person)
	e.cardFor(groupILO, q.Reference)
	upd := e.fake.PersonEdit(person, "en", msgID, "My employer has not paid me since August, three months now")
	eventually(t, 10*time.Second, "the edit on the inquiry", func() bool { return len(e.load(q.Reference).Messages) == 2 })
	m := e.load(q.Reference).Messages[1]
	if !m.Edited || m.Direction != inquiry.In || !strings.Contains(m.Text, "three months") {
		t.Errorf("edited message stored as %+v", m)
	}
	e.waitText(groupILO, "✏️ (edited) My employer has not paid me since August")
	// The same update again, and an edit of a command: nothing more.
	e.fake.Redeliver(upd)
	_, cmdID := e.fake.PersonMessage(person, "en", tgbotapi.Message{Text: "/status"})
	e.waitText(person, string(q.Reference))
	e.fake.PersonEdit(person, "en", cmdID, "/new")
	e.fake.PersonText(person, "en", "and my contract ends next week")
	eventually(t, 10*time.Second, "the next message", func() bool { return len(e.load(q.Reference).Messages) == 3 })
	e.taken()
	if n := len(e.load(q.Reference).Messages); n != 3 {
		t.Errorf("%d messages after a replayed edit and an edited command, want 3", n)
	}
	if !e.seen(upd.UpdateID) {
		t.Errorf("the edit update was not recorded as taken")
	}
}

func TestForgetNoKeepsEverything(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42004
	e.fake.PersonText(person, "en", "Question about asylum")
	q := e.inquiryOf(person)
	e.fake.PersonText(person, "en", "/forget")
	confirm := e.waitText(person, "This will erase everything")
	e.fake.Press(person, person, confirm.MessageID, "forget:no")
	e.waitAnswer("No, keep")
	e.taken()
	if got := e.load(q.Reference); got.Erased {
		t.Errorf("forget:no erased the inquiry")
	}
}

func TestAttachmentsAreRecorded(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42005
	e.fake.PersonMessage(person, "en", tgbotapi.Message{Photo: []tgbotapi.PhotoSize{
		{FileID: "small", FileSize: 100}, {FileID: "large-photo-id", FileSize: 90000},
	}})
	q := e.inquiryOf(person)
	m := q.Messages[0]
	if m.Text != "[photo]" || len(m.Attachments) != 1 || m.Attachments[0].FileID != "large-photo-id" || m.Attachments[0].Size != 90000 {
		t.Errorf("photo without caption: text %q attachments %+v", m.Text, m.Attachments)
	}
	e.fake.PersonMessage(person, "en", tgbotapi.Message{Caption: "my passport, taken by the employer",
		Document: &tgbotapi.Document{FileID: "doc-id", FileName: "passport.pdf", MimeType: "application/pdf", FileSize: 1234}})
	e.fake.PersonMessage(person, "en", tgbotapi.Message{Voice: &tgbotapi.Voice{FileID: "voice-id", MimeType: "audio/ogg", FileSize: 555, Duration: 9}})
	e.fake.PersonMessage(person, "en", tgbotapi.Message{Caption: "the camp gate", Video: &tgbotapi.Video{FileID: "video-id", MimeType: "video/mp4", FileSize: 777}})
	eventually(t, 10*time.Second, "four messages", func() bool { return len(e.load(q.Reference).Messages) == 4 })
	msgs := e.load(q.Reference).Messages
	want := map[string]struct {
		text, name, typ string
		size            int64
	}{
		"doc-id":   {"my passport, taken by the employer", "passport.pdf", "application/pdf", 1234},
		"voice-id": {"[voice message]", "voice.ogg", "audio/ogg", 555},
		"video-id": {"the camp gate", "video.mp4", "video/mp4", 777},
	}
	for _, m := range msgs[1:] { // router workers may store them in any order
		if len(m.Attachments) != 1 {
			t.Errorf("message %q: attachments %+v", m.Text, m.Attachments)
			continue
		}
		a := m.Attachments[0]
		w, ok := want[a.FileID]
		if !ok || m.Text != w.text || a.Name != w.name || a.Type != w.typ || a.Size != w.size {
			t.Errorf("message %q attachment %+v, want %+v", m.Text, a, w)
		}
		delete(want, a.FileID)
	}
	if len(want) > 0 {
		t.Errorf("missing attachments: %v", want)
	}
}

func TestUnconfiguredGroupsAreIgnored(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, _ := e.fake.GroupText(-99887766, 4242, "Hello everyone, food assistance please", 0)
	e.fake.PersonText(42006, "en", "A question about vouchers")
	e.inquiryOf(42006)
	e.taken()
	// The worker acknowledges (and deletes) an entry just after storing its
	// inquiry: wait for that, then count every entry the stream ever had.
	ctx := context.Background()
	eventually(t, 10*time.Second, "the inbound stream drained", func() bool {
		n, err := e.rdb.XLen(ctx, e.store.Keys().Inbound()).Result()
		return err == nil && n == 0
	})
	info, err := e.rdb.XInfoStream(ctx, e.store.Keys().Inbound()).Result()
	if err != nil {
		t.Fatal(err)
	}
	all, _ := e.rdb.ZCard(ctx, e.store.Keys().All()).Result()
	if all != 1 || info.EntriesAdded != 1 {
		t.Errorf("inquiries = %d, inbound entries ever added = %d; the group message must not be enqueued", all, info.EntriesAdded)
	}
	if e.seen(id) {
		t.Errorf("an update from an unconfigured group was recorded")
	}
	if !strings.Contains(e.logs.String(), "chat_id=-99887766") {
		t.Errorf("the unconfigured group's id should be logged, for the admin")
	}
}

func TestFloodGetsSlowDownOnceAndLosesNothing(t *testing.T) {
	e := newEnv(t, envOptions{limits: `
limits: {intake_per_minute: 0, telegram_per_minute: 3, max_text_chars: 20000, max_email_bytes: 26214400,
         send_private_per_second: 50, send_group_per_minute: 6000, send_per_second: 500}
`})
	const person = 42007
	for i := range 8 {
		e.fake.PersonText(person, "en", fmt.Sprintf("message %d about my wages", i))
	}
	q := e.inquiryOf(person)
	eventually(t, 10*time.Second, "all 8 messages on the inquiry", func() bool { return len(e.load(q.Reference).Messages) == 8 })
	e.waitText(person, "You are sending messages very quickly")
	e.waitText(groupILO, string(q.Reference))
	n := 0
	for _, s := range e.fake.SentTo(person) {
		if strings.Contains(s.Text, "very quickly") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("slow_down sent %d times in a minute, want 1", n)
	}
}

func TestUrgentMessageGetsSafetyMessageFirst(t *testing.T) {
	// A slow bot (5 messages a second) with a backlog of 30 acks: the
	// safety message must not wait behind them.
	e := newEnv(t, envOptions{limits: `
limits: {intake_per_minute: 0, telegram_per_minute: 20, max_text_chars: 20000, max_email_bytes: 26214400,
         send_private_per_second: 1, send_group_per_minute: 6000, send_per_second: 5}
`, fake: bottest.Options{GlobalPerSecond: 5, PrivatePerSecond: 1}})
	for i := range 30 {
		e.fake.PersonText(int64(43000+i), "en", fmt.Sprintf("question %d about food baskets", i))
	}
	e.fake.Wait(t, 20*time.Second, "the first acks", func(sent []bottest.Sent) bool { return len(sent) >= 2 })
	const person = 43999
	e.fake.PersonText(person, "en", "Please help, they locked me in the house and took my passport, I cannot leave")
	safety := e.waitText(person, "immediate danger")
	acks := 0
	for _, s := range e.fake.Sent() {
		if s.At.Before(safety.At) && s.ChatID >= 43000 && s.ChatID < 43030 {
			acks++
		}
	}
	if acks >= 25 {
		t.Errorf("the safety message went out after %d of 30 queued acks; it should jump the queue", acks)
	}
	q := e.inquiryOf(person)
	if !q.Urgent {
		t.Errorf("the message should be urgent")
	}
}

func TestCheckInButtons(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 42008
	q, card := refugeeInquiry(e, person)
	e.fake.GroupText(groupUNHCR, userAmina, "You can register at the camp office.", card.MessageID)
	e.waitText(person, "You can register at the camp office.")
	eventually(t, 10*time.Second, "the answer recorded", func() bool { return e.load(q.Reference).Status == inquiry.Answered })
	// Three days later the scheduler asks whether the answer helped.
	if _, err := e.desk.FollowUp(context.Background(), inquiry.TimerCheckIn, q.Reference, time.Now().Add(100*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ask := e.waitText(person, "Did the answer to your inquiry")
	r := string(q.Reference)
	if got := ask.Data(); !slices.Equal(got, []string{"checkin:yes:" + r, "checkin:no:" + r}) {
		t.Fatalf("check-in buttons = %v", got)
	}
	e.fake.Press(person, person, ask.MessageID, "checkin:yes:"+r)
	e.waitText(person, "Your inquiry "+r+" is closed")
	if got := e.load(q.Reference); got.Status != inquiry.Closed {
		t.Errorf("after Yes: status %s", got.Status)
	}
	eventually(t, 10*time.Second, "the buttons removed", func() bool {
		_, kb, _ := e.fake.Message(person, ask.MessageID)
		return kb == nil
	})
	// Someone else's reference in a forged press changes nothing.
	other, _ := refugeeInquiry(e, 42009)
	e.fake.Press(person, person, ask.MessageID, "checkin:no:"+string(other.Reference))
	e.taken()
	if got := e.load(other.Reference); got.Status != inquiry.Open {
		t.Errorf("a press from another person changed %s: %s", other.Reference, got.Status)
	}
}

// The router misses dangers told in unexpected words, so the ack offers
// "I am in danger now": the safety message goes out at once, the inquiry
// becomes urgent with an urgent card in the group, and the ack loses the
// button. Nobody else can flag the person's inquiry; /urgent does the same.
func TestPersonSaysTheyAreInDanger(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person, other = 42020, 42021
	e.fake.PersonText(person, "ar", "أريد أن أسأل عن راتبي المتأخر عند صاحب العمل")
	q := e.inquiryOf(person)
	ack := e.waitText(person, string(q.Reference))
	if q.Urgent || !slices.Equal(ack.Data(), []string{desk.DangerData(q.Reference)}) || ack.Markup.InlineKeyboard[0][0].Text != "🚨 أنا في خطر الآن" {
		t.Fatalf("ack of a calm message: urgent=%v buttons %v", q.Urgent, ack.Data())
	}
	e.cardFor(groupILO, q.Reference)

	// Someone else pressing a forged button for that reference changes nothing.
	e.fake.PersonText(other, "en", "A question about visas")
	otherAck := e.waitText(other, string(e.inquiryOf(other).Reference))
	e.fake.Press(other, other, otherAck.MessageID, desk.DangerData(q.Reference))
	e.waitAnswer("")
	e.taken()
	if e.load(q.Reference).Urgent {
		t.Fatal("another chat marked the inquiry urgent")
	}

	e.fake.Press(person, person, ack.MessageID, desk.DangerData(q.Reference))
	e.waitText(person, "إذا كنت في خطر مباشر")
	eventually(t, 10*time.Second, "the inquiry urgent", func() bool { return e.load(q.Reference).Urgent })
	e.fake.Wait(t, 10*time.Second, "an urgent card", func(sent []bottest.Sent) bool {
		for _, s := range sent {
			if s.ChatID == groupILO && strings.Contains(s.Text, "URGENT") && strings.Contains(s.Text, string(q.Reference)) {
				return true
			}
		}
		return false
	})
	eventually(t, 10*time.Second, "the ack's button removed", func() bool {
		_, kb, _ := e.fake.Message(person, ack.MessageID)
		return kb == nil
	})
	if n := len(e.fake.SentTo(other)); n != 1 {
		t.Errorf("the other person got %d messages, want only their ack", n)
	}
	// /urgent later: the safety message again (they may need the hotlines
	// now), no second urgent card.
	e.fake.PersonText(person, "ar", "/urgent")
	e.fake.Wait(t, 10*time.Second, "a second safety message", func(sent []bottest.Sent) bool {
		n := 0
		for _, s := range sent {
			if s.ChatID == person && strings.Contains(s.Text, "إذا كنت في خطر مباشر") {
				n++
			}
		}
		return n == 2
	})
	if audit, _ := e.store.AuditTrail(context.Background(), q.Reference); !strings.Contains(fmt.Sprint(audit), "the person said they are in danger now") {
		t.Errorf("audit trail %v", audit)
	}

	// /urgent from a person without an inquiry still gets the safety message.
	const third = 42022
	e.fake.PersonText(third, "en", "/urgent")
	e.waitText(third, "If you are in immediate danger")
	e.taken()
	if refs, _ := e.store.PersonInquiries(context.Background(), inquiry.Telegram, fmt.Sprint(third)); len(refs) != 0 {
		t.Errorf("/urgent alone opened an inquiry: %v", refs)
	}
	// An urgent first message's ack has no button: it is urgent already.
	const fourth = 42023
	e.fake.PersonText(fourth, "en", "Please help, they locked me in the house and took my passport, I cannot leave")
	r4 := e.inquiryOf(fourth).Reference
	if a := e.waitText(fourth, string(r4)); a.Markup != nil {
		t.Errorf("the ack of an urgent message offers %v", a.Data())
	}
}
