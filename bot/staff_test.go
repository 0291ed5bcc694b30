package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/bot/bottest"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

// refugeeInquiry has a person write about asylum (UNHCR leads, IOM
// supports) and returns the inquiry and its card in the UNHCR group.
func refugeeInquiry(e *env, person int64) (*inquiry.Inquiry, bottest.Sent) {
	e.t.Helper()
	e.fake.PersonText(person, "en", "I want to apply for asylum and register as a refugee")
	q := e.inquiryOf(person)
	if q.Agency != "UNHCR" {
		e.t.Fatalf("routed to %s, the test expects UNHCR", q.Agency)
	}
	return q, e.cardFor(groupUNHCR, q.Reference)
}

func TestCardHasTheInquiryAndItsButtons(t *testing.T) {
	e := newEnv(t, envOptions{})
	q, card := refugeeInquiry(e, 44001)
	r := string(q.Reference)
	if got, want := card.Data(), []string{"claim:" + r, "reassign:" + r, "close:" + r}; !slices.Equal(got, want) {
		t.Errorf("card buttons = %v, want %v", got, want)
	}
	if !strings.Contains(card.Text, "asylum") || !strings.Contains(card.Text, "Topic: refugees") {
		t.Errorf("card text = %q", card.Text)
	}
	for _, g := range []int64{groupWFP, groupILO, groupSecretariat} {
		if n := len(e.fake.SentTo(g)); n != 0 {
			t.Errorf("group %d got %d messages; the card belongs to UNHCR's group only", g, n)
		}
	}
}

func TestStaffClaimAndClose(t *testing.T) {
	e := newEnv(t, envOptions{})
	q, card := refugeeInquiry(e, 44002)

	e.fake.Press(groupUNHCR, userAmina, card.MessageID, "claim:"+string(q.Reference))
	e.waitAnswer("Claimed")
	eventually(t, 10*time.Second, "the card to show the claim", func() bool {
		text, kb, _ := e.fake.Message(groupUNHCR, card.MessageID)
		return strings.Contains(text, "Claimed by Amina") && kb != nil && len(kb.InlineKeyboard) == 1
	})
	got := e.load(q.Reference)
	if got.Status != inquiry.Claimed || got.Assignee != "amina" {
		t.Errorf("after claim: status %s assignee %q", got.Status, got.Assignee)
	}

	// The coordinator may close any inquiry.
	e.fake.Press(groupUNHCR, userSara, card.MessageID, "close:"+string(q.Reference))
	e.waitAnswer("Closed")
	eventually(t, 10*time.Second, "the card to show the close", func() bool {
		text, _, _ := e.fake.Message(groupUNHCR, card.MessageID)
		return strings.Contains(text, string(q.Reference)+" — Closed by Sara") && !strings.Contains(text, "Claimed by Amina")
	})
	if got := e.load(q.Reference); got.Status != inquiry.Closed {
		t.Errorf("after close: status %s", got.Status)
	}
	trail, err := e.store.AuditTrail(context.Background(), q.Reference)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range trail {
		actions = append(actions, a.Actor+":"+string(a.Action))
	}
	if !slices.Contains(actions, "amina:claimed") || !slices.Contains(actions, "sara:closed") {
		t.Errorf("audit trail = %v", actions)
	}
}

func TestOthersAreNotAllowedAndNothingChanges(t *testing.T) {
	e := newEnv(t, envOptions{})
	q, card := refugeeInquiry(e, 44003)
	before := e.load(q.Reference)
	r := string(q.Reference)

	// Omar is WFP staff: UNHCR's inquiry is not his agency's.
	e.fake.Press(groupUNHCR, userOmar, card.MessageID, "close:"+r)
	// Someone in the group who is not configured staff.
	e.fake.Press(groupUNHCR, userNoone, card.MessageID, "claim:"+r)
	e.fake.Press(groupUNHCR, userNoone, card.MessageID, "reassign:"+r)
	e.fake.Wait(t, 10*time.Second, "three refusals", func(sent []bottest.Sent) bool {
		n := 0
		for _, s := range sent {
			if s.Method == "answerCallbackQuery" && s.Text == notAllowed {
				n++
			}
		}
		return n == 3
	})
	// A staff member writes to a card he may not act on.
	e.fake.GroupText(groupUNHCR, userOmar, "/reply "+r+" I will close this", 0)
	e.waitText(groupUNHCR, "No inquiry "+r+" that you may answer")
	e.fake.GroupText(groupUNHCR, userNoone, "I can answer that", card.MessageID)
	e.waitText(groupUNHCR, "Only the agency's configured staff")
	e.taken()

	after := e.load(q.Reference)
	if after.Status != before.Status || after.Assignee != "" || after.Version != before.Version || len(after.Messages) != 1 {
		t.Errorf("the inquiry changed: %s %q v%d → %s %q v%d", before.Status, before.Assignee, before.Version, after.Status, after.Assignee, after.Version)
	}
	text, _, _ := e.fake.Message(groupUNHCR, card.MessageID)
	if text != card.Text {
		t.Errorf("the card was edited: %q", text)
	}
	if n := len(e.fake.SentTo(44003)); n != 1 {
		t.Errorf("the person got %d messages, want only the ack", n)
	}
}

func TestReassignShowsAgenciesAndMovesTheCard(t *testing.T) {
	e := newEnv(t, envOptions{})
	q, card := refugeeInquiry(e, 44004)
	r := string(q.Reference)

	e.fake.Press(groupUNHCR, userAmina, card.MessageID, "reassign:"+r)
	e.waitAnswer("Choose the agency")
	var data []string
	eventually(t, 10*time.Second, "the agency keyboard", func() bool {
		_, kb, _ := e.fake.Message(groupUNHCR, card.MessageID)
		data = bottest.Sent{Markup: kb}.Data()
		return slices.Contains(data, "assign:"+r+":WFP")
	})
	if slices.Contains(data, "assign:"+r+":UNHCR") || !slices.Contains(data, "cancel:"+r) {
		t.Errorf("agency keyboard = %v: every other agency and Cancel", data)
	}
	// Cancel restores the card's buttons.
	e.fake.Press(groupUNHCR, userAmina, card.MessageID, "cancel:"+r)
	eventually(t, 10*time.Second, "the card buttons back", func() bool {
		_, kb, _ := e.fake.Message(groupUNHCR, card.MessageID)
		return slices.Equal(bottest.Sent{Markup: kb}.Data(), []string{"claim:" + r, "reassign:" + r, "close:" + r})
	})

	e.fake.Press(groupUNHCR, userAmina, card.MessageID, "reassign:"+r)
	eventually(t, 10*time.Second, "the agency keyboard again", func() bool {
		_, kb, _ := e.fake.Message(groupUNHCR, card.MessageID)
		return slices.Contains(bottest.Sent{Markup: kb}.Data(), "assign:"+r+":WFP")
	})
	e.fake.Press(groupUNHCR, userAmina, card.MessageID, "assign:"+r+":WFP")
	e.waitAnswer("Reassigned to WFP")
	e.cardFor(groupWFP, q.Reference)
	eventually(t, 10*time.Second, "the old card to say so", func() bool {
		text, kb, _ := e.fake.Message(groupUNHCR, card.MessageID)
		return strings.Contains(text, "Reassigned to WFP by Amina") &&
			slices.Equal(bottest.Sent{Markup: kb}.Data(), []string{"claim:" + r, "reassign:" + r, "close:" + r})
	})
	if got := e.load(q.Reference); got.Agency != "WFP" || got.Status != inquiry.Open {
		t.Errorf("after assign: agency %s status %s", got.Agency, got.Status)
	}
	// Amina's agency no longer has it: her next press is refused.
	e.fake.Press(groupUNHCR, userAmina, card.MessageID, "claim:"+r)
	e.waitAnswer(notAllowed)
}

func TestStaffReplyToACardReachesThePerson(t *testing.T) {
	e := newEnv(t, envOptions{})
	const person = 44005
	q, card := refugeeInquiry(e, person)

	_, staffMsg := e.fake.GroupText(groupUNHCR, userAmina, "Please visit our office in Erbil on Sunday with your documents.", card.MessageID)
	reply := e.waitText(person, "Please visit our office in Erbil")
	if !strings.Contains(reply.Text, "UNHCR") || !strings.Contains(reply.Text, string(q.Reference)) {
		t.Errorf("reply to the person = %q", reply.Text)
	}
	confirm := e.waitText(groupUNHCR, "is on its way to the person")
	if confirm.ReplyTo != staffMsg {
		t.Errorf("the confirmation should answer the staff message")
	}
	got := e.load(q.Reference)
	if got.Status != inquiry.Answered || got.Messages[len(got.Messages)-1].Author != "amina" {
		t.Errorf("after reply: status %s", got.Status)
	}

	// /reply REF text works too.
	e.fake.GroupText(groupUNHCR, userAmina, "/reply "+strings.ToLower(string(q.Reference))+" Bring your ID card as well.", 0)
	e.waitText(person, "Bring your ID card as well.")

	// The person's next message joins the same inquiry and reopens it.
	e.fake.PersonText(person, "en", "Thank you, which office exactly?")
	eventually(t, 10*time.Second, "the person's answer on the inquiry", func() bool {
		q := e.load(q.Reference)
		return len(q.Messages) == 4 && q.Status != inquiry.Answered
	})
	e.waitText(groupUNHCR, "which office exactly")

	// Every staff reply is audited.
	trail, _ := e.store.AuditTrail(context.Background(), q.Reference)
	n := 0
	for _, a := range trail {
		if a.Actor == "amina" && a.Action == "replied" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d replies audited, want 2", n)
	}
}

func TestQueueListsTheAgencysOpenInquiries(t *testing.T) {
	e := newEnv(t, envOptions{})
	q1, _ := refugeeInquiry(e, 44006)
	q2, _ := refugeeInquiry(e, 44007)
	e.fake.PersonText(44008, "en", "We need food baskets in the camp")
	other := e.inquiryOf(44008)

	e.fake.GroupText(groupUNHCR, userAmina, "/queue", 0)
	list := e.waitText(groupUNHCR, "Open inquiries for UNHCR")
	if !strings.Contains(list.Text, string(q1.Reference)) || !strings.Contains(list.Text, string(q2.Reference)) {
		t.Errorf("queue = %q, want both UNHCR inquiries", list.Text)
	}
	if strings.Contains(list.Text, string(other.Reference)) {
		t.Errorf("queue lists %s of %s", other.Reference, other.Agency)
	}
	e.fake.GroupText(groupUNHCR, userNoone, "/queue@netdesk_test_bot", 0)
	e.waitText(groupUNHCR, "Only the agency's configured staff")
}

func TestReplayedUpdateChangesNothing(t *testing.T) {
	e := newEnv(t, envOptions{webhook: true}) // no poller: updates handed in directly
	ctx := context.Background()
	msg := personUpdate(44009, "I want to apply for asylum as a refugee")
	for range 3 {
		if err := e.bot.Take(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	q := e.inquiryOf(44009)
	e.cardFor(groupUNHCR, q.Reference)
	reply := groupUpdate(groupUNHCR, userAmina, "/reply "+string(q.Reference)+" We will call you tomorrow.")
	for range 3 {
		if err := e.bot.Take(ctx, reply); err != nil {
			t.Fatal(err)
		}
	}
	e.waitText(44009, "We will call you tomorrow.")
	e.waitText(groupUNHCR, "is on its way")
	if n := len(e.load(q.Reference).Messages); n != 2 {
		t.Errorf("inquiry has %d messages after replays, want 2", n)
	}
	eventually(t, 5*time.Second, "the sender idle", func() bool {
		n := int64(0)
		for b := range queue.SendBands {
			c, _ := e.rdb.ZCard(ctx, e.store.Keys().SendReady(b)).Result()
			n += c
		}
		return n == 0
	})
	if n := len(e.fake.SentTo(44009)); n != 2 {
		t.Errorf("the person got %d messages, want one ack and one reply", n)
	}
	notices := 0
	for _, s := range e.fake.SentTo(groupUNHCR) {
		if strings.Contains(s.Text, "is on its way") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d confirmations in the group, want 1", notices)
	}
	if all, _ := e.rdb.ZCard(ctx, e.store.Keys().All()).Result(); all != 1 {
		t.Errorf("%d inquiries, want 1", all)
	}
}
