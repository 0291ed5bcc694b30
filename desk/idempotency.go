package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// Idempotency names a request that may be retried (an Idempotency-Key):
// the key is scoped to its caller (the client address, or the staff member
// who made it), so another client's key is simply another key, and bound
// to the request's body, so the same key with a different report is refused
// (422) instead of being answered with the first report's reference while
// the second is stored nowhere.
type Idempotency struct {
	Key    string
	Caller string
}

// pendingAnswer marks a key whose first request is in flight.
const pendingAnswer = "pending"

// replayWait bounds how long a retry waits for its first request to answer.
const replayWait = 10 * time.Second

// scoped is the stored key: caller and key, hashed together by the store.
func (i Idempotency) scoped() string { return i.Caller + "\x00" + i.Key }

// bodyHash binds a key to what was submitted.
func bodyHash(s Submission) string {
	h := sha256.New()
	for _, f := range []string{s.Text, s.Language, s.Name, s.Contact} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// replay returns the first answer to a retried request. replayed is false
// when this is the first request with the key (now marked pending).
func (d *Desk) replay(ctx context.Context, i Idempotency, hash string) (r Receipt, replayed bool, err error) {
	deadline := time.Now().Add(replayWait)
	for {
		stored, existed, err := d.store.Remember(ctx, IntakeScope, i.scoped(), hash+" "+pendingAnswer)
		if err != nil {
			return Receipt{}, false, err
		}
		if !existed {
			return Receipt{}, false, nil
		}
		h, answer, _ := strings.Cut(stored, " ")
		if h != hash {
			return Receipt{}, false, inquiry.Errorf(inquiry.EMISMATCH, "this Idempotency-Key was used for a different request; use a new key for a new inquiry")
		}
		if answer != pendingAnswer {
			if err := json.Unmarshal([]byte(answer), &r); err != nil {
				return Receipt{}, false, err
			}
			return r, true, nil
		}
		if time.Now().After(deadline) {
			return Receipt{}, false, inquiry.Errorf(inquiry.ECONFLICT, "a request with this Idempotency-Key is still being processed")
		}
		select {
		case <-ctx.Done():
			return Receipt{}, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
