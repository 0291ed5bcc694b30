package router

import "testing"

func FuzzRoute(f *testing.F) {
	for _, s := range []string{
		"", "My husband beats me", "سلة غذائية", "ڕاپۆرتی قاچاخچێتی", "\xff\xfe", "* * *",
		"ه\u200c", "ﻻ", "a\u0301\u0301", "took * passport", "\x00\x01",
	} {
		f.Add(s, "")
		f.Add(s, "ckb")
	}
	r := newDefault(f)
	f.Fuzz(func(t *testing.T, text, hint string) {
		d := r.Route(text, hint)
		checkDecision(t, "fuzz", d)
		_ = Normalize(text)
		if lang, _ := r.detect(text); !languages[lang] {
			t.Fatalf("detect(%q) = %q", text, lang)
		}
	})
}
