package inbox

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Threading limits: a References header grows with every reply, and a
// hostile one can be made of thousands of ids.
const (
	// maxMessageIDLen bounds one Message-ID (RFC 5322 has no limit; real
	// ones are under 100 characters, 250 leaves room for odd generators).
	maxMessageIDLen = 250
	// maxThreadIDs is how many ids of a thread are kept, the newest.
	maxThreadIDs = 20
	// maxIDsParsed stops reading a header after this many ids.
	maxIDsParsed = 200
)

// ParseMessageIDs reads the Message-IDs in a Message-ID, In-Reply-To or
// References header value, in order, without duplicates, each written as
// "<left@right>". It accepts what mail software writes in practice: ids
// with or without angle brackets, separated by spaces, commas or folds,
// comments in parentheses, and ignores what cannot be an id (phrases that
// some clients put in In-Reply-To, empty brackets, control characters).
func ParseMessageIDs(v string) []string {
	if len(v) > 64<<10 {
		v = v[:64<<10]
	}
	var out []string
	seen := map[string]bool{}
	add := func(id string) bool {
		id, ok := cleanID(id)
		if ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
		return len(out) < maxIDsParsed
	}
	v = stripComments(v)
	if strings.ContainsRune(v, '<') {
		// Bracketed ids: take what is between each < and the next >.
		rest := v
		for {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			j := strings.IndexAny(rest, "<>")
			if j < 0 {
				add(rest)
				break
			}
			if rest[j] == '<' { // "<<id>" or an unclosed bracket: start again
				if strings.ContainsRune(rest[:j], '@') && !add(rest[:j]) {
					break
				}
				continue
			}
			if !add(rest[:j]) {
				break
			}
			rest = rest[j+1:]
		}
		return out
	}
	// No brackets: whitespace- or comma-separated tokens that look like ids.
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' }) {
		if strings.ContainsRune(tok, '@') && !add(tok) {
			break
		}
	}
	return out
}

// cleanID returns id as "<id>" when it can be a Message-ID.
func cleanID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	id = strings.Trim(id, "<>\"'")
	// Folding inside an id happens (long ids wrapped by old software).
	if strings.ContainsAny(id, " \t\r\n") {
		id = strings.Join(strings.Fields(id), "")
	}
	if id == "" || len(id) > maxMessageIDLen || !utf8.ValidString(id) {
		return "", false
	}
	at := strings.IndexByte(id, '@')
	if at <= 0 || at == len(id)-1 {
		return "", false
	}
	for _, r := range id {
		if r < 0x21 || r == 0x7f || r == '<' || r == '>' || r == '(' || r == ')' || r == ',' || r == ';' || r == '\\' || r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", false
		}
	}
	return "<" + id + ">", true
}

// stripComments removes RFC 5322 comments "(...)", nested, outside brackets.
func stripComments(v string) string {
	if !strings.ContainsRune(v, '(') {
		return v
	}
	var b strings.Builder
	depth, inID := 0, false
	for _, r := range v {
		switch {
		case r == '<' && depth == 0:
			inID = true
		case r == '>' && depth == 0:
			inID = false
		case r == '(' && !inID:
			depth++
			continue
		case r == ')' && !inID && depth > 0:
			depth--
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Thread returns the ids a message answers, oldest first: its References,
// then its In-Reply-To if References lacks it, the newest maxThreadIDs.
// The desk looks each up to find the inquiry a reply belongs to.
func Thread(inReplyTo, references []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range references {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range inReplyTo {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > maxThreadIDs {
		out = out[len(out)-maxThreadIDs:]
	}
	return out
}
