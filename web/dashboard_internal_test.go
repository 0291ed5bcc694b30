package web

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

func TestVerifyPassword(t *testing.T) {
	bc, _ := bcrypt.GenerateFromPassword([]byte("s3cret pass"), bcrypt.MinCost)
	argon := argonParams{memory: 1024, time: 1, threads: 1, salt: []byte("0123456789abcdef")}
	argon.key = mustArgon("s3cret pass", argon)
	cases := []struct {
		name, hash, password string
		want                 bool
	}{
		{"bcrypt right", string(bc), "s3cret pass", true},
		{"bcrypt wrong", string(bc), "s3cret pas", false},
		{"argon2id right", argon.String(), "s3cret pass", true},
		{"argon2id wrong", argon.String(), "S3cret pass", false},
		{"argon2id padded base64", strings.ReplaceAll(argon.String(), "$"+b64(argon.key), "$"+b64(argon.key)+"="), "s3cret pass", true},
		{"empty hash", "", "", false},
		{"plain text in config", "s3cret pass", "s3cret pass", false},
		{"argon2i", strings.Replace(argon.String(), "argon2id", "argon2i", 1), "s3cret pass", false},
		{"wrong version", strings.Replace(argon.String(), "v=19", "v=16", 1), "s3cret pass", false},
		{"huge memory", strings.Replace(argon.String(), "m=1024", "m=99999999", 1), "s3cret pass", false},
		{"zero time", strings.Replace(argon.String(), "t=1", "t=0", 1), "s3cret pass", false},
		{"missing part", argon.String()[:strings.LastIndexByte(argon.String(), '$')], "s3cret pass", false},
		{"bad base64", strings.Replace(argon.String(), "$"+b64(argon.key), "$!!!", 1), "s3cret pass", false},
	}
	for _, c := range cases {
		if got := verifyPassword(c.hash, c.password); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if checkPasswordHash(argon.String()) != nil || checkPasswordHash(string(bc)) != nil || checkPasswordHash("nope") == nil {
		t.Error("checkPasswordHash")
	}
}

func mustArgon(pw string, p argonParams) []byte {
	return argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, 32)
}

func b64(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

func TestHashPasswordFormats(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseArgon2id(h)
	if err != nil || p.memory != argonMemory || p.time != argonTime || p.threads != argonThreads || len(p.salt) != 16 || len(p.key) != 32 {
		t.Fatalf("%q: %+v %v", h, p, err)
	}
	h2, _ := HashPassword("correct horse battery staple")
	if h == h2 {
		t.Error("two hashes of one password share a salt")
	}
	if !verifyPassword(h, "correct horse battery staple") || verifyPassword(h, "correct horse battery stapler") {
		t.Error("HashPassword does not verify")
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("empty password hashed")
	}
	if _, err := HashPassword(strings.Repeat("x", maxPasswordBytes+1)); err == nil {
		t.Error("overlong password hashed")
	}
	b, err := HashPasswordBcrypt("correct horse")
	if err != nil || !strings.HasPrefix(b, "$2a$12$") || !verifyPassword(b, "correct horse") {
		t.Errorf("bcrypt %q %v", b, err)
	}
}

// The decoy has the cost of the configured hashes and matches nothing.
func TestDecoy(t *testing.T) {
	argon := argonParams{memory: 2048, time: 2, threads: 1, salt: []byte("0123456789abcdef"), key: make([]byte, 24)}
	d := &decoy{like: argon.String()}
	p, err := parseArgon2id(d.get())
	if err != nil || p.memory != 2048 || p.time != 2 || len(p.key) != 24 || string(p.salt) == string(argon.salt) {
		t.Errorf("argon decoy %q %v", d.get(), err)
	}
	bc, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	d = &decoy{like: string(bc)}
	if cost, err := bcrypt.Cost([]byte(d.get())); err != nil || cost != bcrypt.MinCost || verifyPassword(d.get(), "") {
		t.Errorf("bcrypt decoy %q", d.get())
	}
	if _, err := parseArgon2id((&decoy{}).get()); err != nil {
		t.Errorf("default decoy: %v", err)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/queue?status=open":            "/queue?status=open",
		"/inquiries/NM-4K7Q2X":          "/inquiries/NM-4K7Q2X",
		"":                              "/queue",
		"queue":                         "/queue",
		"//evil.example":                "/queue",
		"/\\evil.example":               "/queue",
		"https://evil.example/":         "/queue",
		"/x\r\nSet-Cookie: a=b":         "/queue",
		"/login?next=/queue":            "/queue",
		"javascript:alert(1)":           "/queue",
		"/" + strings.Repeat("a", 2000): "/queue",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidToken(t *testing.T) {
	if !validToken(randomToken()) || validToken("") || validToken(strings.Repeat("a", 42)) || validToken(strings.Repeat("=", 43)) {
		t.Error("validToken")
	}
}

// Every interface string exists in every interface language, and the
// format verbs agree.
func TestTranslationsComplete(t *testing.T) {
	for _, lang := range uiLanguages {
		for key, en := range uiText["en"] {
			s, ok := uiText[lang][key]
			if !ok && en != "" {
				t.Errorf("%s lacks %q", lang, key)
				continue
			}
			if strings.Count(s, "%") != strings.Count(en, "%") {
				t.Errorf("%s %q: format verbs differ from English", lang, key)
			}
		}
		for key := range uiText[lang] {
			if _, ok := uiText["en"][key]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, key)
			}
		}
	}
	if !slices.Contains(uiLanguages, "ar") || !rtl["ar"] {
		t.Error("Arabic is not a right-to-left interface language")
	}
}

func TestDuration(t *testing.T) {
	d := &Dashboard{}
	en, ar := &page{Lang: "en"}, &page{Lang: "ar"}
	for dur, want := range map[time.Duration]string{
		30 * time.Second:              "< 1 min",
		42 * time.Minute:              "42 min",
		90 * time.Minute:              "1 h 30 min",
		26 * time.Hour:                "26 h",
		52 * time.Hour:                "2 d 4 h",
		15 * 24 * time.Hour:           "15 d",
		15*24*time.Hour + 5*time.Hour: "15 d",
	} {
		if got := d.duration(en, dur); got != want {
			t.Errorf("%s: %q, want %q", dur, got, want)
		}
	}
	if got := d.duration(ar, 42*time.Minute); got != "42 دقيقة" {
		t.Errorf("Arabic: %q", got)
	}
}
