package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
	"github.com/unmigration-iraq/netdesk/queue"
)

func TestChannelState(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if done, err := s.Handled(ctx, "tg", "42"); err != nil || done {
		t.Fatalf("fresh update handled=%v err=%v", done, err)
	}
	if err := s.MarkHandled(ctx, "tg", "42", time.Hour); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.Handled(ctx, "tg", "42"); !done {
		t.Error("a marked update is not reported handled")
	}

	if err := s.SetPersonField(ctx, inquiry.Telegram, "777", "lang", "ckb"); err != nil {
		t.Fatal(err)
	}
	s.SetPersonField(ctx, inquiry.Telegram, "777", "blocked", "1")
	s.SetPersonField(ctx, inquiry.Telegram, "777", "blocked", "") // unset again
	v, err := s.PersonFields(ctx, inquiry.Telegram, "777", "lang", "blocked")
	if err != nil || v[0] != "ckb" || v[1] != "" {
		t.Errorf("person fields = %q, %v", v, err)
	}

	if _, ok, _ := s.StateField(ctx, "telegram", "offset"); ok {
		t.Error("an unset state field reads as set")
	}
	s.SetStateField(ctx, "telegram", "offset", 1001)
	if v, ok, _ := s.StateField(ctx, "telegram", "offset"); !ok || v != "1001" {
		t.Errorf("offset = %q %v", v, ok)
	}

	if refs, _ := s.CardRefs(ctx, "-100", 5); refs != nil {
		t.Errorf("an unknown message is a card: %v", refs)
	}
	s.RememberCard(ctx, "-100", 5, []inquiry.Reference{"NM-AAAAAA", "NM-BBBBBB"}, time.Hour)
	if refs, _ := s.CardRefs(ctx, "-100", 5); len(refs) != 2 || refs[1] != "NM-BBBBBB" {
		t.Errorf("card refs = %v", refs)
	}

	if ok, _ := s.MarkSent(ctx, "o1"); !ok {
		t.Fatal("first MarkSent refused")
	}
	s.SetPersonField(ctx, inquiry.Telegram, "888", "blocked", "1")
	s.SetSending(ctx, []string{"o2"}, time.Hour, "state", "sending", "part", 2)
	checks, err := s.CheckSends(ctx, inquiry.Telegram, []queue.SendLookup{{ID: "o1", To: "777", Field: "blocked"}, {ID: "o2", To: "888", Field: "blocked"}, {ID: "o3", To: "-100"}})
	if err != nil {
		t.Fatal(err)
	}
	if !checks[0].Sent || checks[0].Person != "" || checks[1].Sent || checks[1].Person != "1" || checks[1].Sending["part"] != "2" || checks[2].Sent {
		t.Errorf("checks = %+v", checks)
	}
}
