package router

import (
	"strings"
	"testing"
)

func TestDetectLanguage(t *testing.T) {
	for _, tc := range []struct{ text, lang, why string }{
		{"Where can I get food assistance?", "en", "latin script"},
		{"", "en", "no letters"},
		{"12345 !!", "en", "no letters"},
		{"كيف أسجل للحصول على المساعدة؟", "ar", "arabic letters"},
		{"شنو اللي چان يصير بالمخيم", "ar", "arabic"}, // Iraqi چ alone is not Sorani
		{"چۆن خۆمان تۆمار بکەین؟", "ckb", "sorani letters ۆ"},
		{"مێردەکەم لێم دەدات", "ckb", "sorani letters ێ,ە"},
		{"ده‌مه‌وێ", "ckb", "sorani letters"}, // ە typed as ه + ZWNJ
		{"کچه‌که‌م پێویستی به‌ یارمه‌تییه‌", "ckb", ""},
		{"UNHCR مخيم دوميز", "ar", ""},
		{"I need help with my residency, شكرا", "en", "latin script ("},
	} {
		lang, why := DetectLanguage(tc.text)
		if lang != tc.lang || !strings.Contains(why, tc.why) {
			t.Errorf("DetectLanguage(%q) = %s (%s), want %s (%s…)", tc.text, lang, why, tc.lang, tc.why)
		}
	}
}

// Every dev and held-out example is detected as its labelled language.
func TestDetectLanguageOnExamples(t *testing.T) {
	for _, f := range evalFiles {
		for _, e := range readExamples(t, f) {
			if lang, why := DetectLanguage(e.Text); lang != e.Lang {
				t.Errorf("%s: %q detected %s (%s), labelled %s", f, e.Text, lang, why, e.Lang)
			}
		}
	}
}
