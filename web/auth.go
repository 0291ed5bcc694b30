package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

// tokens finds staff by the SHA-256 of their API token. Only hashes are
// configured, so a leaked config file gives no access.
type tokens map[string]config.Staff

func newTokens(staff []config.Staff) tokens {
	t := tokens{}
	for _, s := range staff {
		if s.TokenSHA256 != "" {
			t[strings.ToLower(s.TokenSHA256)] = s
		}
	}
	return t
}

// HashToken returns the hex SHA-256 of a token, as config wants it.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func (t tokens) staff(r *http.Request) (config.Staff, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return config.Staff{}, inquiry.Errorf(inquiry.EUNAUTHORIZED, "an Authorization: Bearer <token> header is required")
	}
	// Hashing first makes the lookup independent of how much of a guess is right.
	s, found := t[HashToken(strings.TrimSpace(tok))]
	if !found {
		return config.Staff{}, inquiry.Errorf(inquiry.EUNAUTHORIZED, "the token is not valid")
	}
	return s, nil
}
