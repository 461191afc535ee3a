package redisfleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// gobreakerStore is gobreaker's SharedDataStore over Redis, for
// gobreaker.NewDistributedCircuitBreaker: a lock (SET NX PX, released by a
// Lua compare-and-delete) and the shared state (GET, SET). It is used
// exactly as gobreaker intends: DistributedCircuitBreaker takes the lock
// around every call, the request included, so every member of the fleet
// waits its turn. retryscope's Fleet exists to avoid that; this store is
// here for the comparison (bench_test.go). Keys are gobreaker's own
// ("gobreaker:mutex:<name>", "gobreaker:state:<name>"). A gobreakerStore
// is safe for concurrent use.
type gobreakerStore struct {
	client  redis.UniversalClient
	lockTTL time.Duration
	poll    time.Duration
	wait    time.Duration

	mu     sync.Mutex
	tokens map[string]string // lock name -> the token this store holds it with
}

var _ gobreaker.SharedDataStore = (*gobreakerStore)(nil)

// gobreakerStore defaults.
const (
	// defaultLockTTL is how long a lock outlives a holder that died:
	// gobreaker's own mutex timeout, 5 s.
	defaultLockTTL = 5 * time.Second
	// defaultLockPoll is how often Lock tries again while the lock is
	// held: 1 ms, far more eager than redsync's 50-250 ms, so the
	// comparison is as kind to gobreaker as it can be.
	defaultLockPoll = time.Millisecond
	// defaultLockWait is how long Lock tries before it gives up with
	// errLocked (gobreaker then sleeps 500 ms and calls it again, for up to
	// 5 s).
	defaultLockWait = 5 * time.Second
)

// errLocked is returned by Lock when another holder kept the lock for all
// of defaultLockWait.
var errLocked = errors.New("redisfleet: gobreaker lock is held by another member")

// newGobreakerStore returns a store over client with a lock TTL of
// defaultLockTTL (5 s) that Lock polls every defaultLockPoll (1 ms) for up
// to defaultLockWait (5 s).
func newGobreakerStore(client redis.UniversalClient) *gobreakerStore {
	return &gobreakerStore{
		client:  client,
		lockTTL: defaultLockTTL,
		poll:    defaultLockPoll,
		wait:    defaultLockWait,
		tokens:  make(map[string]string),
	}
}

// Lock takes the lock name: SET name token NX PX, tried every poll until it
// succeeds or the wait is over.
func (s *gobreakerStore) Lock(name string) error {
	token := newToken()
	ctx := context.Background()
	deadline := time.Now().Add(s.wait)
	for {
		ok, err := s.client.SetNX(ctx, name, token, s.lockTTL).Result()
		if err != nil {
			return err
		}
		if ok {
			s.mu.Lock()
			s.tokens[name] = token
			s.mu.Unlock()
			return nil
		}
		if time.Now().After(deadline) {
			return errLocked
		}
		time.Sleep(s.poll)
	}
}

// unlockScript deletes the lock only if it is still ours: after a TTL
// expiry another member may hold it.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Unlock releases the lock name if this store holds it.
func (s *gobreakerStore) Unlock(name string) error {
	s.mu.Lock()
	token, ok := s.tokens[name]
	delete(s.tokens, name) // before the release: the next holder may be in this process
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return unlockScript.Run(context.Background(), s.client, []string{name}, token).Err()
}

// GetData returns the state stored under name, nil when there is none.
func (s *gobreakerStore) GetData(name string) ([]byte, error) {
	b, err := s.client.Get(context.Background(), name).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// SetData stores data under name, without expiry.
func (s *gobreakerStore) SetData(name string, data []byte) error {
	return s.client.Set(context.Background(), name, data, 0).Err()
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
