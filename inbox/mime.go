package inbox

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Limits bound the work one message can cause (SPEC §10: MIME bombs).
type Limits struct {
	// MaxBytes is the largest message read whole; a larger one is read up
	// to MaxBytes and flagged.
	MaxBytes int64
	// MaxParts is how many MIME parts are looked at.
	MaxParts int
	// MaxDepth is how deep multiparts may nest.
	MaxDepth int
	// MaxTextChars bounds the stored text (config limits.max_text_chars).
	MaxTextChars int
}

// defaultLimits are used for any zero field of Limits.
var defaultLimits = Limits{MaxBytes: 25 << 20, MaxParts: 100, MaxDepth: 10, MaxTextChars: 20000}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = defaultLimits.MaxBytes
	}
	if l.MaxParts <= 0 {
		l.MaxParts = defaultLimits.MaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = defaultLimits.MaxDepth
	}
	if l.MaxTextChars <= 0 {
		l.MaxTextChars = defaultLimits.MaxTextChars
	}
	return l
}

// Kind says what a message is, which decides where it goes.
type Kind string

const (
	// Person is a message somebody wrote: it becomes or joins an inquiry
	// (possibly with NoAck: lists, bulk mail, auto-generated notices).
	Person Kind = "person"
	// AutoReply is an out-of-office or vacation answer, or a read receipt:
	// it never opens an inquiry; it is noted on the inquiry it answers.
	AutoReply Kind = "auto_reply"
	// Bounce is a delivery failure report: it never opens an inquiry; it is
	// recorded against the inquiry whose mail bounced.
	Bounce Kind = "bounce"
)

// Mail is a normalized email message. Normalize never fails: what cannot
// be read is reported in Problems and the message is Flagged.
type Mail struct {
	// From is the lower-case bare address of the sender ("" if unreadable).
	From string
	// FromStrict is set when From was read from a well-formed header with
	// one address. A loosely read sender ("sam@iom.example <mallory@evil>",
	// a broken header) may open an inquiry but never speaks as staff nor
	// joins an existing inquiry.
	FromStrict bool
	// Name is the sender's display name.
	Name string
	// ReplyTo is recorded but not used as the contact (see the README, "Email").
	ReplyTo   string
	Subject   string
	Date      time.Time // zero when missing or unreadable
	MessageID string    // "<id>", "" when missing
	InReplyTo []string
	// References are the ids of the References header, oldest first.
	References []string
	// Text is the new text: the body without quoted earlier messages and
	// signature; "" when the message is only a quote.
	Text string
	// Body is the whole readable body (text/plain preferred, HTML as text).
	Body        string
	Attachments []inquiry.Attachment
	Kind        Kind
	// NoAck suppresses the acknowledgement; NoAckReason says why.
	NoAck       bool
	NoAckReason string
	// Report holds what a delivery report says, for Kind Bounce.
	Report *Report
	// Original holds the headers of the message a bounce returns, when
	// the report includes them.
	Original *Original
	// Flagged marks a message staff must look at: it could not be read
	// fully (malformed, too large, too many parts) and is kept as best-effort text.
	Flagged  bool
	Problems []string
	// Size is the size of the raw message; Hash its SHA-256 (hex).
	Size int
	Hash string
}

// Report is what a delivery status notification says (RFC 3464).
type Report struct {
	Action string // failed, delayed, delivered, relayed, expanded
	Status string // e.g. 5.1.1
}

// Original is the returned message's threading headers.
type Original struct {
	MessageID string
	Subject   string
	Thread    []string
}

// Thread returns the ids this message answers (see Thread).
func (m *Mail) Thread() []string { return Thread(m.InReplyTo, m.References) }

// Key is the message's idempotency key: "mail:<Message-ID>|<sender>", or
// for mail without a Message-ID a hash of the raw message.
func (m *Mail) Key() string {
	id := strings.Trim(m.MessageID, "<>")
	if id == "" {
		id = "sha256:" + m.Hash
	}
	return "mail:" + id + "|" + m.From
}

func (m *Mail) problem(format string, args ...any) {
	if len(m.Problems) < 20 {
		m.Problems = append(m.Problems, fmt.Sprintf(format, args...))
	}
	m.Flagged = true
}

// Normalize reads a raw RFC 5322 message. It is a pure function: the same
// bytes give the same Mail.
func Normalize(raw []byte, lim Limits) *Mail {
	lim = lim.withDefaults()
	sum := sha256.Sum256(raw)
	m := &Mail{Size: len(raw), Hash: hex.EncodeToString(sum[:]), Kind: Person}
	if int64(len(raw)) > lim.MaxBytes {
		m.problem("message of %d bytes is over the %d-byte limit; only the start was read", len(raw), lim.MaxBytes)
		raw = raw[:lim.MaxBytes]
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		m.problem("the message is empty")
		return m
	}
	raw = skipMboxLine(raw)
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		m.problem("header: %s", errSummary(err))
		rawFallback(m, raw, lim)
		return m
	}
	readHeaders(m, h)
	w := &walker{m: m, lim: lim}
	w.entity(h, br, 0, "")
	body := w.plain.String()
	if strings.TrimSpace(body) == "" {
		body = w.html.String()
	}
	body = limitText(m, cleanText(body), lim.MaxTextChars)
	m.Text = body
	if !isForward(m.Subject) {
		m.Text = TrimReply(body)
	}
	m.Text, m.Body = unmark(m.Text), unmark(body)
	classify(m, h, w)
	return m
}

// skipMboxLine drops an mbox "From " separator line some exporters leave.
func skipMboxLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// errSummary describes a parse error without quoting the message.
func errSummary(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "malformed MIME header"):
		return "malformed header line"
	case strings.Contains(s, "unexpected line"), strings.Contains(s, "expecting a new Part"):
		return "unexpected line between parts"
	}
	if i := strings.IndexAny(s, "\"'"); i > 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.ToValidUTF8(s, "?")
}

// rawFallback keeps an unreadable message as raw text: the header fields
// that can be found line by line, and the rest as text.
func rawFallback(m *Mail, raw []byte, lim Limits) {
	fields := map[string]string{}
	rest := raw
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		line := rest
		if i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		l := strings.TrimRight(string(line), "\r")
		if l == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.ContainsAny(k, " \t") {
			k = strings.ToLower(k)
			if _, dup := fields[k]; !dup {
				fields[k] = strings.TrimSpace(v)
			}
		}
	}
	h := textproto.Header{}
	for _, k := range []string{"from", "subject", "message-id", "in-reply-to", "references", "date", "auto-submitted", "precedence", "list-id", "return-path"} {
		if v, ok := fields[k]; ok {
			h.Add(k, v)
		}
	}
	readHeaders(m, h)
	text := decodeBytes(rest, "")
	m.Body = limitText(m, cleanText(text), min(lim.MaxTextChars, 10000))
	m.Text = m.Body
	if strings.TrimSpace(m.Body) == "" {
		m.Body = limitText(m, cleanText(decodeBytes(raw, "")), min(lim.MaxTextChars, 10000))
		m.Text = m.Body
	}
	classify(m, h, &walker{m: m})
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// headerText decodes a header value: encoded words, raw 8-bit text, folds.
func headerText(v string) string {
	if !utf8.ValidString(v) {
		v = decodeBytes([]byte(v), "")
	}
	if strings.Contains(v, "=?") {
		if d, err := wordDecoder.DecodeHeader(v); err == nil {
			v = d
		}
	}
	v = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			return ' '
		case r == 0 || (r < 0x20) || r == 0x7f:
			return -1
		}
		return r
	}, strings.ToValidUTF8(v, "\uFFFD"))
	return strings.Join(strings.Fields(v), " ")
}

func readHeaders(m *Mail, h textproto.Header) {
	m.Subject = truncateRunes(headerText(h.Get("Subject")), 998)
	from := h.Get("From")
	if strings.TrimSpace(from) == "" {
		from = h.Get("Sender")
	}
	m.From, m.Name, m.FromStrict = parseAddress(from)
	m.ReplyTo, _, _ = parseAddress(h.Get("Reply-To"))
	if ids := ParseMessageIDs(h.Get("Message-Id")); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = ParseMessageIDs(h.Get("In-Reply-To"))
	if len(m.InReplyTo) > maxThreadIDs {
		m.InReplyTo = m.InReplyTo[:maxThreadIDs]
	}
	m.References = ParseMessageIDs(h.Get("References"))
	if d := h.Get("Date"); d != "" {
		if t, err := mail.ParseDate(headerText(d)); err == nil {
			m.Date = t
		}
	}
}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

// looseAddress finds something shaped like an address in a broken header.
var looseAddress = regexp.MustCompile(`[^\s<>"'(),;:\[\]]+@[^\s<>"'(),;:\[\]]+`)

// parseAddress returns the lower-case bare address and display name of
// the first address in v, and whether v was a well-formed header with just
// that one address (strict).
func parseAddress(v string) (addr, name string, strict bool) {
	if strings.TrimSpace(v) == "" {
		return "", "", false
	}
	if !utf8.ValidString(v) {
		v = decodeBytes([]byte(v), "")
	}
	if list, err := addressParser.ParseList(v); err == nil && len(list) > 0 {
		addr, name, strict = list[0].Address, list[0].Name, len(list) == 1
	} else {
		addr = looseAddress.FindString(v)
		if i := strings.IndexByte(v, '<'); i > 0 {
			name = strings.Trim(headerText(v[:i]), `" `)
		}
	}
	addr = strings.ToLower(strings.TrimSpace(addr))
	if len(addr) > 254 || strings.Count(addr, "@") != 1 || strings.IndexFunc(addr, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		addr, strict = "", false
	}
	name = truncateRunes(headerText(name), 200)
	return addr, name, strict
}

// walker visits the MIME tree, collecting text and attachments.
type walker struct {
	m          *Mail
	lim        Limits
	parts      int
	plain      strings.Builder
	html       strings.Builder
	report     bool // multipart/report of delivery-status
	mdn        bool // multipart/report of disposition-notification
	statusPart bool // a message/delivery-status part was seen
}

func (w *walker) entity(h textproto.Header, body io.Reader, depth int, parent string) {
	w.parts++
	if w.parts > w.lim.MaxParts {
		if w.parts == w.lim.MaxParts+1 {
			w.m.problem("more than %d MIME parts; the rest were not read", w.lim.MaxParts)
		}
		return
	}
	if depth > w.lim.MaxDepth {
		w.m.problem("MIME parts nested deeper than %d; the inner ones were not read", w.lim.MaxDepth)
		return
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case strings.TrimSpace(ct) == "":
		mt, params = "text/plain", map[string]string{}
		if parent == "multipart/digest" {
			mt = "message/rfc822"
		}
	case err != nil && mt == "":
		// An unreadable Content-Type: RFC 2045 says treat it as text/plain.
		w.m.problem("unreadable Content-Type")
		mt, params = "text/plain", map[string]string{}
	}
	mt = strings.ToLower(mt)
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := attachmentName(dparams["filename"], params["name"])
	attached := strings.EqualFold(disp, "attachment")

	if strings.HasPrefix(mt, "multipart/") {
		w.multipart(mt, params, body, depth)
		return
	}
	data, ok := decodeTransfer(h.Get("Content-Transfer-Encoding"), body, w.lim.MaxBytes)
	if !ok {
		w.m.problem("a %s part has a broken or unknown transfer encoding", mt)
	}
	switch {
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		w.statusPart = true
		w.m.Report = parseReport(data)
		return
	case mt == "text/rfc822-headers" || (mt == "message/rfc822" || mt == "message/global") && (w.report || w.mdn):
		if w.m.Original == nil {
			w.m.Original = parseOriginal(data)
		}
		if mt == "text/rfc822-headers" {
			return
		}
	}
	isText := mt == "text/plain" || mt == "text/html"
	if attached || !isText || (name != "" && disp != "" && !strings.EqualFold(disp, "inline")) {
		if name == "" && mt == "message/rfc822" {
			name = "message.eml"
		}
		if !(w.report || w.mdn) || name != "" {
			w.attach(name, mt, len(data))
		}
		return
	}
	text := decodeBytes(data, params["charset"])
	if mt == "text/html" {
		w.html.WriteString(HTMLToText(text))
		w.html.WriteString("\n")
		return
	}
	if strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	w.plain.WriteString(text)
	w.plain.WriteString("\n")
}

func (w *walker) attach(name, mt string, size int) {
	if len(w.m.Attachments) >= 50 {
		return
	}
	w.m.Attachments = append(w.m.Attachments, inquiry.Attachment{Name: name, Type: mt, Size: int64(size)})
}

func (w *walker) multipart(mt string, params map[string]string, body io.Reader, depth int) {
	boundary := params["boundary"]
	if boundary == "" {
		w.m.problem("%s without a boundary", mt)
		data, _ := io.ReadAll(io.LimitReader(body, w.lim.MaxBytes))
		w.plain.WriteString(decodeBytes(data, ""))
		return
	}
	if mt == "multipart/report" {
		switch strings.ToLower(params["report-type"]) {
		case "delivery-status":
			w.report = true
		case "disposition-notification":
			w.mdn = true
		}
	}
	mr := textproto.NewMultipartReader(body, boundary)
	alternative := mt == "multipart/alternative"
	var best *walker // for alternative: the richest readable child
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.m.problem("%s: %s", mt, errSummary(err))
			break
		}
		if !alternative {
			w.entity(p.Header, p, depth+1, mt)
			continue
		}
		// Each alternative is read on its own; the plain one wins if it
		// has text, else the HTML one.
		sub := &walker{m: w.m, lim: w.lim, parts: w.parts, report: w.report, mdn: w.mdn}
		sub.entity(p.Header, p, depth+1, mt)
		w.parts = sub.parts
		w.statusPart = w.statusPart || sub.statusPart
		if best == nil || (strings.TrimSpace(best.plain.String()) == "" && strings.TrimSpace(sub.plain.String()) != "") ||
			(strings.TrimSpace(best.plain.String()) == "" && strings.TrimSpace(best.html.String()) == "" && strings.TrimSpace(sub.html.String()) != "") {
			best = sub
		}
		if w.parts > w.lim.MaxParts {
			break
		}
	}
	if best != nil {
		if s := best.plain.String(); strings.TrimSpace(s) != "" {
			w.plain.WriteString(s)
		} else {
			w.html.WriteString(best.html.String())
		}
	}
}

// attachmentName decodes and cleans a file name.
func attachmentName(names ...string) string {
	for _, n := range names {
		if n == "" {
			continue
		}
		n = headerText(n)
		n = path.Base(strings.ReplaceAll(n, `\`, "/"))
		if n == "." || n == "/" {
			continue
		}
		return truncateRunes(n, 200)
	}
	return ""
}

// decodeTransfer undoes the Content-Transfer-Encoding. ok is false when the
// encoding is unknown or broken; data is then what could be read.
func decodeTransfer(enc string, body io.Reader, limit int64) (data []byte, ok bool) {
	var r io.Reader
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "", "7bit", "8bit", "binary":
		r = body
	default:
		data, _ = io.ReadAll(io.LimitReader(body, limit))
		return data, false
	}
	data, err := io.ReadAll(io.LimitReader(r, limit))
	return data, err == nil
}

// base64Cleaner drops what is not base64 (line breaks, spaces, junk), as
// mail readers do, and stops at padding.
type base64Cleaner struct {
	r    io.Reader
	done bool
}

func (c *base64Cleaner) Read(p []byte) (int, error) {
	for {
		if c.done {
			return 0, io.EOF
		}
		n, err := c.r.Read(p)
		j := 0
		for _, b := range p[:n] {
			if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// decodeBytes turns text in a declared charset into UTF-8. An unknown
// charset, or bytes that are not what the declared charset says, are
// guessed: UTF-8 if valid, else windows-1256 for text that reads as Arabic,
// else windows-1252.
func decodeBytes(b []byte, cs string) string {
	cs = strings.ToLower(strings.Trim(strings.TrimSpace(cs), `"'`))
	switch cs {
	case "", "us-ascii", "ascii", "utf-8", "utf8", "unicode-1-1-utf-8", "x-unknown", "unknown-8bit", "default":
		if utf8.Valid(b) {
			return string(b)
		}
		return guessDecode(b)
	}
	// Aliases mail software writes that the registries miss.
	switch cs {
	case "cp1256", "windows1256", "x-cp1256", "ms-arab":
		cs = "windows-1256"
	case "iso-8859-6-i", "iso-8859-6-e", "iso_8859-6", "iso8859-6", "arabic", "asmo-708":
		cs = "iso-8859-6"
	case "cp1252", "windows1252":
		cs = "windows-1252"
	case "latin1", "latin-1", "iso8859-1":
		cs = "iso-8859-1"
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return guessDecode(b)
	}
	out, err := io.ReadAll(r)
	if err != nil || !utf8.Valid(out) {
		return guessDecode(b)
	}
	return string(out)
}

// guessDecode decodes bytes of unknown 8-bit charset. In windows-1256 the
// Arabic letters are 0xC1-0xDF (where Latin-1 has capitals, rare in text).
func guessDecode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	high, arabic := 0, 0
	for _, c := range b {
		if c >= 0x80 {
			high++
			if c >= 0xC1 && c <= 0xDF {
				arabic++
			}
		}
	}
	cs := "windows-1252"
	if high > 0 && arabic*10 >= high*3 {
		cs = "windows-1256"
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err == nil {
		if out, err := io.ReadAll(r); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// unflow joins format=flowed soft line breaks (RFC 3676).
func unflow(s string, delsp bool) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		soft := strings.HasSuffix(l, " ") && l != "-- " && !strings.HasPrefix(l, ">")
		if soft && delsp {
			l = l[:len(l)-1]
		}
		b.WriteString(l)
		if !soft && i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// cleanText makes text safe to store: valid UTF-8, LF line ends, no NULs
// or other control characters, no runs of blank lines, trimmed.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// unmark removes the quote marks HTMLToText left for TrimReply.
func unmark(s string) string {
	if !strings.Contains(s, quoteMark) {
		return s
	}
	return cleanText(strings.ReplaceAll(s, quoteMark, ""))
}

func limitText(m *Mail, s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	m.Problems = append(m.Problems, fmt.Sprintf("text longer than %d characters was cut", n))
	const more = "\n[…]"
	return truncateRunes(s, n-utf8.RuneCountInString(more)) + more
}

func truncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// parseReport reads the fields of a message/delivery-status part.
func parseReport(data []byte) *Report {
	r := &Report{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "action":
			if r.Action == "" || r.Action != "failed" {
				r.Action = strings.ToLower(truncateRunes(v, 20))
			}
		case "status":
			if s := statusCode.FindString(v); s != "" && (r.Status == "" || s[0] == '5') {
				r.Status = s
			}
		}
	}
	return r
}

var statusCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}`)

// parseOriginal reads the threading headers of a returned message.
func parseOriginal(data []byte) *Original {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
	o := &Original{Subject: truncateRunes(headerText(h.Get("Subject")), 998)}
	if ids := ParseMessageIDs(h.Get("Message-Id")); len(ids) > 0 {
		o.MessageID = ids[0]
	}
	o.Thread = Thread(ParseMessageIDs(h.Get("In-Reply-To")), ParseMessageIDs(h.Get("References")))
	if o.MessageID == "" && o.Subject == "" && len(o.Thread) == 0 {
		return nil
	}
	return o
}
