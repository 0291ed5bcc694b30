// Package bot is netdesk's Telegram channel: the intake of updates (long
// polling under a lease, or a webhook), the public conversation in private
// chats, staff triage in each agency's group, and the rate-limited sender
// that delivers the Telegram outbox.
//
// It uses the types of github.com/go-telegram-bot-api/telegram-bot-api/v5
// (Update, Message, CallbackQuery, InlineKeyboardMarkup, APIResponse) but
// makes its own HTTP requests: the library's BotAPI calls getMe in its
// constructor, takes no context (a long poll cannot be cancelled), and its
// errors carry the request URL, which holds the bot token.
package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Client calls the Telegram Bot API: POST {base}/bot{token}/{method} with a
// JSON body. The token never appears in an error it returns.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client for the Bot API at base (e.g.
// https://api.telegram.org). hc may be nil; it should have no overall
// Timeout, since long polls take their time: every call has its own deadline.
func NewClient(base, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, http: hc}
}

// maxResponse caps what is read of one Bot API answer.
const maxResponse = 16 << 20

// Call invokes method with params (marshalled as JSON; nil sends {}) and
// decodes the result into result (nil ignores it).
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	if params == nil {
		params = struct{}{}
	}
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/bot"+c.token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("telegram %s: %w", method, c.redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("telegram %s: %w", method, ctx.Err())
		}
		return &TransientError{Method: method, Err: c.redact(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("telegram %s: %w", method, ctx.Err())
		}
		return &TransientError{Method: method, Code: resp.StatusCode, Err: c.redact(err)}
	}
	var ar tgbotapi.APIResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		// Not the Bot API talking (a proxy, a load balancer): retry 5xx.
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return &TransientError{Method: method, Code: resp.StatusCode, Err: fmt.Errorf("HTTP %d with a body that is not a Bot API answer", resp.StatusCode)}
		}
		return &FailedError{Method: method, Code: resp.StatusCode, Reason: fmt.Sprintf("HTTP %d with a body that is not a Bot API answer", resp.StatusCode)}
	}
	if !ar.Ok {
		return apiError(method, resp.StatusCode, &ar)
	}
	if result != nil && len(ar.Result) > 0 {
		if err := json.Unmarshal(ar.Result, result); err != nil {
			return &FailedError{Method: method, Code: resp.StatusCode, Reason: "unexpected result: " + err.Error()}
		}
	}
	return nil
}

// redact removes the token from err's text: a *url.Error quotes the
// request URL, which holds it.
func (c *Client) redact(err error) error {
	if err == nil || c.token == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, c.token) {
		return err
	}
	var inner error
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil && !strings.Contains(ue.Err.Error(), c.token) {
		inner = ue.Err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, c.token, "<token>"), err: inner}
}

// redactedError is an error whose text had the token removed; it unwraps
// to the cause below the URL so errors.Is still sees timeouts and resets.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func apiError(method string, status int, ar *tgbotapi.APIResponse) error {
	code := ar.ErrorCode
	if code == 0 {
		code = status
	}
	desc := ar.Description
	switch {
	case code == http.StatusTooManyRequests:
		d := time.Second
		if ar.Parameters != nil && ar.Parameters.RetryAfter > 0 {
			d = time.Duration(ar.Parameters.RetryAfter) * time.Second
		}
		return &ThrottledError{Method: method, RetryAfter: d}
	case code == http.StatusForbidden:
		return &StoppedError{Method: method, Reason: desc}
	case code >= 500:
		return &TransientError{Method: method, Code: code, Err: errors.New(desc)}
	}
	f := &FailedError{Method: method, Code: code, Reason: desc}
	if ar.Parameters != nil && ar.Parameters.MigrateToChatID != 0 {
		f.MigrateTo = ar.Parameters.MigrateToChatID
		f.Reason += fmt.Sprintf(" (the group became a supergroup: set its telegram_chat to %d)", f.MigrateTo)
	}
	return f
}

// The outcomes of a call, as the sender and the poller act on them.

// ThrottledError is a 429: wait RetryAfter, then try again.
type ThrottledError struct {
	Method     string
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("telegram %s: too many requests, retry after %s", e.Method, e.RetryAfter)
}

// StoppedError is a 403: the person blocked the bot, or the bot was removed
// from the group. Retrying will not help until they come back.
type StoppedError struct {
	Method string
	Reason string
}

func (e *StoppedError) Error() string { return "telegram " + e.Method + ": stopped: " + e.Reason }

// FailedError is an answer that retrying cannot change (400, 401, 404, 409).
type FailedError struct {
	Method    string
	Code      int
	Reason    string
	MigrateTo int64
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Reason)
}

// TransientError is a network failure or a 5xx: try again later. A request
// that failed this way may or may not have been carried out.
type TransientError struct {
	Method string
	Code   int
	Err    error
}

func (e *TransientError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("telegram %s: HTTP %d: %v", e.Method, e.Code, e.Err)
	}
	return fmt.Sprintf("telegram %s: %v", e.Method, e.Err)
}

func (e *TransientError) Unwrap() error { return e.Err }

// IsConflict reports a 409: a webhook is set, or another process polls.
func IsConflict(err error) bool {
	var f *FailedError
	return errors.As(err, &f) && f.Code == http.StatusConflict
}

// IsUnauthorized reports that Telegram refused the token.
func IsUnauthorized(err error) bool {
	var f *FailedError
	return errors.As(err, &f) && (f.Code == http.StatusUnauthorized || f.Code == http.StatusNotFound)
}

// notModified reports an edit that changed nothing (done already).
func notModified(err error) bool {
	var f *FailedError
	return errors.As(err, &f) && f.Code == http.StatusBadRequest && strings.Contains(f.Reason, "message is not modified")
}

// editGone reports an edit of a message that is no longer there to change
// (staff deleted it, or the chat was cleared).
func editGone(err error) bool {
	var f *FailedError
	return errors.As(err, &f) && f.Code == http.StatusBadRequest &&
		(strings.Contains(f.Reason, "message to edit not found") || strings.Contains(f.Reason, "message can't be edited"))
}

// Requests. The library's request configs build form parameters through
// unexported methods, so the JSON bodies are spelled out here.

// ReplyParameters make a message answer another.
type ReplyParameters struct {
	MessageID                int  `json:"message_id"`
	AllowSendingWithoutReply bool `json:"allow_sending_without_reply,omitempty"`
}

type linkPreview struct {
	IsDisabled bool `json:"is_disabled"`
}

// SendMessage is the body of sendMessage.
type SendMessage struct {
	ChatID          string                         `json:"chat_id"`
	Text            string                         `json:"text"`
	ReplyParameters *ReplyParameters               `json:"reply_parameters,omitempty"`
	ReplyMarkup     *tgbotapi.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
	LinkPreview     *linkPreview                   `json:"link_preview_options,omitempty"`
}

// EditMessageText is the body of editMessageText.
type EditMessageText struct {
	ChatID      string                         `json:"chat_id"`
	MessageID   int                            `json:"message_id"`
	Text        string                         `json:"text"`
	ReplyMarkup *tgbotapi.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
	LinkPreview *linkPreview                   `json:"link_preview_options,omitempty"`
}

// SendText sends a message.
func (c *Client) SendText(ctx context.Context, m SendMessage) (tgbotapi.Message, error) {
	m.LinkPreview = &linkPreview{IsDisabled: true}
	var out tgbotapi.Message
	err := c.Call(ctx, "sendMessage", m, &out)
	return out, err
}

// EditText changes a message the bot sent.
func (c *Client) EditText(ctx context.Context, m EditMessageText) error {
	m.LinkPreview = &linkPreview{IsDisabled: true}
	return c.Call(ctx, "editMessageText", m, nil)
}

// AnswerCallback answers a button press (the small notice the presser sees).
func (c *Client) AnswerCallback(ctx context.Context, id, text string) error {
	return c.Call(ctx, "answerCallbackQuery", map[string]any{"callback_query_id": id, "text": text}, nil)
}

// GetMe returns the bot's own user.
func (c *Client) GetMe(ctx context.Context) (tgbotapi.User, error) {
	var u tgbotapi.User
	err := c.Call(ctx, "getMe", nil, &u)
	return u, err
}

// allowedUpdates are the update kinds the bot asks for.
var allowedUpdates = []string{"message", "edited_message", "callback_query"}

// GetUpdates long-polls for updates from offset, waiting up to timeout.
func (c *Client) GetUpdates(ctx context.Context, offset int, timeout time.Duration, limit int) ([]tgbotapi.Update, error) {
	var out []tgbotapi.Update
	err := c.Call(ctx, "getUpdates", map[string]any{
		"offset": offset, "timeout": int(timeout / time.Second), "limit": limit, "allowed_updates": allowedUpdates,
	}, &out)
	return out, err
}

// SetWebhook asks Telegram to POST updates to url with the secret header.
func (c *Client) SetWebhook(ctx context.Context, url, secret string) error {
	return c.Call(ctx, "setWebhook", map[string]any{
		"url": url, "secret_token": secret, "allowed_updates": allowedUpdates, "max_connections": 40,
	}, nil)
}

// DeleteWebhook switches the bot back to getUpdates; pending updates stay.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	return c.Call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, nil)
}
