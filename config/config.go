// Package config loads and validates the network file (YAML) and the
// environment, and ships the default network of the UN Network on Migration
// in Iraq, embedded in the binary.
package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Config is everything netdesk needs to run one network's desk.
type Config struct {
	Network   Network                      `yaml:"network"`
	Agencies  []Agency                     `yaml:"agencies"`
	Topics    []Topic                      `yaml:"topics"`
	Staff     []Staff                      `yaml:"staff"`
	Followups Followups                    `yaml:"followups"`
	Templates map[string]map[string]string `yaml:"templates"`
	Limits    Limits                       `yaml:"limits"`

	// Source names where the network came from: a file path or "built-in".
	Source string `yaml:"-"`
	Env    Env    `yaml:"-"`
}

// Network describes the network as a whole.
type Network struct {
	Name          string            `yaml:"name"`
	Timezone      string            `yaml:"timezone"`
	Secretariat   string            `yaml:"secretariat"`
	Languages     []string          `yaml:"languages"`
	SafetyMessage map[string]string `yaml:"safety_message"`
	// DashboardURL is the public address of the dashboard, used in links
	// sent to staff by email. Empty: links are left out.
	DashboardURL string `yaml:"dashboard_url"`
}

// Agency is a member of the network.
type Agency struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	TelegramChat int64  `yaml:"telegram_chat"`
	Email        string `yaml:"email"`
}

// Topic is one routing rule.
type Topic struct {
	ID        string              `yaml:"id"`
	Lead      string              `yaml:"lead"`
	Support   []string            `yaml:"support"`
	Sensitive bool                `yaml:"sensitive"`
	Keywords  map[string][]string `yaml:"keywords"`
}

// Roles of staff members.
const (
	RoleAgent       = "agent"
	RoleCoordinator = "coordinator"
	RoleAdmin       = "admin"
)

// Staff is a person who answers inquiries for an agency.
type Staff struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Agency       string `yaml:"agency"`
	Role         string `yaml:"role"`
	TelegramUser int64  `yaml:"telegram_user"`
	Email        string `yaml:"email"`
	TokenSHA256  string `yaml:"token_sha256"`
	PasswordHash string `yaml:"password_hash"`
}

// SeesAll reports whether the staff member may see every agency's inquiries.
func (s Staff) SeesAll() bool { return s.Role == RoleCoordinator || s.Role == RoleAdmin }

// Followups holds the cron specs and delays of SPEC §9.
type Followups struct {
	Tick           string   `yaml:"tick"`
	FirstResponse  Duration `yaml:"first_response"`
	EscalateAfter  Duration `yaml:"escalate_after"`
	CheckInAfter   Duration `yaml:"check_in_after"`
	AutoCloseAfter Duration `yaml:"auto_close_after"`
	ReopenWindow   Duration `yaml:"reopen_window"`
	Digest         string   `yaml:"digest"`
	Retention      Duration `yaml:"retention"`
}

// Limits protect the desk and the people it talks to. 0 turns a limit off.
type Limits struct {
	IntakePerMinute   int   `yaml:"intake_per_minute"`
	TelegramPerMinute int   `yaml:"telegram_per_minute"`
	MaxTextChars      int   `yaml:"max_text_chars"`
	MaxEmailBytes     int64 `yaml:"max_email_bytes"`
	// Telegram's sending limits (SPEC §7); lower them for a slower bot.
	SendPrivatePerSecond float64 `yaml:"send_private_per_second"`
	SendGroupPerMinute   float64 `yaml:"send_group_per_minute"`
	SendPerSecond        float64 `yaml:"send_per_second"`
}

// Duration is a time.Duration written as "24h", "90m" or "7d" in YAML.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration accepts Go durations and a whole number of days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (like 24h, 90m or 7d)", s)
	}
	return d, nil
}

// Agency returns the agency with id.
func (c *Config) Agency(id string) (Agency, bool) {
	i := slices.IndexFunc(c.Agencies, func(a Agency) bool { return a.ID == id })
	if i < 0 {
		return Agency{}, false
	}
	return c.Agencies[i], true
}

// Topic returns the topic with id.
func (c *Config) Topic(id string) (Topic, bool) {
	i := slices.IndexFunc(c.Topics, func(t Topic) bool { return t.ID == id })
	if i < 0 {
		return Topic{}, false
	}
	return c.Topics[i], true
}

// AgencyByChat returns the agency whose staff group is chat.
func (c *Config) AgencyByChat(chat int64) (Agency, bool) {
	i := slices.IndexFunc(c.Agencies, func(a Agency) bool { return a.TelegramChat != 0 && a.TelegramChat == chat })
	if i < 0 {
		return Agency{}, false
	}
	return c.Agencies[i], true
}

// StaffByTelegram returns the staff member with that Telegram user id.
func (c *Config) StaffByTelegram(user int64) (Staff, bool) {
	i := slices.IndexFunc(c.Staff, func(s Staff) bool { return s.TelegramUser != 0 && s.TelegramUser == user })
	if i < 0 {
		return Staff{}, false
	}
	return c.Staff[i], true
}

// StaffByEmail returns the staff member with that email address.
func (c *Config) StaffByEmail(addr string) (Staff, bool) {
	i := slices.IndexFunc(c.Staff, func(s Staff) bool { return s.Email != "" && strings.EqualFold(s.Email, addr) })
	if i < 0 {
		return Staff{}, false
	}
	return c.Staff[i], true
}

// StaffByID returns the staff member with id.
func (c *Config) StaffByID(id string) (Staff, bool) {
	i := slices.IndexFunc(c.Staff, func(s Staff) bool { return s.ID == id })
	if i < 0 {
		return Staff{}, false
	}
	return c.Staff[i], true
}

// Text returns template name in lang with {placeholders} filled from vars.
// A language the template lacks falls back to English.
func (c *Config) Text(name, lang string, vars map[string]string) string {
	t := c.Templates[name]
	s, ok := t[lang]
	if !ok || s == "" {
		s = t["en"]
	}
	if name == "safety" && s == "" {
		s = c.SafetyMessage(lang)
	}
	return Fill(s, vars)
}

// Fill replaces the {name} placeholders of a text with vars.
func Fill(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// SafetyMessage returns the network's safety message in lang.
func (c *Config) SafetyMessage(lang string) string {
	if s := c.Network.SafetyMessage[lang]; s != "" {
		return s
	}
	return c.Network.SafetyMessage["en"]
}

// Location returns the network's time zone (UTC if it cannot be loaded).
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Network.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}
