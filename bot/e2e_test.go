package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Three people write in English, Arabic and Sorani; each gets an ack in
// their script with the reference; each card lands in the group of the
// agency the router chose; a staff reply from a group reaches the right
// person; the person's next message joins the same inquiry.
func TestEndToEndThreePeopleThreeLanguages(t *testing.T) {
	e := newEnv(t, envOptions{})
	people := []struct {
		chat       int64
		lang, text string
		ack        string // the ack's words in the person's script
		agency     string
		group      int64
		staff      int64
	}{
		{51001, "en", "My employer has not paid my wages for three months", "Your reference is", "ILO", groupILO, userKarim},
		{51002, "ar", "نحتاج سلة غذائية لعائلتي في المخيم", "الرقم المرجعي لطلبك هو", "WFP", groupWFP, userOmar},
		{51003, "ckb", "دەمەوێت داوای پەنابەری بکەم لە وڵاتێکی تر", "ژمارەی ئاماژەی داواکارییەکەت", "UNHCR", groupUNHCR, userAmina},
	}
	for _, p := range people {
		// Telegram apps report no language here: the desk detects it.
		e.fake.PersonText(p.chat, "", p.text)
	}
	refs := map[int64]inquiry.Reference{}
	for _, p := range people {
		q := e.inquiryOf(p.chat)
		refs[p.chat] = q.Reference
		if q.Language != p.lang || q.Agency != p.agency {
			t.Errorf("%s message: language %s agency %s, want %s %s", p.lang, q.Language, q.Agency, p.lang, p.agency)
		}
		ack := e.waitText(p.chat, string(q.Reference))
		if !strings.Contains(ack.Text, p.ack) {
			t.Errorf("%s ack = %q, want it in the person's script (%q)", p.lang, ack.Text, p.ack)
		}
		card := e.cardFor(p.group, q.Reference)
		if !strings.Contains(card.Text, p.text) {
			t.Errorf("card in %s's group lacks the message: %q", p.agency, card.Text)
		}
	}
	// No card in another agency's group.
	for _, p := range people {
		for _, other := range people {
			if other.group == p.group {
				continue
			}
			for _, s := range e.fake.SentTo(other.group) {
				if strings.Contains(s.Text, string(refs[p.chat])) {
					t.Errorf("%s's card also landed in %s's group", refs[p.chat], other.agency)
				}
			}
		}
	}

	// Staff answer by replying to their card.
	for _, p := range people {
		card := e.cardFor(p.group, refs[p.chat])
		e.fake.GroupText(p.group, p.staff, fmt.Sprintf("Answer for %s from %s", refs[p.chat], p.agency), card.MessageID)
	}
	for _, p := range people {
		got := e.waitText(p.chat, fmt.Sprintf("Answer for %s from %s", refs[p.chat], p.agency))
		for _, other := range people {
			if other.chat != p.chat && strings.Contains(got.Text, string(refs[other.chat])) {
				t.Errorf("person %d got %s's answer", p.chat, refs[other.chat])
			}
		}
	}
	for _, p := range people {
		for _, s := range e.fake.SentTo(p.chat) {
			for _, other := range people {
				if other.chat != p.chat && strings.Contains(s.Text, "Answer for "+string(refs[other.chat])) {
					t.Errorf("person %d received the answer meant for %d", p.chat, other.chat)
				}
			}
		}
	}

	// Their next message joins the same inquiry.
	for _, p := range people {
		e.fake.PersonText(p.chat, "", "Thank you — "+p.lang)
	}
	for _, p := range people {
		eventually(t, 10*time.Second, "the follow-up on "+string(refs[p.chat]), func() bool {
			q := e.load(refs[p.chat])
			last := q.Messages[len(q.Messages)-1]
			return len(q.Messages) == 3 && last.Direction == inquiry.In && last.Text == "Thank you — "+p.lang
		})
		if q := e.inquiryOf(p.chat); q.Reference != refs[p.chat] {
			t.Errorf("person %d's conversation moved to %s", p.chat, q.Reference)
		}
	}
}
