package inbox

import "testing"

func TestTrimReply(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gmail top-post", "Yes, Sunday is fine.\n\nOn Mon, Jan 6, 2025 at 11:00 AM Desk <\ndesk@network.example> wrote:\n\n> Can you come on Sunday?\n>\n", "Yes, Sunday is fine."},
		{"bottom-post", "On Mon, Jan 6, 2025, Desk <desk@network.example> wrote:\n> Can you come on Sunday?\n\nYes, Sunday is fine.\n", "Yes, Sunday is fine."},
		{"inline answers", "> When?\nSunday.\n> Where?\nErbil.\n", "Sunday.\nErbil."},
		{"original message", "Thanks.\n\n-----Original Message-----\nFrom: Desk\nSent: Monday\nTo: me\nSubject: x\n\nold text\n", "Thanks."},
		{"outlook block", "Please come on Sunday.\n\nBest regards\nAmina\n\n________________________________\nFrom: Desk <desk@network.example>\nSent: Monday, January 6, 2025 11:00 AM\nTo: UNHCR <iraq@unhcr.example>\nSubject: [NM-4K7Q2X] New inquiry\n\nA new inquiry.\n", "Please come on Sunday.\n\nBest regards\nAmina"},
		{"outlook block, bold", "Noted.\n\n*From:* Desk <desk@network.example>\n*Sent:* Monday\n*To:* UNHCR\n*Subject:* x\n\nold\n", "Noted."},
		{"outlook arabic", "سنتواصل معك.\n\nمن: Desk <desk@network.example>\nتاريخ الإرسال: الاثنين، 6 يناير 2025\nإلى: UNHCR\nالموضوع: استفسار\n\nنص قديم\n", "سنتواصل معك."},
		{"original message arabic", "شكراً\n-----الرسالة الأصلية-----\nنص قديم\n", "شكراً"},
		{"gmail arabic", "شكراً جزيلاً، سأحضر غداً.\n\n\u202bفي الاثنين، 6 يناير 2025 في 11:00 ص، \u202aDesk\u202c\u200f <\u202adesk@network.example\u202c\u200f> كتب:\u202c\n\n> شكراً لك\n", "شكراً جزيلاً، سأحضر غداً."},
		{"gmail arabic new", "حسناً.\n\nفي الخميس، 4 يناير 2024 في 10:15 ص تمت كتابة ما يلي بواسطة Desk <desk@network.example>:\n> نص\n", "حسناً."},
		{"french", "Merci.\n\nLe lun. 6 janv. 2025 à 11:00, Desk <desk@network.example> a écrit :\n> texte\n", "Merci."},
		{"signature", "I need help.\n\n-- \nSara Ahmed\n+964 750 000 0000\n", "I need help."},
		{"mobile", "I need help.\n\nSent from my iPhone\n", "I need help."},
		{"not an attribution", "On Monday my employer wrote:\nYou are dismissed without pay.\nWhat can I do?\n", "On Monday my employer wrote:\nYou are dismissed without pay.\nWhat can I do?"},
		{"arabic not an attribution", "كتبت لكم سابقاً عن مشكلتي:\nلم أتلق أي رد.\n", "كتبت لكم سابقاً عن مشكلتي:\nلم أتلق أي رد."},
		{"only a quote", "> old text\n> more\n", ""},
		{"html quote mark", "New text.\n" + quoteMark + "\nOn Monday, Desk wrote:\nold text\n", "New text."},
		{"dashes in text", "Step one\n--\nStep two\nStep three\nStep four\nStep five\nStep six\nStep seven\nStep eight\nStep nine\nStep ten\nStep eleven\nStep twelve\n", "Step one\n--\nStep two\nStep three\nStep four\nStep five\nStep six\nStep seven\nStep eight\nStep nine\nStep ten\nStep eleven\nStep twelve"},
	}
	for _, c := range cases {
		if got := TrimReply(c.in); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestForwardNotTrimmed(t *testing.T) {
	raw := "From: a@example.org\r\nSubject: Fwd: threat from my employer\r\n\r\nSee below.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Boss <boss@example.com>\r\nDate: Mon, Jan 6, 2025\r\nSubject: threat\r\nTo: a@example.org\r\n\r\nIf you leave I keep your passport.\r\n"
	m := Normalize([]byte(raw), Limits{})
	if m.Text != m.Body || !contains(m.Text, "keep your passport") {
		t.Errorf("text = %q", m.Text)
	}
}

func contains(s, sub string) bool { return len(sub) == 0 || indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
