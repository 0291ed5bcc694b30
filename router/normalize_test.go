package router

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"أَهْلاً وَسَهْلاً", "اهلا وسهلا"},      // harakat and tanween
		{"مـــدرســـة", "مدرسه"},                 // tatweel, ta marbuta
		{"إلى آخر أمر ٱلله", "الي اخر امر الله"}, // alef forms, alef maqsura
		{"مسؤول سائق", "مسوول سايق"},             // hamza carriers lose the hamza
		{"٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789"},
		{"ڕێگەی کوردی", "ريگهي كوردي"}, // Sorani letters folded
		{"ده‌کات", "دهكات"},            // ZWNJ joins the word
		{"ﻻ ﺳﻠﺔ", "لا سله"},            // presentation forms
		{"Café, HELLO!! cash-for-work", "cafe hello cash for work"},
		{"  \t\n ", ""},
		{"a\xffb", "a b"},
		{"x\u200fy\u202ez", "xyz"},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Persian-keyboard and Arabic-keyboard spellings of a word meet.
func TestNormalizeUnifiesSpellings(t *testing.T) {
	for _, pair := range [][2]string{
		{"کار", "كار"}, {"یارمەتی", "يارمهتي"}, {"ھەولێر", "هەولیر"}, {"مەڕ", "مهر"},
	} {
		if a, b := Normalize(pair[0]), Normalize(pair[1]); a != b {
			t.Errorf("%q → %q but %q → %q", pair[0], a, pair[1], b)
		}
	}
}
