package inbox

import (
	"strings"
	"testing"
)

func TestParseMessageIDs(t *testing.T) {
	cases := []struct{ in, want string }{
		{"<a@b>", "<a@b>"},
		{"<a@b> <c@d>", "<a@b> <c@d>"},
		{"<a@b>\r\n\t<c@d>", "<a@b> <c@d>"},
		{"<a@b>,<c@d>", "<a@b> <c@d>"},
		{"<a@b> <a@b>", "<a@b>"},
		{"a@b c@d", "<a@b> <c@d>"},
		{"a@b", "<a@b>"},
		{"<a@b> (comment <x@y>)", "<a@b>"},
		{`Your message of "Mon, 6 Jan" <a@b>`, "<a@b>"},
		{"<>", ""},
		{"<no-at-sign>", ""},
		{"<a @b>", "<a@b>"},
		{"<<a@b>>", "<a@b>"},
		{"<a@b", "<a@b>"},
		{"garbage", ""},
		{"", ""},
		{"<a\x00@b>", ""},
		{"<" + strings.Repeat("x", 300) + "@b>", ""},
	}
	for _, c := range cases {
		if got := strings.Join(ParseMessageIDs(c.in), " "); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
	var many strings.Builder
	for i := range 1000 {
		many.WriteString("<id" + strings.Repeat("x", i%10) + string(rune('a'+i%26)) + "@b> ")
	}
	if n := len(ParseMessageIDs(many.String())); n > maxIDsParsed {
		t.Errorf("%d ids", n)
	}
}

func TestThread(t *testing.T) {
	got := Thread([]string{"<p@x>"}, []string{"<r1@x>", "<r2@x>", "<p@x>"})
	if strings.Join(got, " ") != "<r1@x> <r2@x> <p@x>" {
		t.Errorf("thread = %v", got)
	}
	got = Thread([]string{"<p@x>"}, []string{"<r1@x>"})
	if strings.Join(got, " ") != "<r1@x> <p@x>" {
		t.Errorf("thread = %v", got)
	}
	var refs []string
	for i := range 50 {
		refs = append(refs, "<r"+string(rune('A'+i))+"@x>")
	}
	if got := Thread(nil, refs); len(got) != maxThreadIDs || got[len(got)-1] != refs[49] {
		t.Errorf("long thread kept %v", got)
	}
}
