package router

import (
	"strings"
	"testing"
)

// Questions about dangerous subjects that signal no danger now: the cues
// must not fire on them.
var calmTexts = []string{
	"Which programmes prevent the recruitment of children by armed groups?",
	"Do you run awareness campaigns on domestic violence in schools?",
	"Is there funding for suicide prevention hotlines in Duhok?",
	"What is the law on kidnapping ransom in Iraq?",
	"My son was recruited to the national football team, is there a sports programme?",
	"I took my son to school but there was no teacher",
	"I took my daughter to the clinic for her vaccines",
	"How many people were trafficked in Iraq last year?",
	"Do you have statistics on violence against women in Basra?",
	"The drought is killing our crops",
	"Hunger is killing the poor families in our area",
	"What support is there for survivors of ISIS captivity who came back years ago?",
	"I am a journalist writing about women who were held captive by ISIS; can I interview your coordinator?",
	"ما هي البرامج التي تمنع تجنيد الأطفال؟",
	"هل لديكم حملات توعية ضد العنف الأسري؟",
	"أخذت ابني إلى المدرسة ولم يكن هناك معلم",
	"الجفاف يقتل محاصيلنا",
	"كم عدد ضحايا الاتجار بالبشر في العراق؟",
	"أنا صحفية أكتب عن النساء اللواتي كن محتجزات لدى داعش، هل يمكن إجراء مقابلة؟",
	"هل توجد برامج للوقاية من الانتحار؟",
	"ئایا بەرنامە هەیە بۆ ڕێگریکردن لە ڕاکێشانی منداڵان بۆ گروپە چەکدارەکان؟",
	"ئایا هۆشیاری دژی توندوتیژی خێزانی دەکەنەوە؟",
	"کوڕەکەمم برد بۆ قوتابخانە بەڵام مامۆستا نەبوو",
	"وشکەساڵی بەرهەمەکانمان دەکوژێت",
	"ژمارەی قوربانیانی بازرگانی بە مرۆڤ لە عێراق چەندە؟",
}

func TestUrgencyCalm(t *testing.T) {
	r := newDefault(t)
	for _, text := range calmTexts {
		if d := r.Route(text, ""); d.Urgent {
			t.Errorf("false urgent: %q %v", text, d.Matched)
		}
	}
}

func TestUrgencyCues(t *testing.T) {
	r := newDefault(t)
	for _, tc := range []struct{ text, cue string }{
		{"My husband beats me every night", "urgent:en:beats me"},
		{"They locked us in a room and took our phones", "urgent:en:locked us"},
		{"I want to kill myself", "urgent:en:kill myself"},
		{"الميليشيا جندوا ابني البارحة", "urgent:ar:جندوا ابن"},
		{"زوجي يضربني كل يوم", "urgent:ar:يضربني"},
		{"مێردەکەم لێم دەدات", "urgent:ckb:لێم دەدات"},
		{"دەمەوێت خۆم بکوژم", "urgent:ckb:خۆم بکوژم"},
	} {
		d := r.Route(tc.text, "")
		if !d.Urgent || !strings.Contains(strings.Join(d.Matched, "|"), tc.cue) {
			t.Errorf("%q: want urgent with %q, got %v %v", tc.text, tc.cue, d.Urgent, d.Matched)
		}
	}
}
