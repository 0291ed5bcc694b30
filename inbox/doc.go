// Package inbox is netdesk's email channel: the IMAP listener that takes
// mail in (IDLE or polling, batches, UIDVALIDITY, move after Redis has it),
// the MIME normalizer (charsets, HTML, quotes, attachments, limits), the
// threading parser, the decisions of what a mail becomes (a person's
// message, an agency's emailed answer, a bounce or auto-reply noted on its
// inquiry), and the SMTP sender of the email outbox. See the README, "Email".
package inbox
