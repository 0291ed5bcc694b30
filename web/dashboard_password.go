package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password hashes in config (staff[].password_hash) are either argon2id in
// the PHC string format
//
//	$argon2id$v=19$m=65536,t=3,p=4$<base64 salt>$<base64 key>
//
// or bcrypt ($2a$, $2b$, $2y$). HashPassword makes the first kind.

// argon2id parameters of HashPassword: RFC 9106's second recommended
// option (64 MiB, 3 passes, 4 lanes), about 0.1 s per login.
const (
	argonMemory  = 64 * 1024
	argonTime    = 3
	argonThreads = 4
	argonSaltLen = 16
	argonKeyLen  = 32
)

// maxPasswordBytes bounds what a login form may submit.
const maxPasswordBytes = 1024

// HashPassword returns an argon2id hash of password for staff[].password_hash.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	if len(password) > maxPasswordBytes {
		return "", fmt.Errorf("the password is longer than %d bytes", maxPasswordBytes)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	p := argonParams{memory: argonMemory, time: argonTime, threads: argonThreads, salt: salt}
	p.key = argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, argonKeyLen)
	return p.String(), nil
}

// HashPasswordBcrypt returns a bcrypt hash (cost 12) of password, for
// operators whose tooling expects bcrypt. bcrypt reads at most 72 bytes.
func HashPasswordBcrypt(password string) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), 12)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(h), nil
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func (p argonParams) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

// parseArgon2id reads a PHC argon2id string. Parameters are bounded so a
// mistyped hash cannot make every login allocate gigabytes.
func parseArgon2id(s string) (argonParams, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argonParams{}, errors.New("not an argon2id hash ($argon2id$v=19$m=...,t=...,p=...$salt$key)")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return argonParams{}, fmt.Errorf("argon2id version must be v=%d", argon2.Version)
	}
	var p argonParams
	var m, t, th uint64
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || n != 3 {
		return argonParams{}, errors.New("argon2id parameters must read m=<KiB>,t=<passes>,p=<lanes>")
	}
	if m < 8 || m > 4<<20 || t < 1 || t > 64 || th < 1 || th > 255 || m < 8*th {
		return argonParams{}, errors.New("argon2id parameters out of range (m 8..4194304 KiB, t 1..64, p 1..255)")
	}
	p.memory, p.time, p.threads = uint32(m), uint32(t), uint8(th)
	var err error
	if p.salt, err = unb64(parts[4]); err != nil || len(p.salt) < 8 {
		return argonParams{}, errors.New("argon2id salt must be base64 of at least 8 bytes")
	}
	if p.key, err = unb64(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 128 {
		return argonParams{}, errors.New("argon2id key must be base64 of 16 to 128 bytes")
	}
	return p, nil
}

func unb64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// checkPasswordHash reports whether hash is a usable password hash.
func checkPasswordHash(h string) error {
	if isBcrypt(h) {
		_, err := bcrypt.Cost([]byte(h))
		return err
	}
	_, err := parseArgon2id(h)
	return err
}

// verifyPassword reports whether password matches hash, in time that
// depends on the hash's parameters, not on how much of the password is right.
func verifyPassword(hash, password string) bool {
	if isBcrypt(hash) {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	}
	p, err := parseArgon2id(hash)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// decoy is a hash that no password matches, of the same kind and cost as
// the configured ones, verified when the user is unknown so that a login
// takes as long for a name that does not exist as for one that does.
type decoy struct {
	like string // a configured hash to imitate; "" for the default
	once sync.Once
	hash string
}

func (d *decoy) get() string {
	d.once.Do(func() {
		switch {
		case isBcrypt(d.like):
			cost, err := bcrypt.Cost([]byte(d.like))
			if err != nil {
				cost = bcrypt.DefaultCost
			}
			h, err := bcrypt.GenerateFromPassword(randomBytes(16), cost)
			if err == nil {
				d.hash = string(h)
				return
			}
		default:
			p, err := parseArgon2id(d.like)
			if err != nil {
				p = argonParams{memory: argonMemory, time: argonTime, threads: argonThreads, key: make([]byte, argonKeyLen)}
			}
			p.salt = randomBytes(argonSaltLen)
			p.key = randomBytes(len(p.key))
			d.hash = p.String()
			return
		}
		d.hash = (argonParams{memory: argonMemory, time: argonTime, threads: argonThreads,
			salt: randomBytes(argonSaltLen), key: randomBytes(argonKeyLen)}).String()
	})
	return d.hash
}

// randomBytes returns n bytes from crypto/rand, which never fails on the
// systems Go supports (it panics rather than return weak bytes).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// randomToken returns 32 random bytes, base64url without padding (43 characters).
func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }
