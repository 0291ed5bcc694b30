package queue

import (
	"embed"

	"github.com/redis/go-redis/v9"
)

//go:embed lua/*.lua
var luaFiles embed.FS

func script(name string) *redis.Script {
	b, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("queue: missing script " + name)
	}
	return redis.NewScript(string(b))
}

// The multi-key operations; each file starts with its KEYS/ARGV contract.
var (
	enqueueScript      = script("enqueue")
	leaseAcquireScript = script("lease_acquire")
	leaseReleaseScript = script("lease_release")
	rateScript         = script("rate")
	claimDueScript     = script("claim_due")
	sendAddScript      = script("send_add")
	sendClaimScript    = script("send_claim")
	sendFinishScript   = script("send_finish")
	sendBucketScript   = script("send_bucket")
)
