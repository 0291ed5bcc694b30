package inbox

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// TrimReply returns the new text of a reply: the earlier message it quotes
// and the sender's signature removed. It knows the common forms:
//
//   - lines starting with ">" (and an attribution line before them: "On …
//     wrote:", "Le … a écrit :", Arabic "… كتب:" and Gmail's "تمت كتابة ما
//     يلي بواسطة …:");
//   - Outlook's "-----Original Message-----" and its header block
//     ("From: … Sent: … To: … Subject: …", in English, French, German and
//     Arabic: "من: … تاريخ الإرسال: … إلى: … الموضوع:"), often after a line of underscores;
//   - the quote containers of HTML mail (marked by HTMLToText);
//   - a signature after a "-- " line, and "Sent from my …" lines.
//
// A bottom-posted reply (quote first, answer below) keeps the answer.
// It returns "" when there is nothing but quoted text.
func TrimReply(text string) string {
	lines := strings.Split(text, "\n")
	cut := len(lines)
	for i := range lines {
		if isCutLine(lines, i) {
			cut = i
			break
		}
	}
	kept := unquoted(lines[:cut])
	if !hasText(kept) {
		// Bottom-posting or inline answers: keep what is not quoted.
		kept = nil
		for i, l := range lines {
			if isQuoted(l) || l == quoteMark || isAttribution(lines, i) {
				continue
			}
			kept = append(kept, l)
		}
		// An Outlook-style block without ">" is all old text.
		for i := range kept {
			if isOutlookBlock(kept, i) || isOriginalMarker(clean(kept[i])) {
				kept = kept[:i]
				break
			}
		}
	}
	kept = trimSignature(kept)
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

func hasText(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" && l != quoteMark {
			return true
		}
	}
	return false
}

func unquoted(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !isQuoted(l) && l != quoteMark {
			out = append(out, l)
		}
	}
	return out
}

func isQuoted(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") }

// clean strips the bidi marks and spaces mail clients put around
// right-to-left text.
func clean(l string) string {
	l = strings.Map(func(r rune) rune {
		switch r {
		case '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '*':
			return -1
		}
		return r
	}, l)
	return strings.TrimSpace(l)
}

func isCutLine(lines []string, i int) bool {
	l := clean(lines[i])
	return lines[i] == quoteMark || isOriginalMarker(l) || isAttribution(lines, i) || isOutlookBlock(lines, i) ||
		(isUnderscores(l) && i+1 < len(lines) && isOutlookBlock(lines, i+1))
}

var originalMarker = regexp.MustCompile(`(?i)^-{2,}\s*(original message|original nachricht|message d'origine|mensaje original|الرسالة الأصلية|الرسالة الاصلية)\s*-{2,}$`)

func isOriginalMarker(l string) bool { return originalMarker.MatchString(l) }

func isUnderscores(l string) bool {
	return len(l) >= 10 && strings.Trim(l, "_") == ""
}

// Attribution lines, tested on a line joined with the next one or two
// (clients wrap long attributions).
var attribution = []*regexp.Regexp{
	regexp.MustCompile(`(?is)^on\b.{4,300}\bwrote\s*:$`),
	regexp.MustCompile(`(?is)^le\b.{4,300}\ba écrit\s*:$`),
	regexp.MustCompile(`(?is)^am\b.{4,300}\bschrieb.{0,100}:$`),
	regexp.MustCompile(`(?is)^el\b.{4,300}\bescribió\s*:$`),
	regexp.MustCompile(`(?s)^.{0,300}(كتب|كتبت|تمت كتابة ما يلي بواسطة).{0,200}:$`),
}

// isAttribution reports an "On … wrote:" line (possibly wrapped over up to
// three lines) that introduces a quote: it names an address, or a quoted
// line follows it.
func isAttribution(lines []string, i int) bool {
	l := clean(lines[i])
	if l == "" || utf8.RuneCountInString(l) > 400 {
		return false
	}
	joined := l
	for n := 0; n < 3 && i+n < len(lines); n++ {
		if n > 0 {
			next := clean(lines[i+n])
			if next == "" || isQuoted(lines[i+n]) {
				break
			}
			joined += " " + next
		}
		for _, re := range attribution {
			if re.MatchString(joined) && (strings.Contains(joined, "@") || quotedFollows(lines, i+n+1)) {
				return true
			}
		}
	}
	return false
}

func quotedFollows(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) == "" {
			continue
		}
		return isQuoted(lines[i])
	}
	return false
}

var (
	headerFrom = regexp.MustCompile(`(?i)^(from|de|von|من)\s*:\s*\S`)
	headerDate = regexp.MustCompile(`(?i)^(sent|date|envoyé|gesendet|enviado|تاريخ الإرسال|أرسل|ارسل|التاريخ|الإرسال)\s*:`)
	headerTo   = regexp.MustCompile(`(?i)^(to|subject|à|an|betreff|objet|para|asunto|إلى|الى|الموضوع)\s*:`)
)

// isOutlookBlock reports the header block Outlook writes above the
// message it quotes: From, then Sent/Date and To/Subject within 5 lines.
func isOutlookBlock(lines []string, i int) bool {
	if !headerFrom.MatchString(clean(lines[i])) {
		return false
	}
	date, to := false, false
	for j := i + 1; j < len(lines) && j <= i+5; j++ {
		l := clean(lines[j])
		date = date || headerDate.MatchString(l)
		to = to || headerTo.MatchString(l)
	}
	return date && to
}

var mobileSignoff = regexp.MustCompile(`(?i)^(sent from my |sent from mail for |get outlook for |sent via |أرسلت من |أُرسلت من |تم الإرسال من )`)

// trimSignature drops a "-- " signature (when short, as signatures are)
// and trailing "Sent from my …" lines.
func trimSignature(lines []string) []string {
	for i, l := range lines {
		if l == "-- " || (l == "--" && len(lines)-i <= 12) {
			lines = lines[:i]
			break
		}
	}
	for len(lines) > 0 {
		l := clean(lines[len(lines)-1])
		if l == "" || mobileSignoff.MatchString(l) {
			lines = lines[:len(lines)-1]
			continue
		}
		break
	}
	return lines
}

// isForward reports a forwarded message, whose quoted part is the point.
func isForward(subject string) bool {
	s := strings.ToLower(strings.TrimSpace(subject))
	for _, p := range []string{"fw:", "fwd:", "fw :", "tr:", "wg:", "rv:", "enc:", "إعادة توجيه", "اعادة توجيه", "توجيه:", "ِfw"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
