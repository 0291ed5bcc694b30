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
	// negated, in the past, or someone else's danger in general terms
	"My husband does not hit me but he takes all my money",
	"He never hit me, he only shouts",
	"I don't want to die, I want treatment for my cancer",
	"We are not in danger, we only need food",
	"My ex husband used to beat me years ago, now I am divorced and safe",
	"The drought hit us hard this year",
	"Is there a law against forcing girls to marry?",
	"The militia recruited my brother in 2017 and he came back in 2019, he needs a job",
	"Our heritage sites are in danger from looters",
	"زوجي ما يضربني بس ياخذ كل فلوسي",
	"ما اريد اموت، اريد علاج",
	"اخذت ابني للمستشفى",
	"ابن عمي محتجز بمركز احتجاز المهاجرين بليبيا",
	"حرية التعبير بخطر",
	"مێردەکەم لێم نادات بەڵام هەموو پارەکانم دەبات",
	"کوڕەکەمم برد بۆ نەخۆشخانە",
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
		{"They took my son to the front line last night", "urgent:en:took my * son"},
		{"he broke my arm last night", "urgent:en:broke my"},
		{"my uncle burns my little brother with cigarettes", "urgent:en:with cigarettes"},
		{"my daughter is 15 and her father is forcing her to marry his cousin next week", "urgent:en:forcing * to marry"},
		{"i can't live like this anymore, i want to sleep and never wake up", "urgent:en:never wake up"},
		// "اخذت" is also "she took": an armed group named as the one who took is not calmed by "I took"
		{"جماعة مسلحة اخذت ابني من السوق", "urgent:ar:جماعه مسلحه + اخذ"},
		{"بنتي عمرها ١٤ وابوها راح يزوجها غصب", "urgent:ar:"},
		{"حابسينا بغرفة وما يخلونا نطلع", "urgent:ar:حابسينا"},
		{"کچەکەم ١٤ ساڵە و باوکی بە زۆر دەیەوێت بەشووی بدات", "urgent:ckb:"},
		{"ئەمشەو خۆم دەکوژم", "urgent:ckb:خۆم دەکوژم"},
	} {
		d := r.Route(tc.text, "")
		if !d.Urgent || !strings.Contains(strings.Join(d.Matched, "|"), tc.cue) {
			t.Errorf("%q: want urgent with %q, got %v %v", tc.text, tc.cue, d.Urgent, d.Matched)
		}
	}
}

// The urgency model flags a threat no cue lists; it leaves short texts, and
// texts whose cue a calm phrase or a negation cancelled, to the cues.
func TestUrgencyModel(t *testing.T) {
	r := newDefault(t)
	for _, text := range []string{
		"my husband came home drunk and squeezed my throat until i almost fainted",
		"زوجي رجع سكران وعصر رگبتي لحد ما كدت اغمى",
	} {
		d := r.Route(text, "")
		if !d.Urgent || !strings.Contains(strings.Join(d.Matched, "|"), "urgent:model p=") {
			t.Errorf("%q: want urgent by the model, got %v %v", text, d.Urgent, d.Matched)
		}
	}
	for _, text := range []string{
		"they took our tent",
		"I took my son to school but there was no teacher",
		"Is there any programme that helps women after violence to find work?",
	} {
		if d := r.Route(text, ""); d.Urgent {
			t.Errorf("%q: false urgent %v", text, d.Matched)
		}
	}
}

// A cue dated in the past with nothing of now near it is calmed; a word of
// now near the cue keeps it urgent, however old the rest of the story.
func TestUrgencyLongPast(t *testing.T) {
	r := newDefault(t)
	for _, tc := range []struct {
		text   string
		urgent bool
	}{
		{"ISIS took my two brothers in 2014 and we never found out what happened. Is any office still helping families?", false},
		{"Two years ago my father tried to marry me off at 15. I ran to my aunt and I'm fine now, I want to study", false},
		{"Last year my husband beat me badly, I left him and need work", false},
		{"قبل ثلاث سنين هددوني بالقتل بسبب شغلي، هسه مستقر ببغداد وأريد وظيفة", false},
		{"ساڵێک لەمەوبەر مێردەکەم لێی دەدام، جیابوومەتەوە و کار دەگەڕێم", false},
		// now, tonight, again near the cue: urgent
		{"Two years ago he beat me, and now he is beating me again", true},
		{"He hit me last year and tonight he says he will kill me", true},
		{"قبل سنتين ضربني، وهسه رجع يضربني", true},
		{"ساڵێک لەمەوبەر لێی دەدام و ئێستا دیسان لێم دەدات", true},
		// "for two years" is still going on
		{"من سنتين زوجي يضربني كل يوم", true},
	} {
		if d := r.Route(tc.text, ""); d.Urgent != tc.urgent {
			t.Errorf("%q: urgent %v, want %v %v", tc.text, d.Urgent, tc.urgent, d.Matched)
		}
	}
	if got := pastAt(tokens("in 2014 isis took my brothers"), 3); got != "in 2014" {
		t.Errorf("pastAt = %q", got)
	}
}
