package desk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/internal/redistest"
	"github.com/unmigration-iraq/netdesk/internal/routertest"
	"github.com/unmigration-iraq/netdesk/queue"
)

// clock is a settable clock for tests.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

type harness struct {
	desk  *desk.Desk
	store *queue.Store
	rdb   *redis.Client
	cfg   *config.Config
	clock *clock
}

var (
	wfpAgent  = config.Staff{ID: "omar", Agency: "WFP", Role: config.RoleAgent}
	unhcr     = config.Staff{ID: "amina", Agency: "UNHCR", Role: config.RoleAgent}
	iomAgent  = config.Staff{ID: "sara", Agency: "IOM", Role: config.RoleAgent}
	coord     = config.Staff{ID: "lead", Agency: "SECRETARIAT", Role: config.RoleCoordinator}
	adminUser = config.Staff{ID: "root", Agency: "SECRETARIAT", Role: config.RoleAdmin}
)

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	cfg := config.Default()
	for i := range cfg.Agencies {
		cfg.Agencies[i].TelegramChat = -1000 - int64(i)
	}
	clk := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	store := queue.NewStore(rdb, queue.Options{Prefix: "t", Policy: desk.Policy(cfg), Now: clk.Now})
	rt := routertest.New(t, desk.Topics(cfg))
	d := desk.New(desk.Options{Config: cfg, Store: store, Router: rt, Now: clk.Now,
		Channels: desk.Channels{Telegram: true, Email: true, MailDomain: "desk.example.org"}})
	return &harness{desk: d, store: store, rdb: rdb, cfg: cfg, clock: clk}
}

// startWorkers runs router workers until the test ends.
func (h *harness) startWorkers(t *testing.T, n int) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, n)
	for i := range n {
		c := h.desk.RouterWorker("w"+string(rune('0'+i)), 100*time.Millisecond, 0)
		go func() { c.Run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range n {
			<-done
		}
	})
}

// handle takes one inbound message through the worker's handler directly.
func (h *harness) handle(t *testing.T, m *queue.Inbound) {
	t.Helper()
	if m.At.IsZero() {
		m.At = h.clock.t
	}
	if _, err := h.store.Enqueue(context.Background(), "", "", m); err != nil {
		t.Fatal(err)
	}
	res, err := h.rdb.XRevRangeN(context.Background(), h.store.Keys().Inbound(), "+", "-", 1).Result()
	if err != nil || len(res) == 0 {
		t.Fatal("entry not in stream", err)
	}
	last := res[0]
	if err := h.desk.HandleInbound(context.Background(), last.ID, last.Values); err != nil {
		t.Fatalf("handle: %v", err)
	}
}

func (h *harness) outbox(t *testing.T, ch inquiry.Channel) []queue.Outbound {
	t.Helper()
	out, err := h.store.Outboxed(context.Background(), ch)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func kinds(os []queue.Outbound) string {
	var k []string
	for _, o := range os {
		k = append(k, string(o.Kind)+">"+o.To)
	}
	return strings.Join(k, ",")
}

func TestSubmitRoutesAndStores(t *testing.T) {
	h := newHarness(t)
	h.startWorkers(t, 2)
	ctx := context.Background()
	rc, _, err := h.desk.Submit(ctx, desk.Submission{Text: "We need food baskets, my children are hungry", Contact: "Mona <mona@example.org>"}, desk.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Agency != "WFP" || rc.Topic != "food" || rc.Status != inquiry.Open || !strings.HasPrefix(string(rc.Reference), "NM-") {
		t.Errorf("receipt %+v", rc)
	}
	// The 201 means stored and routed: the inquiry is there at once.
	q, err := h.desk.Get(ctx, wfpAgent, rc.Reference)
	if err != nil {
		t.Fatalf("inquiry not stored when Submit returned: %v", err)
	}
	if q.Channel != inquiry.Web || len(q.Messages) != 1 || q.Contact.Address != "Mona <mona@example.org>" || len(q.Matched) == 0 {
		t.Errorf("stored %+v", q)
	}
	list, _ := h.desk.Queue(ctx, wfpAgent, desk.Filter{})
	if len(list) != 1 || list[0].Reference != rc.Reference {
		t.Errorf("WFP queue = %+v", list)
	}
	// A card went to WFP's staff group; no ack for the web (the 201 is the ack).
	if got := kinds(h.outbox(t, inquiry.Telegram)); got != "card>-1005" {
		t.Errorf("telegram outbox = %s", got)
	}
}

func TestSubmitRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, s := range []desk.Submission{
		{Text: ""}, {Text: "   \n\t"}, {Text: strings.Repeat("x", 20001)}, {Text: "hi", Language: "fr"},
		{Text: "bad \xff utf8"}, {Text: "hi", Name: strings.Repeat("n", 201)},
	} {
		if _, _, err := h.desk.Submit(ctx, s, desk.Idempotency{}); err == nil {
			t.Errorf("accepted %q", truncate(s.Text))
		}
	}
	if n, _ := h.rdb.XLen(ctx, h.store.Keys().Inbound()).Result(); n != 0 {
		t.Errorf("refused submissions queued %d entries", n)
	}
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

func TestTelegramConversation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "777", Text: "نحتاج سلة غذائية لعائلتي", TelegramMessage: 5})
	ref, ok, _ := h.store.Conversation(ctx, inquiry.Telegram, "777")
	if !ok {
		t.Fatal("no conversation for the chat")
	}
	q, _ := h.store.Load(ctx, ref)
	if q.Language != "ar" || q.Agency != "WFP" {
		t.Errorf("inquiry %+v", q)
	}
	out := h.outbox(t, inquiry.Telegram)
	if kinds(out) != "ack>777,card>-1005" || !strings.Contains(out[0].Text, string(ref)) || !strings.Contains(out[0].Text, "شكراً") || out[0].ReplyTo != 5 {
		t.Fatalf("outbox after first message = %s %+v", kinds(out), out[0])
	}
	// The same update again (a redelivery) changes nothing.
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "777", Text: "نحتاج سلة غذائية لعائلتي"})
	// A later message joins the inquiry, with no second ack.
	h.handle(t, &queue.Inbound{ID: "tg:2", Channel: inquiry.Telegram, Address: "777", Text: "ونحن في الموصل"})
	q, _ = h.store.Load(ctx, ref)
	if len(q.Messages) != 2 {
		t.Errorf("messages = %d, want 2", len(q.Messages))
	}
	if got := kinds(h.outbox(t, inquiry.Telegram)); got != "ack>777,card>-1005,followup_card>-1005" {
		t.Errorf("outbox = %s", got)
	}
	// A staff reply goes back to the chat; the person's answer reopens it.
	if _, _, err := h.desk.Reply(ctx, wfpAgent, ref, "A distribution is planned on Sunday"); err != nil {
		t.Fatal(err)
	}
	out = h.outbox(t, inquiry.Telegram)
	last := out[len(out)-1]
	if last.Kind != "reply" || last.To != "777" || !strings.Contains(last.Text, "Sunday") {
		t.Errorf("reply outbound = %+v", last)
	}
	h.handle(t, &queue.Inbound{ID: "tg:3", Channel: inquiry.Telegram, Address: "777", Text: "شكراً"})
	if q, _ = h.store.Load(ctx, ref); q.Status != inquiry.Claimed {
		t.Errorf("status after the person answered = %s, want claimed (back to the assignee)", q.Status)
	}
	// Closed beyond the reopen window: a new inquiry, linked to the old one.
	if _, err := h.desk.Close(ctx, wfpAgent, ref); err != nil {
		t.Fatal(err)
	}
	h.clock.t = h.clock.t.Add(h.cfg.Followups.ReopenWindow.D() + time.Hour)
	h.handle(t, &queue.Inbound{ID: "tg:4", Channel: inquiry.Telegram, Address: "777", Text: "سؤال جديد عن الإقامة"})
	ref2, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "777")
	if ref2 == ref {
		t.Fatal("a message after the reopen window joined the closed inquiry")
	}
	q2, _ := h.store.Load(ctx, ref2)
	if q2.LinkedFrom != ref {
		t.Errorf("new inquiry not linked: %+v", q2)
	}
	refs, _ := h.store.PersonInquiries(ctx, inquiry.Telegram, "777")
	if len(refs) != 2 {
		t.Errorf("person has %d inquiries, want 2", len(refs))
	}
	// /forget erases both.
	if n, err := h.desk.Forget(ctx, inquiry.Telegram, "777"); err != nil || n != 2 {
		t.Fatalf("forget: %d %v", n, err)
	}
	for _, r := range []inquiry.Reference{ref, ref2} {
		q, _ := h.store.Load(ctx, r)
		if !q.Erased || q.Contact.Address != "" || q.Messages[0].Text != "" {
			t.Errorf("%s not erased: %+v", r, q)
		}
	}
	if _, ok, _ := h.store.Conversation(ctx, inquiry.Telegram, "777"); ok {
		t.Error("conversation pointer kept after forget")
	}
}

func TestUrgentGetsSafetyMessage(t *testing.T) {
	h := newHarness(t)
	h.handle(t, &queue.Inbound{ID: "tg:9", Channel: inquiry.Telegram, Address: "42", Text: "My husband beats me and I have nowhere safe to go"})
	out := h.outbox(t, inquiry.Telegram)
	if kinds(out) != "ack>42,safety>42,card>-1007" {
		t.Fatalf("outbox = %s", kinds(out))
	}
	if out[1].Text != h.cfg.SafetyMessage("en") || !strings.Contains(out[2].Text, "URGENT") {
		t.Errorf("safety %q / card %q", out[1].Text, out[2].Text)
	}
}

func TestEmailThreadingNeedsTheParticipant(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "mail:<a1@press.example>|j@press.example", Channel: inquiry.Email, Address: "j@press.example",
		Subject: "Interview request", Text: "I am a journalist and would like an interview about migration", MessageID: "<a1@press.example>"})
	refs, _ := h.store.PersonInquiries(ctx, inquiry.Email, "j@press.example")
	var ref inquiry.Reference
	if all, _ := h.store.Since(ctx, time.Time{}); len(all) == 1 {
		ref = all[0]
	} else {
		t.Fatalf("inquiries = %v %v", all, refs)
	}
	ack := h.outbox(t, inquiry.Email)[0]
	if ack.Kind != "ack" || !strings.Contains(ack.Subject, "["+string(ref)+"]") || ack.InReplyTo != "<a1@press.example>" || !ack.AutoReply {
		t.Fatalf("ack = %+v", ack)
	}
	// By [REF] in the subject.
	h.handle(t, &queue.Inbound{ID: "mail:<a2@press.example>|j@press.example", Channel: inquiry.Email, Address: "j@press.example",
		Subject: "Re: [" + string(ref) + "] Interview", Text: "any news?", MessageID: "<a2@press.example>"})
	// By In-Reply-To our ack.
	h.handle(t, &queue.Inbound{ID: "mail:<a3@press.example>|j@press.example", Channel: inquiry.Email, Address: "j@press.example",
		Subject: "Re: something", Text: "and a third", MessageID: "<a3@press.example>", Thread: []string{ack.MessageID}})
	q, _ := h.store.Load(ctx, ref)
	if len(q.Messages) != 3 {
		t.Errorf("thread has %d messages, want 3", len(q.Messages))
	}
	// Someone else quoting the reference starts their own inquiry.
	h.handle(t, &queue.Inbound{ID: "mail:<b1@other.example>|x@other.example", Channel: inquiry.Email, Address: "x@other.example",
		Subject: "Fwd: [" + string(ref) + "] Interview", Text: "forwarded", MessageID: "<b1@other.example>", Thread: []string{"<a1@press.example>"}})
	if all, _ := h.store.Since(ctx, time.Time{}); len(all) != 2 {
		t.Errorf("a forwarded thread must make a new inquiry; have %d", len(all))
	}
	if q, _ = h.store.Load(ctx, ref); len(q.Messages) != 3 {
		t.Error("the forwarded mail joined someone else's inquiry")
	}
	// At most one ack per sender per hour.
	h.handle(t, &queue.Inbound{ID: "mail:<a4@press.example>|j@press.example", Channel: inquiry.Email, Address: "j@press.example",
		Subject: "A new question", Text: "about visas", MessageID: "<a4@press.example>"})
	acks := 0
	for _, o := range h.outbox(t, inquiry.Email) {
		if o.Kind == "ack" && o.To == "j@press.example" {
			acks++
		}
	}
	if acks != 1 {
		t.Errorf("%d acks to one sender within an hour, want 1", acks)
	}
}

func TestStaffScoping(t *testing.T) {
	h := newHarness(t)
	h.startWorkers(t, 1)
	ctx := context.Background()
	rc, _, err := h.desk.Submit(ctx, desk.Submission{Text: "I am a refugee and my registration expired, how do I renew it?"}, desk.Idempotency{})
	if err != nil || rc.Agency != "UNHCR" {
		t.Fatalf("%+v %v", rc, err)
	}
	ref := rc.Reference
	// Another agency: 404 for everything, and nothing changes.
	if _, err := h.desk.Get(ctx, wfpAgent, ref); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Errorf("WFP agent sees UNHCR inquiry: %v", err)
	}
	if _, err := h.desk.Claim(ctx, wfpAgent, ref); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Errorf("WFP agent claimed: %v", err)
	}
	if _, _, err := h.desk.Reply(ctx, wfpAgent, ref, "x"); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Errorf("WFP agent replied: %v", err)
	}
	if l, _ := h.desk.Queue(ctx, wfpAgent, desk.Filter{Agency: "UNHCR"}); l != nil {
		t.Errorf("WFP agent listed UNHCR's queue: %v", l)
	}
	// The supporting agency (IOM) and coordinators may act.
	if _, err := h.desk.Get(ctx, iomAgent, ref); err != nil {
		t.Errorf("IOM (supporting) refused: %v", err)
	}
	if _, err := h.desk.Claim(ctx, coord, ref); err != nil {
		t.Errorf("coordinator refused: %v", err)
	}
	if _, err := h.desk.Assign(ctx, unhcr, ref, "NOPE", ""); inquiry.ErrorCode(err) != inquiry.EINVALID {
		t.Errorf("assign to an unknown agency: %v", err)
	}
	if _, err := h.desk.Assign(ctx, unhcr, ref, "IOM", "return question"); err != nil {
		t.Fatal(err)
	}
	q, _ := h.store.Load(ctx, ref)
	if q.Agency != "IOM" || q.Status != inquiry.Open {
		t.Errorf("after assign %+v", q)
	}
	// Only an admin erases.
	if err := h.desk.Erase(ctx, coord, ref); inquiry.ErrorCode(err) != inquiry.EFORBIDDEN {
		t.Errorf("coordinator erase: %v", err)
	}
	if err := h.desk.Erase(ctx, adminUser, ref); err != nil {
		t.Fatal(err)
	}
	trail, _ := h.store.AuditTrail(ctx, ref)
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Actor+":"+string(e.Action))
	}
	want := "system:created,lead:claimed,amina:assigned,root:erased"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit = %v, want %s", actions, want)
	}
	st, err := h.desk.Stats(ctx, coord)
	if err != nil || st.Total != 1 || st.Counters["inquiries"] != 1 {
		t.Errorf("stats %+v %v", st, err)
	}
}

// TestRedeliveryAfterCrashBeforeAck: the worker stored the inquiry and died
// before XACK; the entry is reclaimed and handled again with no duplicate.
func TestRedeliveryAfterCrashBeforeAck(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	m := &queue.Inbound{ID: "tg:50", Channel: inquiry.Telegram, Address: "900", Text: "where can I get food", At: h.clock.t}
	if _, err := h.store.Enqueue(ctx, "tg", "50", m); err != nil {
		t.Fatal(err)
	}
	stream := h.store.Keys().Inbound()
	if err := queue.EnsureGroup(ctx, h.rdb, stream, queue.InboundGroup); err != nil {
		t.Fatal(err)
	}
	res, _ := h.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: queue.InboundGroup, Consumer: "dying", Streams: []string{stream, ">"}, Count: 1}).Result()
	entry := res[0].Messages[0]
	if err := h.desk.HandleInbound(ctx, entry.ID, entry.Values); err != nil {
		t.Fatal(err)
	}
	// ... and dies here. A survivor reclaims the entry.
	runCtx, cancel := context.WithCancel(ctx)
	survivor := &queue.Consumer{Client: h.rdb, Stream: stream, Group: queue.InboundGroup, Name: "survivor",
		Handle: h.desk.HandleInbound, MinIdle: 50 * time.Millisecond, Block: 50 * time.Millisecond, Delete: true}
	done := make(chan struct{})
	go func() { survivor.Run(runCtx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, _ := h.rdb.XPending(ctx, stream, queue.InboundGroup).Result()
		if p.Count == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entry never reclaimed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	all, _ := h.store.Since(ctx, time.Time{})
	if len(all) != 1 {
		t.Fatalf("%d inquiries, want exactly 1", len(all))
	}
	q, _ := h.store.Load(ctx, all[0])
	if len(q.Messages) != 1 {
		t.Errorf("%d messages, want 1", len(q.Messages))
	}
	if acks := kinds(h.outbox(t, inquiry.Telegram)); acks != "ack>900,card>-1005" {
		t.Errorf("outbox = %s (no second ack)", acks)
	}
}

func TestBrokenEntryIsPermanent(t *testing.T) {
	h := newHarness(t)
	err := h.desk.HandleInbound(context.Background(), "1-0", map[string]any{"m": "{not json"})
	if !queue.IsPermanent(err) {
		t.Errorf("a corrupt entry must be permanent (dead-lettered), got %v", err)
	}
	err = h.desk.HandleInbound(context.Background(), "1-0", map[string]any{"m": `{"text":"x"}`})
	if !queue.IsPermanent(err) || errors.Is(err, queue.ErrDuplicate) {
		t.Errorf("an entry without id/channel: %v", err)
	}
}

// A web inquiry that left an email address is answered by email; the
// person's email reply joins it.
func TestWebInquiryContinuesByEmail(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "web:NM-WEB001", Channel: inquiry.Web, Reference: "NM-WEB001", Address: "Mona <Mona@Example.org>", Text: "where do I renew my residency permit"})
	if _, _, err := h.desk.Reply(ctx, coord, "NM-WEB001", "At the residency office in Erbil"); err != nil {
		t.Fatal(err)
	}
	var reply queue.Outbound
	for _, o := range h.outbox(t, inquiry.Email) {
		if o.Kind == "reply" {
			reply = o
		}
	}
	if reply.To != "mona@example.org" || !strings.Contains(reply.Subject, "[NM-WEB001]") {
		t.Fatalf("reply by email = %+v", reply)
	}
	h.handle(t, &queue.Inbound{ID: "mail:<r1@example.org>|mona@example.org", Channel: inquiry.Email, Address: "mona@example.org",
		Subject: "Re: " + reply.Subject, Text: "thank you, which documents?", MessageID: "<r1@example.org>", Thread: []string{reply.MessageID}})
	q, _ := h.store.Load(ctx, "NM-WEB001")
	if len(q.Messages) != 3 {
		t.Errorf("the email reply did not join the web inquiry: %d messages", len(q.Messages))
	}
	// Someone else replying to the same thread does not.
	h.handle(t, &queue.Inbound{ID: "mail:<r2@x.org>|x@x.org", Channel: inquiry.Email, Address: "x@x.org",
		Subject: "Re: " + reply.Subject, Text: "me too", MessageID: "<r2@x.org>", Thread: []string{reply.MessageID}})
	if q, _ = h.store.Load(ctx, "NM-WEB001"); len(q.Messages) != 3 {
		t.Error("a stranger's mail joined the web inquiry")
	}
}

// Two workers taking a person's first two messages at the same moment must
// not open two inquiries: the second one's transaction sees the new
// conversation and joins it.
func TestConcurrentFirstMessagesOpenOneInquiry(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const people, each = 12, 6
	// Workers first, waiting on the stream: each read then takes the one
	// or two entries just added, so a person's messages spread over them.
	h.startWorkers(t, 4)
	var wg sync.WaitGroup
	for p := range people {
		wg.Go(func() {
			for i := range each {
				m := &queue.Inbound{ID: fmt.Sprintf("tg:%d:%d", p, i), Channel: inquiry.Telegram,
					Address: fmt.Sprint(9000 + p), Text: fmt.Sprintf("message %d about food baskets", i), At: h.clock.t,
					TelegramMessage: 100 + i}
				if _, err := h.store.Enqueue(ctx, "", "", m); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	var disordered []string
	stored := func() (inquiries, messages int) {
		refs, err := h.rdb.ZRange(ctx, h.store.Keys().All(), 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		disordered = nil
		for _, r := range refs {
			q, err := h.store.Load(ctx, inquiry.Reference(r))
			if err != nil {
				t.Fatal(err)
			}
			messages += len(q.Messages)
			for i, m := range q.Messages {
				if i > 0 && m.Seq < q.Messages[i-1].Seq {
					disordered = append(disordered, r)
					break
				}
			}
		}
		return len(refs), messages
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, n := stored(); n == people*each {
			break
		}
		if time.Now().After(deadline) {
			_, n := stored()
			t.Fatalf("%d of %d messages stored", n, people*each)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, _ := stored(); n != people {
		t.Errorf("%d inquiries for %d people, want one each", n, people)
	}
	if len(disordered) > 0 {
		t.Errorf("messages stored out of the order they were written in %v", disordered)
	}
}

// A message overtaken by a later one (two workers, or a redelivery) is put
// back in its place, in Redis as well as in memory.
func TestOvertakenMessageKeepsItsPlace(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, m := range []struct {
		id   string
		seq  int
		text string
	}{{"tg:1", 10, "first"}, {"tg:3", 12, "third"}, {"tg:2", 11, "second"}} {
		h.handle(t, &queue.Inbound{ID: m.id, Channel: inquiry.Telegram, Address: "555", Text: m.text + " about food", TelegramMessage: m.seq})
	}
	ref, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "555")
	q, err := h.store.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range q.Messages {
		got = append(got, strings.Fields(m.Text)[0])
	}
	if strings.Join(got, " ") != "first second third" {
		t.Errorf("conversation order %v", got)
	}
}

// The person's word that they are in danger makes the inquiry urgent, first
// in the queue, counted as a miss of the router; a replay changes nothing.
func TestPersonInDanger(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "801", Text: "a question about food baskets"})
	h.handle(t, &queue.Inbound{ID: "tg:2", Channel: inquiry.Telegram, Address: "802", Text: "another question about food rations"})
	second, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "802")
	if err := h.desk.PersonInDanger(ctx, inquiry.Telegram, "801", second, "tg:3"); inquiry.ErrorCode(err) != inquiry.ENOTFOUND {
		t.Fatalf("someone else's inquiry: err = %v", err)
	}
	for range 2 { // the same press twice
		if err := h.desk.PersonInDanger(ctx, inquiry.Telegram, "802", second, "tg:4"); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := h.store.Load(ctx, second)
	qs, _ := h.desk.Queue(ctx, wfpAgent, desk.Filter{})
	counters, _ := h.store.Counters(ctx)
	if !q.Urgent || len(qs) != 2 || qs[0].Reference != second || counters["urgent_by_person"] != 1 {
		t.Errorf("urgent=%v queue first %v counters %v", q.Urgent, qs[0].Reference, counters)
	}
	out := kinds(h.outbox(t, inquiry.Telegram))
	if strings.Count(out, "safety>802") != 1 || !strings.HasSuffix(out, "safety>802,followup_card>-1005") {
		t.Errorf("outbox %s", out)
	}
}

// Danger said on an inquiry staff closed reopens it, urgent, for them.
func TestPersonInDangerReopensAClosedInquiry(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.handle(t, &queue.Inbound{ID: "tg:1", Channel: inquiry.Telegram, Address: "811", Text: "a question about food baskets"})
	ref, _, _ := h.store.Conversation(ctx, inquiry.Telegram, "811")
	if _, err := h.desk.Close(ctx, wfpAgent, ref); err != nil {
		t.Fatal(err)
	}
	if err := h.desk.PersonInDanger(ctx, inquiry.Telegram, "811", ref, "tg:2"); err != nil {
		t.Fatal(err)
	}
	q, _ := h.store.Load(ctx, ref)
	qs, _ := h.desk.Queue(ctx, wfpAgent, desk.Filter{})
	if q.Status != inquiry.Open || !q.Urgent || len(qs) != 1 || qs[0].Reference != ref {
		t.Errorf("status %s urgent %v queue %d", q.Status, q.Urgent, len(qs))
	}
}
