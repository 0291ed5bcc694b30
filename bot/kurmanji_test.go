package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/followup"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

// A person who speaks Kurmanji (Badini) goes through the whole
// conversation on Telegram: /start offers the four languages, they choose
// Kurmancî, write, get the Kurmanji ack with their reference, get the staff
// answer from the agency's group with the Kurmanji signature, and after
// check_in_after (the scheduler's clock moved on) are asked in Kurmanji
// whether it helped, with Erê / Na buttons; Erê closes the inquiry. No
// English text reaches them on the way.
func TestEndToEndKurmanji(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	const person = 51004

	// /start: the person's app reports no language, so every greeting, and
	// the four language buttons in two rows of two.
	e.fake.PersonText(person, "", "/start")
	greet := e.waitText(person, "Ji kerema xwe zimanê xwe hilbijêre")
	if !strings.Contains(greet.Text, "Please choose your language") || !strings.Contains(greet.Text, "تکایە زمانەکەت هەڵبژێرە") {
		t.Errorf("the greeting should be in every language: %q", greet.Text)
	}
	if got, want := greet.Data(), []string{"lang:en", "lang:ar", "lang:ckb", "lang:kmr"}; !slices.Equal(got, want) {
		t.Fatalf("language buttons = %v, want %v", got, want)
	}
	var names []string
	kmr := ""
	for _, row := range greet.Markup.InlineKeyboard {
		if len(row) != 2 {
			t.Errorf("a row of %d language buttons, want 2 in each of two rows", len(row))
		}
		for _, b := range row {
			names = append(names, b.Text)
			if b.Text == "Kurmancî" {
				kmr = *b.CallbackData
			}
		}
	}
	if !slices.Equal(names, []string{"English", "العربية", "کوردی", "Kurmancî"}) || kmr == "" {
		t.Fatalf("language buttons read %v", names)
	}

	// The person taps Kurmancî.
	e.fake.Press(person, person, greet.MessageID, kmr)
	e.waitAnswer("Kurmancî")
	e.waitText(person, "Spas. Kengî tu amade bûyî, peyama xwe binivîse.")

	// They write; the inquiry is in Kurmanji and the ack carries the
	// reference, as a reply to their message.
	const question = "Silav, ez penaber im li kampa Domîzê û kartê min ê penaberiyê qediyaye. Ez çawa dikarim wî nû bikim?"
	e.fake.PersonText(person, "", question)
	q := e.inquiryOf(person)
	ref := string(q.Reference)
	if q.Language != "kmr" {
		t.Fatalf("inquiry language %q, want the chosen kmr", q.Language)
	}
	ack := e.waitText(person, "Jimara te ya referansê "+ref+" e.")
	if ack.ReplyTo == 0 {
		t.Error("the ack should answer the person's message")
	}
	if !strings.Contains(ack.Text, "Ji kerema xwe, eger tu dîsa binivîsî, "+ref+" binivîse.") {
		t.Errorf("Kurmanji ack = %q", ack.Text)
	}
	if q.Urgent {
		t.Errorf("a calm question was flagged urgent: %v", q.Matched)
	} else if !slices.Equal(ack.Data(), []string{desk.DangerData(q.Reference)}) || ack.Markup.InlineKeyboard[0][0].Text != "🚨 Ez niha di metirsiyê de me" {
		t.Errorf("the ack's danger button: %v", ack.Data())
	}

	// The card lands in the group of the agency the router chose; staff
	// of that agency (or the coordinator) answer by replying to it.
	ag, ok := e.cfg.Agency(q.Agency)
	if !ok || ag.TelegramChat == 0 {
		t.Fatalf("routed to %q, which has no group", q.Agency)
	}
	card := e.cardFor(ag.TelegramChat, q.Reference)
	if !strings.Contains(card.Text, question) || !strings.Contains(card.Text, "Language: kmr") {
		t.Errorf("card = %q", card.Text)
	}
	staff := userSara // coordinator: may answer for any agency
	if q.Agency == "UNHCR" {
		staff = userAmina
	}
	const answer = "Tu dikarî here nivîsgeha UNHCR li kampê, roja yekşembê, bi nasnameya xwe re."
	e.fake.GroupText(ag.TelegramChat, staff, answer, card.MessageID)
	got := e.waitText(person, answer)
	if want := answer + "\n\n— " + q.Agency + ", jimara referansê " + ref; got.Text != want {
		t.Errorf("the answer reads %q, want the Kurmanji reply template %q", got.Text, want)
	}
	eventually(t, 10*time.Second, "the answer recorded", func() bool { return e.load(q.Reference).Status == inquiry.Answered })

	// check_in_after later, the follow-up scheduler asks whether it helped.
	later := time.Now().Add(e.cfg.Followups.CheckInAfter.D() + time.Minute)
	s, err := followup.New(followup.Options{Desk: e.desk, Now: func() time.Time { return later }, Log: e.log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ask := e.waitText(person, "Gelo bersiva daxwaza te "+ref+" alîkariya te kir?")
	if got := ask.Data(); !slices.Equal(got, []string{"checkin:yes:" + ref, "checkin:no:" + ref}) {
		t.Fatalf("check-in buttons = %v", got)
	}
	if row := ask.Markup.InlineKeyboard[0]; row[0].Text != "Erê" || row[1].Text != "Na" {
		t.Errorf("check-in buttons read %q / %q, want Erê / Na", row[0].Text, row[1].Text)
	}

	// Erê: closed, with thanks in Kurmanji; the question loses its buttons.
	e.fake.Press(person, person, ask.MessageID, "checkin:yes:"+ref)
	e.waitAnswer("Erê")
	e.waitText(person, "Spas. Daxwaza te "+ref+" hate girtin.")
	eventually(t, 10*time.Second, "the inquiry closed", func() bool { return e.load(q.Reference).Status == inquiry.Closed })
	eventually(t, 10*time.Second, "the check-in's buttons removed", func() bool {
		_, kb, _ := e.fake.Message(person, ask.MessageID)
		return kb == nil
	})

	// Only the greeting (in every language) had English in it.
	english := []string{"Thank you", "Your reference", "Did the answer", "reference " + ref, "is closed"}
	for _, m := range e.fake.SentTo(person) {
		if m.MessageID == greet.MessageID {
			continue
		}
		for _, w := range english {
			if strings.Contains(m.Text, w) {
				t.Errorf("the person got English (%q): %q", w, m.Text)
			}
		}
	}
	e.fake.Wait(t, 10*time.Second, "the answers to both button presses", func(sent []bottest.Sent) bool {
		n := 0
		for _, s := range sent {
			if s.Method == "answerCallbackQuery" && (s.Text == "Kurmancî" || s.Text == "Erê") {
				n++
			}
		}
		return n == 2
	})
}

// The language buttons stay in balanced rows of at most three.
func TestLanguageRows(t *testing.T) {
	all := []string{"en", "ar", "ckb", "kmr", "xx"}
	for n, want := range map[int][]int{1: {1}, 2: {2}, 3: {3}, 4: {2, 2}, 5: {3, 2}} {
		rows := languageRows(all[:n])
		var got []int
		var data []string
		for _, r := range rows {
			got = append(got, len(r))
			for _, b := range r {
				data = append(data, b.Data)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d languages: rows of %v, want %v", n, got, want)
		}
		if want := []string{"lang:en", "lang:ar", "lang:ckb", "lang:kmr", "lang:xx"}[:n]; !slices.Equal(data, want) {
			t.Errorf("%d languages: buttons %v, want %v", n, data, want)
		}
	}
	if rows := languageRows([]string{"kmr", "xx"}); rows[0][0].Text != "Kurmancî" || rows[0][1].Text != "xx" {
		t.Errorf("button names %v", rows)
	}
}
