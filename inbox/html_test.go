package inbox

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"paragraphs and breaks", "<p>One</p><p>Two<br>Three</p>", "One\n\nTwo\nThree"},
		{"scripts and styles", "<html><head><title>T</title><style>p{}</style></head><body><script>alert(1)</script><p>Text</p><noscript>no</noscript></body></html>", "Text"},
		{"links", `See <a href="https://x.example/a">the page</a>, <a href="https://x.example/">https://x.example/</a> and <a href="x.example">x.example</a>.`, "See the page (https://x.example/a), https://x.example/ and x.example."},
		{"mailto", `Write to <a href="mailto:desk@x.example?subject=hi">desk@x.example</a> or <a href="mailto:a@x.example">Amina</a>`, "Write to desk@x.example or Amina (a@x.example)"},
		{"javascript link", `<a href="javascript:evil()">click</a>`, "click"},
		{"entities", "caf&eacute; &amp; th&#233;&nbsp;vert &lt;3", "café & thé vert <3"},
		{"lists", "<ul><li>one</li><li>two</li></ul><ol><li>three</li></ol>", "- one\n- two\n\n- three"},
		{"blockquote", "Yes.<blockquote>Old <b>text</b><br>more</blockquote>", "Yes.\n\n> Old text\n> more"},
		{"gmail quote", `<div>New</div><div class="gmail_quote"><div class="gmail_attr">On Mon, X wrote:</div><blockquote>old</blockquote></div>`, "New\n\n" + quoteMark + "\n\nOn Mon, X wrote:\n\n> old"},
		{"image alt", `<img src="cid:x" alt="logo"> text`, "[logo] text"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"arabic rtl", `<div dir="rtl"><p>مرحبا <b>بكم</b></p></div>`, "مرحبا بكم"},
		{"inline no space", "foo<b>bar</b> baz", "foobar baz"},
		{"unclosed", "<p>text <a href='https://x.example'>link", "text link"},
	}
	for _, c := range cases {
		if got := HTMLToText(c.in); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	if got := HTMLToText(strings.Repeat("<div>", 100000) + "x"); got != "x" {
		t.Errorf("deep nesting: %q", got)
	}
}
