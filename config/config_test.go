package config

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "network.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultNetwork(t *testing.T) {
	c := Default()
	if got := len(c.Agencies); got != 14 {
		t.Errorf("agencies = %d, want 13 members + SECRETARIAT", got)
	}
	want := map[string]string{
		"trafficking": "UNODC", "migration": "IOM", "refugees": "UNHCR", "children": "UNICEF", "labour": "ILO",
		"food": "WFP", "agriculture": "FAO", "gbv_health": "UNFPA", "education_culture": "UNESCO", "development": "UNDP",
		"industry": "UNIDO", "procurement": "UNOPS", "humanitarian": "OCHA", "press": "SECRETARIAT", "other": "SECRETARIAT",
	}
	for id, lead := range want {
		tp, ok := c.Topic(id)
		if !ok || tp.Lead != lead {
			t.Errorf("topic %s: lead %q, want %q", id, tp.Lead, lead)
		}
		if id != "other" {
			for _, lang := range KnownLanguages {
				if len(tp.Keywords[lang]) == 0 {
					t.Errorf("topic %s has no %s keywords", id, lang)
				}
			}
		}
	}
	for _, id := range []string{"trafficking", "gbv_health"} {
		if tp, _ := c.Topic(id); !tp.Sensitive {
			t.Errorf("topic %s must be sensitive", id)
		}
	}
	if c.Location().String() != "Asia/Baghdad" {
		t.Errorf("timezone = %s", c.Location())
	}
	for _, name := range RequiredTemplates {
		for _, lang := range []string{"en"} {
			if c.Templates[name][lang] == "" {
				t.Errorf("template %s has no %s text", name, lang)
			}
		}
	}
	if !strings.Contains(c.Text("ack", "ar", map[string]string{"reference": "NM-ABC123"}), "NM-ABC123") {
		t.Error("Arabic ack does not carry the reference")
	}
	if c.Text("ack", "xx", nil) != c.Templates["ack"]["en"] {
		t.Error("an unknown language must fall back to English")
	}
}

// placeholders lists the {placeholders} of a text, sorted, each once.
func placeholders(s string) []string {
	ps := regexp.MustCompile(`\{[a-z_]+\}`).FindAllString(s, -1)
	slices.Sort(ps)
	return slices.Compact(ps)
}

// Every text a person receives is in every language of the default network,
// Kurmanji (kmr) included, with the placeholders of the English text, so no
// {reference} goes missing in translation. Staff texts (cards, reminders,
// digests) are English only.
func TestEveryPersonTextInEveryLanguage(t *testing.T) {
	c := Default()
	if !slices.Equal(c.Network.Languages, []string{"en", "ar", "ckb", "kmr"}) {
		t.Errorf("network.languages = %v, want en, ar, ckb, kmr", c.Network.Languages)
	}
	for _, lang := range c.Network.Languages {
		if !slices.Contains(KnownLanguages, lang) {
			t.Errorf("network language %s is not known", lang)
		}
		if strings.TrimSpace(c.Network.SafetyMessage[lang]) == "" {
			t.Errorf("safety_message has no %s text", lang)
		}
		// The hotlines are the same in every language.
		for _, number := range []string{"104", "112", "533", "139"} {
			if !strings.Contains(c.Network.SafetyMessage[lang], number) {
				t.Errorf("safety_message.%s lacks the number %s", lang, number)
			}
		}
	}
	// The texts the brief names, and every other template translated at all.
	person := []string{"ack", "start", "language_set", "status", "status_none", "status_open", "status_claimed",
		"status_answered", "status_closed", "new", "forget_confirm", "danger_button", "forget_yes", "forget_no",
		"forgotten", "slow_down", "reply", "check_in", "check_in_email", "yes", "no", "reopened", "thanks_closed", "auto_close"}
	for name, texts := range c.Templates {
		if len(texts) > 1 && !slices.Contains(person, name) {
			person = append(person, name)
		}
	}
	for _, name := range person {
		texts, ok := c.Templates[name]
		if !ok {
			t.Errorf("template %s is missing", name)
			continue
		}
		want := placeholders(texts["en"])
		for _, lang := range c.Network.Languages {
			s := texts[lang]
			if strings.TrimSpace(s) == "" {
				t.Errorf("template %s has no %s text", name, lang)
				continue
			}
			if got := placeholders(s); !slices.Equal(got, want) {
				t.Errorf("template %s.%s has placeholders %v, want %v as in English", name, lang, got, want)
			}
		}
	}
	// Kurmanji is written in Latin script here, and Text picks it (no
	// fallback to English).
	ack := c.Text("ack", "kmr", map[string]string{"reference": "NM-ABC123"})
	if ack == c.Text("ack", "en", map[string]string{"reference": "NM-ABC123"}) || strings.Count(ack, "NM-ABC123") != 2 {
		t.Errorf("Kurmanji ack = %q", ack)
	}
	for _, name := range []string{"yes", "no", "forget_yes", "forget_no"} {
		if s := c.Text(name, "kmr", nil); strings.ContainsFunc(s, func(r rune) bool { return r >= 0x0600 && r <= 0x06FF }) {
			t.Errorf("template %s.kmr %q is not in Latin script", name, s)
		}
	}
	if c.Text("yes", "kmr", nil) != "Erê" || c.Text("no", "kmr", nil) != "Na" {
		t.Errorf("Kurmanji yes/no = %q/%q", c.Text("yes", "kmr", nil), c.Text("no", "kmr", nil))
	}
	if c.SafetyMessage("kmr") == c.SafetyMessage("en") {
		t.Error("the Kurmanji safety message falls back to English")
	}
}

// A network file may speak Kurmanji and word its Kurmanji texts; a language
// netdesk does not know is refused with the list of those it does.
func TestKurmanjiInANetworkFile(t *testing.T) {
	p := writeFile(t, `
network:
  languages: [en, kmr]
  safety_message: {en: "Call 112.", kmr: "Li 112 bigere."}
templates:
  ack: {en: "Got it: {reference}", kmr: "Me wergirt: {reference}"}
`)
	c, err := Load(p, env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Text("ack", "kmr", map[string]string{"reference": "NM-ABC123"}); got != "Me wergirt: NM-ABC123" {
		t.Errorf("Kurmanji ack = %q", got)
	}
	if c.SafetyMessage("kmr") != "Li 112 bigere." {
		t.Errorf("Kurmanji safety message = %q", c.SafetyMessage("kmr"))
	}
	p = writeFile(t, "network:\n  languages: [en, ku]\ntemplates:\n  ack: {en: \"x\", kur: \"y\"}\n")
	_, err = Load(p, env(nil))
	for _, want := range []string{`network.yaml:2: network.languages: "ku" is not one of en, ar, ckb, kmr`, `templates.ack: unknown language "kur"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

func TestPartialFileKeepsOtherSections(t *testing.T) {
	p := writeFile(t, `
staff:
  - {id: amina, name: Amina, agency: UNHCR, role: agent, telegram_user: 5550001, token_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
followups:
  first_response: 30s
limits:
  intake_per_minute: 0
templates:
  ack: {en: "Got it: {reference}"}
`)
	c, err := Load(p, env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(c.Agencies) != 14 || len(c.Topics) != 15 {
		t.Errorf("sections left out must keep the default: %d agencies, %d topics", len(c.Agencies), len(c.Topics))
	}
	if len(c.Staff) != 1 || c.Staff[0].ID != "amina" {
		t.Errorf("staff = %+v", c.Staff)
	}
	if c.Followups.FirstResponse.D() != 30*time.Second || c.Followups.EscalateAfter.D() != 48*time.Hour {
		t.Errorf("followups = %+v: keys left out keep their default", c.Followups)
	}
	if c.Limits.IntakePerMinute != 0 || c.Limits.MaxTextChars != 20000 {
		t.Errorf("limits = %+v: a 0 written must stay 0", c.Limits)
	}
	if c.Templates["ack"]["en"] != "Got it: {reference}" || c.Templates["forgotten"]["en"] == "" {
		t.Error("templates are replaced one template at a time")
	}
}

func TestBadFiles(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string // each must appear in one problem line
	}{
		{"not yaml", "network: [", []string{"network.yaml: 1:"}},
		{"empty", "", []string{"network.yaml:1: the file is empty"}},
		{"list at top", "- a\n- b\n", []string{"network.yaml:1: the file must be a mapping"}},
		{"unknown section", "network: {name: X}\nagencys: []\n", []string{`network.yaml:2: unknown section "agencys"`}},
		{"unknown key", "staff:\n  - id: a\n    agency: UNHCR\n    role: agent\n    tokn: x\n", []string{`network.yaml: 5: unknown key "tokn"`}},
		{"wrong type", "limits:\n  intake_per_minute: lots\n", []string{"network.yaml: 2:"}},
		{"bad duration", "followups:\n  first_response: soon\n", []string{`network.yaml: 2: "soon" is not a duration`}},
		{"bad cron", "followups:\n  digest: \"every morning\"\n", []string{`network.yaml:2: followups.digest "every morning" is not a cron spec`}},
		{"staff problems", `staff:
  - {id: a, agency: NOPE, role: agent}
  - {id: b, agency: UNHCR, role: boss, token_sha256: abc}
  - {id: a, agency: UNHCR, role: agent, password_hash: plain}
`, []string{
			`network.yaml:2: staff a: agency "NOPE" is not one of the agencies`,
			`network.yaml:3: staff b: role "boss" must be agent, coordinator or admin`,
			`network.yaml:3: staff b: token_sha256 must be 64 hex digits`,
			`network.yaml:4: staff a is listed twice`,
			`network.yaml:4: staff a: password_hash must be an argon2id`,
		}},
		{"topic with unknown lead", "topics:\n  - {id: other, lead: SECRETARIAT}\n  - id: food\n    lead: WFPP\n", []string{`network.yaml:4: topic food: lead "WFPP" is not one of the agencies`}},
		{"no other topic", "topics:\n  - {id: food, lead: WFP}\n", []string{`there is no topic "other"`}},
		{"bad timezone", "network:\n  timezone: Mars/Olympus\n", []string{`network.yaml:2: network.timezone "Mars/Olympus" is not a known time zone`}},
		{"secretariat missing", "network:\n  secretariat: NOBODY\n", []string{`network.yaml:2: network.secretariat "NOBODY" is not one of the agencies`}},
		{"negative limit", "limits:\n  send_per_second: -1\n", []string{"network.yaml:2: limits.send_per_second must not be negative"}},
		{"duplicate chat", "agencies:\n  - {id: SECRETARIAT, telegram_chat: -1}\n  - {id: WFP, telegram_chat: -1}\n", []string{"network.yaml:3: agency WFP has the same telegram_chat as SECRETARIAT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.body)
			c, err := Load(p, env(nil))
			if err == nil {
				t.Fatalf("Load accepted a bad file: %+v", c)
			}
			if c != nil {
				t.Error("a bad file must return no config")
			}
			probs, ok := err.(Problems)
			if !ok {
				t.Fatalf("error %T, want Problems", err)
			}
			for _, w := range tc.want {
				found := false
				for _, line := range probs {
					if strings.Contains(line, w) && strings.HasPrefix(line, p) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem line contains %q (with the file path); got:\n%s", w, probs.Error())
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load("/nonexistent/netdesk.yaml", env(nil))
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/netdesk.yaml: no such file") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnvironment(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	e := c.Env
	if e.HTTPAddr != "127.0.0.1:8080" || e.TelegramAPI != "https://api.telegram.org" || e.IMAPTLS != "tls" ||
		e.IMAPMailbox != "INBOX" || e.IMAPDoneMailbox != "Processed" || e.LogLevel != "info" || e.RedisURL != "" {
		t.Errorf("defaults = %+v", e)
	}
	bad := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"NETDESK_REDIS_URL": "http://x"}, "env NETDESK_REDIS_URL: must be a redis://"},
		{map[string]string{"NETDESK_HTTP_ADDR": "8080"}, "env NETDESK_HTTP_ADDR"},
		{map[string]string{"NETDESK_TELEGRAM_API": "ftp://x"}, "env NETDESK_TELEGRAM_API"},
		{map[string]string{"NETDESK_TELEGRAM_TOKEN": "not a token"}, "env NETDESK_TELEGRAM_TOKEN"},
		{map[string]string{"NETDESK_TELEGRAM_TOKEN": "1:a", "NETDESK_TELEGRAM_WEBHOOK_URL": "https://x/telegram/webhook"}, "env NETDESK_TELEGRAM_WEBHOOK_SECRET: is required"},
		{map[string]string{"NETDESK_IMAP_ADDR": "mail.example.org:143", "NETDESK_IMAP_USER": "u", "NETDESK_IMAP_TLS": "none"}, "env NETDESK_IMAP_TLS: none sends the password in clear"},
		{map[string]string{"NETDESK_IMAP_ADDR": "127.0.0.1:143", "NETDESK_IMAP_TLS": "maybe", "NETDESK_IMAP_USER": "u"}, `env NETDESK_IMAP_TLS: "maybe" must be one of`},
		{map[string]string{"NETDESK_SMTP_ADDR": "127.0.0.1:25"}, "env NETDESK_SMTP_FROM"},
		{map[string]string{"NETDESK_LOG_LEVEL": "loud"}, "env NETDESK_LOG_LEVEL"},
		{map[string]string{"NETDESK_MAIL_OAUTH2_CLIENT_ID": "app"}, "env NETDESK_MAIL_OAUTH2_CLIENT_ID: is set but NETDESK_MAIL_OAUTH2_TOKEN_URL is not"},
		{map[string]string{"NETDESK_IMAP_ADDR": "outlook.office365.com:993", "NETDESK_IMAP_USER": "desk@example.org",
			"NETDESK_MAIL_OAUTH2_TOKEN_URL": "login.example/token", "NETDESK_MAIL_OAUTH2_CLIENT_ID": "app"}, "env NETDESK_MAIL_OAUTH2_TOKEN_URL: must be an https URL"},
		{map[string]string{"NETDESK_IMAP_ADDR": "outlook.office365.com:993", "NETDESK_IMAP_USER": "desk@example.org",
			"NETDESK_MAIL_OAUTH2_TOKEN_URL": "http://login.example/token", "NETDESK_MAIL_OAUTH2_CLIENT_ID": "app"}, "the client secret would go in clear"},
		{map[string]string{"NETDESK_IMAP_ADDR": "outlook.office365.com:993", "NETDESK_IMAP_USER": "desk@example.org",
			"NETDESK_MAIL_OAUTH2_TOKEN_URL": "https://login.example/token"}, "env NETDESK_MAIL_OAUTH2_CLIENT_ID: is required"},
		{map[string]string{"NETDESK_IMAP_ADDR": "outlook.office365.com:993", "NETDESK_IMAP_USER": "desk@example.org", "NETDESK_IMAP_PASSWORD": "pw",
			"NETDESK_MAIL_OAUTH2_TOKEN_URL": "https://login.example/token", "NETDESK_MAIL_OAUTH2_CLIENT_ID": "app"}, "is set but unused"},
	}
	for _, b := range bad {
		_, err := Load("", env(b.env))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("env %v: err = %v, want %q", b.env, err, b.want)
		}
	}
	// none is allowed on loopback; the token never shows in a problem line.
	c, err = Load("", env(map[string]string{"NETDESK_IMAP_ADDR": "127.0.0.1:1143", "NETDESK_IMAP_USER": "u", "NETDESK_IMAP_TLS": "none",
		"NETDESK_SMTP_ADDR": "localhost:2525", "NETDESK_SMTP_FROM": "desk@example.org"}))
	if err != nil {
		t.Fatalf("loopback none refused: %v", err)
	}
	if c.Env.SMTPTLS != "auto" {
		t.Errorf("SMTP TLS on loopback = %q, want auto", c.Env.SMTPTLS)
	}
	// OAuth2 for both, and IMAP by OAuth2 beside an SMTP relay with a password.
	c, err = Load("", env(map[string]string{"NETDESK_IMAP_ADDR": "outlook.office365.com:993", "NETDESK_IMAP_USER": "desk@example.org",
		"NETDESK_SMTP_ADDR": "smtp.office365.com:587", "NETDESK_SMTP_USER": "desk@example.org", "NETDESK_SMTP_FROM": "desk@example.org",
		"NETDESK_MAIL_OAUTH2_TOKEN_URL": "https://login.microsoftonline.com/tenant/oauth2/v2.0/token", "NETDESK_MAIL_OAUTH2_CLIENT_ID": "app",
		"NETDESK_MAIL_OAUTH2_CLIENT_SECRET": "s", "NETDESK_MAIL_OAUTH2_SCOPES": "https://outlook.office365.com/.default"}))
	if err != nil || !c.Env.IMAPOAuth2() || !c.Env.SMTPOAuth2() || len(c.Env.MailOAuth2.Scopes) != 1 {
		t.Errorf("OAuth2 for IMAP and SMTP: %v %+v", err, c.Env.MailOAuth2.Scopes)
	}
	c, err = Load("", env(map[string]string{"NETDESK_IMAP_ADDR": "imap.gmail.com:993", "NETDESK_IMAP_USER": "desk@example.org",
		"NETDESK_SMTP_ADDR": "relay.example.org:587", "NETDESK_SMTP_USER": "desk", "NETDESK_SMTP_PASSWORD": "pw", "NETDESK_SMTP_FROM": "desk@example.org",
		"NETDESK_MAIL_OAUTH2_TOKEN_URL": "https://oauth2.googleapis.com/token", "NETDESK_MAIL_OAUTH2_CLIENT_ID": "app",
		"NETDESK_MAIL_OAUTH2_REFRESH_TOKEN": "r"}))
	if err != nil || !c.Env.IMAPOAuth2() || c.Env.SMTPOAuth2() {
		t.Errorf("OAuth2 for IMAP, password for SMTP: %v", err)
	}
	_, err = Load("", env(map[string]string{"NETDESK_TELEGRAM_TOKEN": "123456:SECRET with space"}))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a token must never appear in a problem: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"24h": 24 * time.Hour, "7d": 168 * time.Hour, "90m": 90 * time.Minute, "2s": 2 * time.Second} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "d", "1.5d", "soon", "7 days"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}
