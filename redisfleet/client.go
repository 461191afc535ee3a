package redisfleet

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// NewClient returns a Redis client suited to a Fleet at addr (host:port):
// it honours context deadlines (ContextTimeoutEnabled), so a sync never
// outlasts the Fleet's Timeout; dial, read and write timeouts are 100 ms
// and commands are not retried (a failed sync is simply tried again at the
// next interval). Close it after the Fleet.
func NewClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true,
		DialTimeout:           100 * time.Millisecond,
		ReadTimeout:           100 * time.Millisecond,
		WriteTimeout:          100 * time.Millisecond,
		MaxRetries:            -1,
	})
}
