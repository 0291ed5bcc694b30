package desk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

var unodcAgent = config.Staff{ID: "lina", Agency: "UNODC", Role: config.RoleAgent}

// UNODC's group chat in the harness (agency i of the default network is -1000-i).
const unodcChat = "-1013"

func auditActions(t *testing.T, h *harness, ref inquiry.Reference) map[string]string {
	t.Helper()
	trail, err := h.store.AuditTrail(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range trail {
		out[string(e.Action)] = e.Detail
	}
	return out
}

// A person who opens with an ordinary question and then writes that they
// are in danger: the inquiry becomes urgent, the safety message goes out
// once (not again for the next urgent message), the new card is marked and
// the inquiry sorts first in its agency's queue.
func TestLaterUrgentMessageMakesTheInquiryUrgent(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "900", Text: "When is the next food basket distribution in Domiz camp?"})
	h.handle(t, &queue.Inbound{ID: "tg:2", Channel: inquiry.Telegram, Address: "901", Text: "We did not receive our food rations this month"})
	ref, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "901")
	if q, _ := h.store.Load(ctx, ref); q.Urgent {
		t.Fatal("an ordinary food question was flagged urgent")
	}
	h.handle(t, &queue.Inbound{ID: "tg:3", Channel: inquiry.Telegram, Address: "901", Text: "please help my husband is beating me right now and locked the door, I am scared he will kill me"})
	h.handle(t, &queue.Inbound{ID: "tg:4", Channel: inquiry.Telegram, Address: "901", Text: "he is still hitting me, please send someone now"})

	q, _ := h.store.Load(ctx, ref)
	if !q.Urgent {
		t.Fatalf("inquiry not urgent after the danger message: %v", q.Matched)
	}
	out := h.outbox(t, inquiry.Telegram)
	var safety, urgentCards int
	for _, o := range out {
		if o.Kind == "safety" && o.To == "901" {
			safety++
			if o.Text != h.cfg.SafetyMessage("en") {
				t.Errorf("safety message %q", o.Text)
			}
		}
		if o.Kind == "followup_card" && o.To == wfpChat && strings.Contains(o.Text, "URGENT") {
			urgentCards++
		}
	}
	if safety != 1 || urgentCards != 2 {
		t.Errorf("safety messages %d (want 1), urgent follow-up cards to WFP %d (want 2): %s", safety, urgentCards, kinds(out))
	}
	qs, err := h.desk.Queue(ctx, wfpAgent, desk.Filter{})
	if err != nil || len(qs) != 2 || qs[0].Reference != ref {
		t.Errorf("WFP queue %v %v: the urgent inquiry is not first", qs, err)
	}
	if a := auditActions(t, h, ref); !strings.Contains(a["urgent"], "later message") {
		t.Errorf("audit %v", a)
	}
	if c, _ := h.store.Counters(ctx); c["urgent"] != 1 || c["urgent_later_message"] != 1 {
		t.Errorf("counters %v", c)
	}
}

// A food inquiry whose second message discloses trafficking becomes
// sensitive for good, UNODC joins as supporting agency (its agent now sees
// it), the secretariat is told, an audit entry says why, and the disclosure
// goes to UNODC's group, not to WFP's.
func TestLaterTraffickingDisclosureMakesTheInquirySensitive(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "902", Text: "Our family has not received the food basket for two months"})
	ref, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "902")
	if _, err := h.desk.Get(ctx, unodcAgent, ref); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Fatalf("UNODC sees a food inquiry: %v", err)
	}
	disclosure := "Also my brother went to Turkey with smugglers last year, they sold him to a farm owner who keeps his passport and he works without pay. How can we report the smugglers?"
	h.handle(t, &queue.Inbound{ID: "tg:2", Channel: inquiry.Telegram, Address: "902", Text: disclosure})

	q, _ := h.store.Load(ctx, ref)
	if !q.Sensitive || q.Agency != "WFP" || !q.Involves("UNODC") {
		t.Fatalf("after the disclosure: sensitive=%v agency=%s support=%v", q.Sensitive, q.Agency, q.Support)
	}
	if _, err := h.desk.Get(ctx, unodcAgent, ref); err != nil {
		t.Errorf("a UNODC agent cannot see the inquiry: %v", err)
	}
	qs, _ := h.desk.Queue(ctx, unodcAgent, desk.Filter{})
	if len(qs) != 1 || qs[0].Reference != ref {
		t.Errorf("UNODC queue %v", qs)
	}
	if a := auditActions(t, h, ref); !strings.Contains(a["sensitive"], "trafficking") || !strings.Contains(a["sensitive"], "UNODC added") {
		t.Errorf("audit %v", a)
	}
	var toWFP, toUNODC, toSecretariat []queue.Outbound
	for _, o := range h.outbox(t, inquiry.Telegram) {
		switch {
		case o.To == wfpChat && o.Kind == "followup_card":
			toWFP = append(toWFP, o)
		case o.To == unodcChat:
			toUNODC = append(toUNODC, o)
		case o.To == secretariatChat:
			toSecretariat = append(toSecretariat, o)
		}
	}
	if len(toWFP) != 1 || strings.Contains(toWFP[0].Text, "smugglers") || !strings.Contains(toWFP[0].Text, "sensitive") {
		t.Errorf("WFP's card of the disclosure: %+v", toWFP)
	}
	if len(toUNODC) != 1 || !strings.Contains(toUNODC[0].Text, "smugglers") {
		t.Errorf("UNODC's card: %+v", toUNODC)
	}
	if len(toSecretariat) != 1 || toSecretariat[0].Kind != "sensitive" || strings.Contains(toSecretariat[0].Text, "smugglers") ||
		!strings.Contains(toSecretariat[0].Text, string(ref)) {
		t.Errorf("secretariat notice: %+v", toSecretariat)
	}
	// Sensitive for good: an ordinary message afterwards changes nothing.
	h.handle(t, &queue.Inbound{ID: "tg:3", Channel: inquiry.Telegram, Address: "902", Text: "thank you"})
	if q, _ = h.store.Load(ctx, ref); !q.Sensitive || !q.Involves("UNODC") {
		t.Errorf("after a later ordinary message: sensitive=%v support=%v", q.Sensitive, q.Support)
	}
	if c, _ := h.store.Counters(ctx); c["sensitive_later_message"] != 1 {
		t.Errorf("counters %v", c)
	}
}

// Erasure leaves no free text in the audit trail (issue 10, finding 4): an
// assign reason with a name and a phone number is blanked; who did what,
// and when, stays.
func TestErasureScrubsAuditDetails(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "903", Text: "We did not receive our food rations this month"})
	ref, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "903")
	if _, err := h.desk.Assign(ctx, coord, ref, "UNHCR", "her name is Layla Hassan, phone 0750 123 4567, she is a refugee"); err != nil {
		t.Fatal(err)
	}
	if err := h.desk.Erase(ctx, adminUser, ref); err != nil {
		t.Fatal(err)
	}
	actions := auditActions(t, h, ref)
	for action, detail := range actions {
		if strings.Contains(detail, "Layla") || strings.Contains(detail, "0750") {
			t.Errorf("audit entry %s still holds %q", action, detail)
		}
	}
	for _, want := range []string{"assigned", "erased", "created"} {
		if _, ok := actions[want]; !ok {
			t.Errorf("audit action %s lost: %v", want, actions)
		}
	}
	raw, _ := h.rdb.LRange(ctx, h.store.Keys().Audit(ref), 0, -1).Result()
	if joined := strings.Join(raw, "\n"); strings.Contains(joined, "Layla") || strings.Contains(joined, "0750") {
		t.Errorf("the audit list in Redis still holds the reason: %s", joined)
	}
}
