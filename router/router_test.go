package router

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func minimalTopics() []Topic {
	return []Topic{
		{ID: "food", Lead: "WFP", Keywords: map[string][]string{"en": {"food basket"}, "ar": {"سلة غذائية"}}},
		{ID: "press", Lead: "SECRETARIAT", Keywords: map[string][]string{"en": {"journalist", "interview"}}},
		{ID: "other", Lead: "SECRETARIAT"},
	}
}

func TestNewRejectsBadTopics(t *testing.T) {
	other := Topic{ID: "other", Lead: "SECRETARIAT"}
	for _, tc := range []struct {
		name   string
		topics []Topic
		want   string
	}{
		{"empty", nil, "no topics"},
		{"no fallback", []Topic{{ID: "food", Lead: "WFP"}}, `no "other" topic`},
		{"duplicate", []Topic{other, {ID: "other", Lead: "X"}}, "duplicate id"},
		{"empty id", []Topic{other, {ID: " ", Lead: "X"}}, "empty id"},
		{"no lead", []Topic{other, {ID: "food"}}, "no lead agency"},
		{"unknown language", []Topic{other, {ID: "food", Lead: "WFP", Keywords: map[string][]string{"fr": {"nourriture"}}}}, `unknown keyword language "fr"`},
		{"keyword without letters", []Topic{other, {ID: "food", Lead: "WFP", Keywords: map[string][]string{"en": {"!!!"}}}}, "no letters"},
		{"keyword starting with *", []Topic{other, {ID: "food", Lead: "WFP", Keywords: map[string][]string{"en": {"* food"}}}}, "cannot start"},
		{"keyword ending with *", []Topic{other, {ID: "food", Lead: "WFP", Keywords: map[string][]string{"en": {"food *"}}}}, "cannot end"},
		{"keyword with two +", []Topic{other, {ID: "food", Lead: "WFP", Keywords: map[string][]string{"en": {"a + b + c"}}}}, "at most one +"},
		{"empty side of +", []Topic{other, {ID: "food", Lead: "WFP", Keywords: map[string][]string{"en": {"food + !"}}}}, "no letters"},
	} {
		_, err := New(tc.topics)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestRouteExplains(t *testing.T) {
	r := newDefault(t)
	for _, tc := range []struct {
		text, hint          string
		lang, topic, agency string
		urgent              bool
		matched             []string // each must appear in Matched
	}{
		{"عائلتنا لم تستلم السلّة الغذائيّة منذ شهرين", "", "ar", "food", "WFP", false,
			[]string{"lang:ar (", "topic:food kw:ar:سله غذائيه", "agency:WFP (lead of food)"}},
		{"کوڕەکەم ناتوانێت بچێتە قوتابخانە", "", "ckb", "children", "UNICEF", false,
			[]string{"lang:ckb (model p=", "topic:children kw:ckb:قوتابخانە"}},
		{"I am a reporter and would like an interview about human trafficking", "", "en", "press", "SECRETARIAT", false,
			[]string{"topic:press", "kw:en:reporter"}},
		{"My husband beats me", "", "en", "gbv_health", "UNFPA", true, []string{"urgent:model p=", "urgent:en:beats me"}},
		{"Hello, I have a question", "", "en", "other", "SECRETARIAT", false, []string{"topic:other model p="}},
		{"Hello, I have a question", "ar", "ar", "other", "SECRETARIAT", false, []string{"lang:ar (hint)"}},
		{"Hello, I have a question", "fr", "en", "other", "SECRETARIAT", false, []string{`hint "fr" ignored`}},
		{"I took my son to school but there was no teacher", "", "en", "children", "UNICEF", false,
			[]string{"not urgent: en:took my son within en:i took"}},
		// A longer phrase owns its words: "safety of journalists" is not two press keywords.
		{"I'm a journalist and receive threats, who works on the safety of journalists?", "", "en", "education_culture", "UNESCO", false,
			[]string{"topic:education_culture kw:en:safety of journalists"}},
		// One keyword ("daughter") loses to a model sure of another topic.
		{"بنتي عمرها ١٤ وابوها راح يزوجها غصب الاسبوع الجاي", "", "ar", "gbv_health", "UNFPA", true, nil},
		// A one-letter slip still finds the keyword; debt bondage with the
		// passport held is trafficking in progress, urgent.
		{"my pasport was taken by the agent and he says i owe him", "", "en", "trafficking", "UNODC", true, nil},
		{"My husband never hits me, he only shouts", "", "en", "gbv_health", "UNFPA", false,
			[]string{"not urgent: en:hits me negated by never"}},
	} {
		d := r.Route(tc.text, tc.hint)
		if d.Language != tc.lang || d.Topic != tc.topic || d.Agency != tc.agency || d.Urgent != tc.urgent {
			t.Errorf("%q: got %s/%s/%s urgent=%v, want %s/%s/%s urgent=%v (%v)", tc.text,
				d.Language, d.Topic, d.Agency, d.Urgent, tc.lang, tc.topic, tc.agency, tc.urgent, d.Matched)
		}
		all := strings.Join(d.Matched, "\n")
		for _, m := range tc.matched {
			if !strings.Contains(all, m) {
				t.Errorf("%q: matched lacks %q: %v", tc.text, m, d.Matched)
			}
		}
	}
}

func TestSensitiveAndSupport(t *testing.T) {
	r := newDefault(t)
	d := r.Route("The employer confiscated my passport and forces me to work for nothing", "")
	if d.Topic != "trafficking" || !d.Sensitive || strings.Join(d.Support, ",") != "IOM,ILO" {
		t.Fatalf("got %+v", d)
	}
	d.Support[0] = "CHANGED" // a caller's change must not leak into the router
	if again := r.Route("The employer confiscated my passport and forces me to work for nothing", ""); again.Support[0] != "IOM" {
		t.Fatalf("Support aliased: %v", again.Support)
	}
}

func TestDecisionJSON(t *testing.T) {
	r, err := New(minimalTopics())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(r.Route("", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"language":"en","topic":"other","agency":"SECRETARIAT","support":[],"urgent":false,"matched":[`
	if !strings.HasPrefix(string(raw), want) {
		t.Fatalf("got %s\nwant prefix %s", raw, want)
	}
}

// Hostile inputs: none may panic, and every decision must stay well-formed.
func TestHostileInputs(t *testing.T) {
	r := newDefault(t)
	big := strings.Repeat("a", 1<<20)
	inputs := map[string]string{
		"empty":           "",
		"spaces":          " \t\n\r ",
		"1MB latin":       big,
		"1MB arabic":      strings.Repeat("سلة غذائية ", 100_000),
		"1MB words":       strings.Repeat("food ", 210_000),
		"invalid utf8":    "\xff\xfe\xfd food \xc3\x28 basket \xe2\x82",
		"control chars":   "\x00\x01\x02food\x07\x1b[31mbasket\x7f",
		"punctuation":     "!!!???...,,,;;;***",
		"stars":           strings.Repeat("*", 10_000),
		"digits":          "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳ 0123",
		"emoji":           "🙂🙂🙂 👨‍👩‍👧 🇮🇶",
		"bidi marks":      "\u202e\u200f\u200e\u2066food\u2069\u061c",
		"combining storm": "a" + strings.Repeat("\u0301", 5000),
		"harakat only":    strings.Repeat("\u064e\u0650\u0651", 1000),
		"tatweel only":    strings.Repeat("ـ", 1000),
		"long word":       strings.Repeat("ڕ", 100_000),
		"zwnj":            strings.Repeat("ه\u200c", 1000),
		"nul in middle":   "my husband\x00beats me",
		"surrogates":      "\xed\xa0\x80\xed\xb0\x80",
		"presentation":    "ﻻ ﷲ ﺳﻠﺔ",
	}
	for name, text := range inputs {
		for _, hint := range []string{"", "ar", "xx", "\xff"} {
			d := r.Route(text, hint)
			checkDecision(t, name, d)
		}
	}
}

func checkDecision(t *testing.T, name string, d Decision) {
	t.Helper()
	if d.Topic == "" || d.Agency == "" || d.Support == nil || d.Matched == nil || !languages[d.Language] {
		t.Errorf("%s: malformed decision %+v", name, d)
	}
	for _, m := range d.Matched {
		if !utf8.ValidString(m) && !strings.Contains(m, "hint") {
			t.Errorf("%s: explanation is not UTF-8: %q", name, m)
		}
	}
}

func TestConcurrentRoute(t *testing.T) {
	r := newDefault(t)
	texts := []string{
		"My husband beats me",
		"کێ هەماهەنگی کاروانە مرۆییەکان دەکات؟",
		"هل توجد مناقصات جديدة؟",
		"Hello",
	}
	want := make([]string, len(texts))
	for i, text := range texts {
		want[i] = strings.Join(r.Route(text, "").Matched, "|")
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				i := n % len(texts)
				if got := strings.Join(r.Route(texts[i], "").Matched, "|"); got != want[i] {
					t.Errorf("concurrent route of %q: %s, want %s", texts[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewCopiesTopics(t *testing.T) {
	topics := minimalTopics()
	topics[0].Support = []string{"UNICEF"}
	r, err := New(topics)
	if err != nil {
		t.Fatal(err)
	}
	topics[0].Support[0] = "CHANGED"
	topics[0].Lead = "CHANGED"
	d := r.Route("no food basket this month", "")
	if d.Agency != "WFP" || d.Support[0] != "UNICEF" {
		t.Fatalf("router shares the caller's topics: %+v", d)
	}
}

// A network file may replace the topics: the router then trains on the new
// topics' keywords and ignores shipped examples of topics it lacks.
func TestCustomTopics(t *testing.T) {
	r, err := New(minimalTopics())
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Route("we did not get the food basket", ""); d.Topic != "food" {
		t.Errorf("got %+v", d)
	}
	if d := r.Route("A journalist wants an interview about the food basket", ""); d.Topic != "press" {
		t.Errorf("press override: got %+v", d)
	}
}

// Keyword syntax: inflections, clitics, * prefixes and wildcards, A + B pairs.
func TestKeywordSyntax(t *testing.T) {
	topics := []Topic{
		{ID: "t", Lead: "T", Keywords: map[string][]string{
			"en":  {"farm", "traffick*", "took * passport", "militia + took"},
			"ar":  {"مدرسه", "المساعدات الغذائيه"},
			"ckb": {"پەنابەر", "کار"},
		}},
		{ID: "other", Lead: "SECRETARIAT"},
	}
	r, err := New(topics)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"farmers", true}, {"farming", true}, {"farmed", true}, {"farmhouse", false},
		{"trafficked", true}, {"traffic", false},
		{"they took my passport", true}, {"took the old blue passport", true}, {"took passport", true}, {"took it and then later the passport", false},
		{"the militia came and took him", true}, {"took him away, then far later something else happened and then a militia", false},
		{"مدرستي", true}, {"بالمدرسة", true}, {"مدارس", false},
		{"للمساعدات الغذائية", true}, {"مساعدات غذائية", true},
		{"پەنابەرێکی", true}, {"کارەکەم", true}, {"کارگە", false},
	} {
		d := r.Route(tc.text, "")
		if got := strings.Contains(strings.Join(d.Matched, "|"), "topic:t kw:"); got != tc.want {
			t.Errorf("%q: matched=%v, want %v (%v)", tc.text, got, tc.want, d.Matched)
		}
	}
}

// English keywords of six letters or more are found with one slip (a letter
// missing, extra, replaced, or two swapped), but not in words the training
// sentences spell that way, nor when the first letter differs.
func TestFuzzyEnglish(t *testing.T) {
	topics := []Topic{
		{ID: "t", Lead: "T", Keywords: map[string][]string{"en": {"passport", "salary", "trafficking", "took * passport"}}},
		{ID: "other", Lead: "SECRETARIAT"},
	}
	r, err := New(topics)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"pasport", true}, {"passprot", true}, {"pasports", true}, {"passsport", true}, {"salery", true},
		{"trafficing", true}, {"they took my pasport", true},
		{"support", false}, {"bassport", false}, {"psaport", false}, {"salad", false}, {"sal", false},
	} {
		d := r.Route(tc.text, "")
		if got := strings.Contains(strings.Join(d.Matched, "|"), "topic:t kw:"); got != tc.want {
			t.Errorf("%q: matched=%v, want %v (%v)", tc.text, got, tc.want, d.Matched)
		}
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"salary", "salery", true}, {"passport", "pasport", true}, {"passport", "passprot", true},
		{"passport", "passport", false}, {"passport", "pasprot", false}, {"salary", "salaries", false},
	} {
		if got := oneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("oneEdit(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
