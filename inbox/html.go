package inbox

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// quoteMark is a line HTMLToText writes where a mail client's quoted
// earlier message starts (Gmail's gmail_quote, Outlook's divRplyFwdMsg,
// Thunderbird's moz-cite-prefix); TrimReply cuts there.
const quoteMark = "\uE000quoted\uE000"

// HTMLToText turns an HTML mail body into readable text: paragraphs and
// line breaks kept, links written "text (url)", images as their alt text,
// blockquotes prefixed with "> ", scripts, styles and the head dropped.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	c := &htmlText{}
	skip := 0 // depth inside script/style/head/...
	type link struct {
		href  string
		start int
	}
	var links []link
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if skip == 0 {
				c.text(tok.Data)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			a := tok.DataAtom
			if skipped(a) {
				if tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			if isQuoteContainer(tok) {
				c.mark()
			}
			switch a {
			case atom.Br:
				c.newline()
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table,
				atom.Ul, atom.Ol, atom.Pre, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Dl:
				c.block()
			case atom.Tr, atom.Dt, atom.Dd:
				c.lineStart()
			case atom.Li:
				c.lineStart()
				c.raw("- ")
				c.spaced = false
			case atom.Td, atom.Th:
				c.space()
			case atom.Hr:
				c.block()
				c.raw("----")
				c.block()
			case atom.Blockquote:
				c.block()
				c.quote++
			case atom.A:
				if tt == html.StartTagToken {
					links = append(links, link{href: attr(tok, "href"), start: c.b.Len()})
				}
			case atom.Img:
				if alt := strings.TrimSpace(attr(tok, "alt")); alt != "" {
					c.text("[" + alt + "]")
				}
			}
		case html.EndTagToken:
			a := tok.DataAtom
			if skipped(a) {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch a {
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table,
				atom.Ul, atom.Ol, atom.Pre, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Dl:
				c.block()
			case atom.Tr, atom.Li:
				c.lineStart()
			case atom.Blockquote:
				if c.quote > 0 {
					c.quote--
				}
				c.block()
			case atom.A:
				if n := len(links); n > 0 {
					l := links[n-1]
					links = links[:n-1]
					c.link(l.href, c.b.String()[l.start:])
				}
			}
		}
	}
	return c.String()
}

func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template, atom.Svg, atom.Object, atom.Iframe:
		return true
	}
	return false
}

// isQuoteContainer recognizes the element mail clients wrap the quoted
// earlier message in.
func isQuoteContainer(t html.Token) bool {
	class, id := attr(t, "class"), attr(t, "id")
	for _, c := range strings.Fields(class) {
		switch c {
		case "gmail_quote", "gmail_quote_container", "yahoo_quoted", "moz-cite-prefix", "protonmail_quote", "OutlookMessageHeader":
			return true
		}
	}
	switch id {
	case "divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container", "OLK_SRC_BODY_SECTION", "x_divRplyFwdMsg":
		return true
	}
	return t.DataAtom == atom.Blockquote && (attr(t, "type") == "cite")
}

func attr(t html.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// htmlText accumulates text with collapsed whitespace.
type htmlText struct {
	b       strings.Builder
	quote   int
	lineLen int // characters on the current line
	spaced  bool
	blank   bool // the current line ends a block: next text after a blank line
	marked  bool
}

func (c *htmlText) raw(s string) {
	if c.lineLen == 0 && c.quote > 0 {
		c.b.WriteString(strings.Repeat("> ", c.quote))
	}
	c.b.WriteString(s)
	c.lineLen += len(s)
}

func (c *htmlText) text(s string) {
	if startsSpace(s) {
		c.spaced = true
	}
	for _, f := range strings.FieldsFunc(s, isHTMLSpace) {
		if c.blank && c.b.Len() > 0 {
			c.b.WriteString("\n")
			c.lineLen = 0
		}
		c.blank = false
		if c.lineLen > 0 && c.spaced {
			c.b.WriteByte(' ')
			c.lineLen++
		}
		c.raw(f)
		c.spaced = true
	}
	c.spaced = s != "" && isHTMLSpace(rune(s[len(s)-1]))
}

func startsSpace(s string) bool { return s != "" && isHTMLSpace(rune(s[0])) }

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func (c *htmlText) space() { c.spaced = true }

func (c *htmlText) newline() {
	c.b.WriteByte('\n')
	c.lineLen = 0
	c.spaced = false
}

// lineStart starts a line unless at the start of one.
func (c *htmlText) lineStart() {
	if c.blank && c.b.Len() > 0 {
		c.b.WriteString("\n")
	}
	c.blank = false
	if c.lineLen > 0 {
		c.newline()
	}
}

func (c *htmlText) block() {
	if c.lineLen > 0 {
		c.newline()
	}
	c.blank = true
}

func (c *htmlText) mark() {
	if c.marked {
		return
	}
	c.marked = true
	c.block()
	if c.b.Len() > 0 {
		c.b.WriteString("\n")
	}
	c.b.WriteString(quoteMark + "\n")
	c.lineLen, c.blank = 0, false
}

// link writes the url after the link text, unless it adds nothing.
func (c *htmlText) link(href, text string) {
	href = strings.TrimSpace(href)
	t := strings.TrimSpace(text)
	low := strings.ToLower(href)
	switch {
	case href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "data:") || strings.HasPrefix(low, "cid:"):
		return
	case strings.HasPrefix(low, "mailto:"):
		addr := href[len("mailto:"):]
		if i := strings.IndexByte(addr, '?'); i >= 0 {
			addr = addr[:i]
		}
		if strings.Contains(t, addr) || addr == "" {
			return
		}
		href = addr
	case t == href || strings.TrimRight(t, "/") == strings.TrimRight(strings.TrimPrefix(strings.TrimPrefix(href, "https://"), "http://"), "/"):
		return
	}
	if t == "" {
		c.text(href)
		return
	}
	c.text(" (" + href + ")")
}

func (c *htmlText) String() string { return cleanText(c.b.String()) }
