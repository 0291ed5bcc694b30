package config

import (
	"encoding/hex"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML reads "24h", "90m" or "7d".
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	v, err := ParseDuration(node.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", node.Line, err)
	}
	if v < 0 {
		return fmt.Errorf("line %d: %q must not be negative", node.Line, node.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back as Go writes it.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// CronParser parses the followups' cron specs: five fields, an optional
// leading seconds field (so tests can run fast), and descriptors (@every 1m).
var CronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// validate checks the whole network. root is the parsed file, for lines.
func (c *Config) validate(name string, root *yaml.Node) Problems {
	var probs Problems
	at := func(line int, format string, args ...any) {
		probs = append(probs, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
	}
	line := func(path ...any) int { return lineOf(root, path...) }

	// network
	if strings.TrimSpace(c.Network.Name) == "" {
		at(line("network", "name"), "network.name is empty")
	}
	if _, err := time.LoadLocation(c.Network.Timezone); err != nil || c.Network.Timezone == "" {
		at(line("network", "timezone"), "network.timezone %q is not a known time zone (like Asia/Baghdad)", c.Network.Timezone)
	}
	if len(c.Network.Languages) == 0 {
		at(line("network", "languages"), "network.languages is empty")
	}
	for _, l := range c.Network.Languages {
		if !slices.Contains(KnownLanguages, l) {
			at(line("network", "languages"), "network.languages: %q is not one of %s", l, strings.Join(KnownLanguages, ", "))
		}
	}
	if c.Network.SafetyMessage["en"] == "" {
		at(line("network", "safety_message"), "network.safety_message needs at least an en text")
	}

	// agencies
	agencies := map[string]bool{}
	chats := map[int64]string{}
	for i, a := range c.Agencies {
		switch {
		case !validID(a.ID):
			at(line("agencies", i, "id"), "agency id %q must be letters, digits, _ or - (1-32)", a.ID)
		case agencies[a.ID]:
			at(line("agencies", i, "id"), "agency %s is listed twice", a.ID)
		}
		agencies[a.ID] = true
		if a.TelegramChat != 0 {
			if other, dup := chats[a.TelegramChat]; dup {
				at(line("agencies", i, "telegram_chat"), "agency %s has the same telegram_chat as %s", a.ID, other)
			}
			chats[a.TelegramChat] = a.ID
		}
		if a.Email != "" {
			if _, err := mail.ParseAddress(a.Email); err != nil {
				at(line("agencies", i, "email"), "agency %s: email %q is not an address", a.ID, a.Email)
			}
		}
	}
	if len(c.Agencies) == 0 {
		at(line("agencies"), "no agencies")
	}
	if !agencies[c.Network.Secretariat] {
		at(line("network", "secretariat"), "network.secretariat %q is not one of the agencies", c.Network.Secretariat)
	}

	// topics
	topics := map[string]bool{}
	for i, t := range c.Topics {
		switch {
		case !validID(t.ID):
			at(line("topics", i, "id"), "topic id %q must be letters, digits, _ or - (1-32)", t.ID)
		case topics[t.ID]:
			at(line("topics", i, "id"), "topic %s is listed twice", t.ID)
		}
		topics[t.ID] = true
		if !agencies[t.Lead] {
			at(line("topics", i, "lead"), "topic %s: lead %q is not one of the agencies", t.ID, t.Lead)
		}
		for _, s := range t.Support {
			if !agencies[s] {
				at(line("topics", i, "support"), "topic %s: supporting agency %q is not one of the agencies", t.ID, s)
			}
		}
		for lang := range t.Keywords {
			if !slices.Contains(KnownLanguages, lang) {
				at(line("topics", i, "keywords"), "topic %s: keywords for unknown language %q", t.ID, lang)
			}
		}
	}
	if !topics["other"] {
		at(line("topics"), "there is no topic \"other\" for messages no topic matches")
	}

	// staff
	staff := map[string]bool{}
	tokens := map[string]string{}
	for i, s := range c.Staff {
		switch {
		case !validID(s.ID):
			at(line("staff", i, "id"), "staff id %q must be letters, digits, _ or - (1-32)", s.ID)
		case staff[s.ID]:
			at(line("staff", i, "id"), "staff %s is listed twice", s.ID)
		}
		staff[s.ID] = true
		if !agencies[s.Agency] {
			at(line("staff", i, "agency"), "staff %s: agency %q is not one of the agencies", s.ID, s.Agency)
		}
		if s.Role != RoleAgent && s.Role != RoleCoordinator && s.Role != RoleAdmin {
			at(line("staff", i, "role"), "staff %s: role %q must be agent, coordinator or admin", s.ID, s.Role)
		}
		if s.TokenSHA256 != "" {
			if b, err := hex.DecodeString(s.TokenSHA256); err != nil || len(b) != 32 {
				at(line("staff", i, "token_sha256"), "staff %s: token_sha256 must be 64 hex digits (sha256sum of the token)", s.ID)
			} else if other, dup := tokens[strings.ToLower(s.TokenSHA256)]; dup {
				at(line("staff", i, "token_sha256"), "staff %s has the same token as %s", s.ID, other)
			}
			tokens[strings.ToLower(s.TokenSHA256)] = s.ID
		}
		if s.PasswordHash != "" && !strings.HasPrefix(s.PasswordHash, "$argon2id$") && !slices.ContainsFunc([]string{"$2a$", "$2b$", "$2y$"}, func(p string) bool { return strings.HasPrefix(s.PasswordHash, p) }) {
			at(line("staff", i, "password_hash"), "staff %s: password_hash must be an argon2id ($argon2id$...) or bcrypt ($2b$...) hash", s.ID)
		}
		if s.Email != "" {
			if _, err := mail.ParseAddress(s.Email); err != nil {
				at(line("staff", i, "email"), "staff %s: email %q is not an address", s.ID, s.Email)
			}
		}
	}

	// followups
	f := c.Followups
	for _, spec := range []struct{ key, val string }{{"tick", f.Tick}, {"digest", f.Digest}} {
		if spec.val == "" {
			at(line("followups", spec.key), "followups.%s is empty", spec.key)
		} else if _, err := CronParser.Parse(spec.val); err != nil {
			at(line("followups", spec.key), "followups.%s %q is not a cron spec: %v", spec.key, spec.val, err)
		}
	}
	for _, d := range []struct {
		key string
		val Duration
	}{{"first_response", f.FirstResponse}, {"escalate_after", f.EscalateAfter}, {"check_in_after", f.CheckInAfter}, {"auto_close_after", f.AutoCloseAfter}, {"reopen_window", f.ReopenWindow}, {"retention", f.Retention}} {
		if d.val <= 0 {
			at(line("followups", d.key), "followups.%s must be a positive duration", d.key)
		}
	}
	if f.EscalateAfter > 0 && f.FirstResponse > 0 && f.EscalateAfter < f.FirstResponse {
		at(line("followups", "escalate_after"), "followups.escalate_after (%s) is before first_response (%s)", f.EscalateAfter.D(), f.FirstResponse.D())
	}

	// templates
	for _, t := range RequiredTemplates {
		if c.Templates[t]["en"] == "" {
			at(line("templates"), "templates.%s needs at least an en text", t)
		}
	}
	for tname, langs := range c.Templates {
		for lang := range langs {
			if !slices.Contains(KnownLanguages, lang) {
				at(line("templates", tname), "templates.%s: unknown language %q", tname, lang)
			}
		}
	}

	// limits
	l := c.Limits
	for _, n := range []struct {
		key string
		val float64
	}{{"intake_per_minute", float64(l.IntakePerMinute)}, {"telegram_per_minute", float64(l.TelegramPerMinute)}, {"max_text_chars", float64(l.MaxTextChars)}, {"max_email_bytes", float64(l.MaxEmailBytes)}, {"send_private_per_second", l.SendPrivatePerSecond}, {"send_group_per_minute", l.SendGroupPerMinute}, {"send_per_second", l.SendPerSecond}} {
		if n.val < 0 {
			at(line("limits", n.key), "limits.%s must not be negative", n.key)
		}
	}
	if l.MaxTextChars == 0 {
		at(line("limits", "max_text_chars"), "limits.max_text_chars must be set (a message needs a size cap)")
	}
	return probs
}

// KnownLanguages are the languages netdesk has texts and routing for:
// English, Arabic, Kurdish Sorani and Kurdish Kurmanji (Badini).
var KnownLanguages = []string{"en", "ar", "ckb", "kmr"}

// RequiredTemplates are the texts the desk sends; each needs an en version.
var RequiredTemplates = []string{"ack", "start", "status", "status_none", "new", "forget_confirm", "forgotten", "slow_down", "reply", "check_in", "reopened", "thanks_closed", "auto_close", "reminder", "escalation", "digest"}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// lineOf finds the line of a path in the YAML tree: map keys are strings,
// list indexes ints. It returns the deepest line it could reach (1 at least).
func lineOf(n *yaml.Node, path ...any) int {
	best := 1
	if n == nil {
		return best
	}
	if n.Line > 0 {
		best = n.Line
	}
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return best
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					best = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return best
			}
			next = n.Content[k]
			best = next.Line
		}
		if next == nil {
			return best
		}
		n = next
	}
	return best
}
