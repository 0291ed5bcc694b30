package inquiry

import (
	"crypto/rand"
	"io"
	"regexp"
	"strings"
)

// Reference is what people quote: "NM-" and six Crockford base32 characters.
type Reference string

// crockford is Crockford's base32 alphabet: no I, L, O or U, so a reference
// read aloud or copied by hand is hard to get wrong.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReferencePrefix starts every reference the desk hands out.
const ReferencePrefix = "NM-"

var referencePattern = regexp.MustCompile(`^[A-Z]+-[0-9A-Z]{4,}$`)

// NewReference returns a random reference read from r (crypto/rand when nil).
// Uniqueness is enforced where references are stored; 32^6 ≈ 1e9 values make
// a retry rare.
func NewReference(r io.Reader) Reference {
	if r == nil {
		r = rand.Reader
	}
	var b [6]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		panic("inquiry: random source failed: " + err.Error())
	}
	out := make([]byte, 0, len(ReferencePrefix)+6)
	out = append(out, ReferencePrefix...)
	for _, c := range b {
		out = append(out, crockford[int(c)%32])
	}
	return Reference(out)
}

// ParseReference accepts what a person or staff member typed: any case,
// surrounding brackets or spaces, and the letters Crockford maps (O→0, I/L→1).
func ParseReference(s string) (Reference, bool) {
	s = strings.ToUpper(strings.Trim(strings.TrimSpace(s), "[]()#"))
	i := strings.IndexByte(s, '-')
	if i < 0 {
		return "", false
	}
	body := strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(s[i+1:])
	s = s[:i+1] + body
	if len(s) > 32 || !referencePattern.MatchString(s) {
		return "", false
	}
	return Reference(s), true
}

// referenceInText finds a reference like [NM-4K7Q2X] or NM-4K7Q2X in free text.
var referenceInText = regexp.MustCompile(`(?i)\b` + strings.TrimSuffix(ReferencePrefix, "-") + `-[0-9A-Z]{6}\b`)

// FindReference returns the first desk reference quoted in text.
func FindReference(text string) (Reference, bool) {
	m := referenceInText.FindString(text)
	if m == "" {
		return "", false
	}
	return ParseReference(m)
}
