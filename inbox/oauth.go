package inbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// OAuth2 login for mailboxes that no longer take passwords: Microsoft 365
// turned basic authentication off for IMAP and SMTP, and Google prefers
// OAuth2 to app passwords. Both take the XOAUTH2 SASL mechanism with an
// access token that lives about an hour, so the token is fetched from the
// provider's token endpoint and renewed before it runs out.

// TokenFunc returns a valid access token.
type TokenFunc func(ctx context.Context) (string, error)

// OAuth2Config says where and how to get access tokens.
type OAuth2Config struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// RefreshToken, when set, is exchanged for access tokens (a user's
	// grant, as Google gives); when empty the client-credentials grant is
	// used (an app's own access, as Microsoft 365 gives to a registered
	// application with the IMAP/SMTP permission).
	RefreshToken string
	Scopes       []string
}

// tokenEarly renews a token this long before it expires, so that a login
// never starts with a token about to lapse.
const tokenEarly = 2 * time.Minute

// OAuth2 returns a TokenFunc that fetches tokens with client (nil: a client
// with a 30-second timeout) and reuses each until shortly before it expires.
// It is safe for concurrent use.
func OAuth2(c OAuth2Config, client *http.Client) TokenFunc {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	var src oauth2.TokenSource
	if c.RefreshToken != "" {
		conf := &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
			Endpoint: oauth2.Endpoint{TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		src = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: c.RefreshToken})
	} else {
		conf := &clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scopes: c.Scopes,
			TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
		src = conf.TokenSource(ctx)
	}
	src = oauth2.ReuseTokenSourceWithExpiry(nil, src, tokenEarly)
	return func(context.Context) (string, error) {
		t, err := src.Token()
		if err != nil {
			return "", tokenError(err)
		}
		return t.AccessToken, nil
	}
}

// tokenError keeps what the provider said (error code and description)
// and drops the rest: a token endpoint's answer is no place for secrets,
// but an error message is logged, so only the named parts are kept.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := re.ErrorCode
		if re.ErrorDescription != "" {
			msg += ": " + firstLine(re.ErrorDescription)
		}
		if msg == "" && re.Response != nil {
			msg = re.Response.Status
		}
		return fmt.Errorf("oauth2 token refused: %s", msg)
	}
	return fmt.Errorf("oauth2 token: %w", err)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// XOAuth2 is the XOAUTH2 SASL client of Google and Microsoft: the user and
// the bearer token in one initial response. On failure the server sends a
// JSON challenge, answered with an empty line to get the final error.
func XOAuth2(user, token string) sasl.Client {
	return &xoauth2{user: user, token: token}
}

type xoauth2 struct{ user, token string }

func (a *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + a.user + "\x01auth=Bearer " + a.token + "\x01\x01"), nil
}

func (a *xoauth2) Next(challenge []byte) ([]byte, error) {
	return []byte{}, nil
}
