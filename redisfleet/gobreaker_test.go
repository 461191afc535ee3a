package redisfleet

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// The lock excludes: read-modify-write of a Redis key under it loses no
// update.
func TestGobreakerStoreLockExcludes(t *testing.T) {
	checkLeaks(t)
	client := newPlainClient(t)
	prefix := testPrefix(t)
	lock, counter := prefix+"lock", prefix+"counter"
	t.Cleanup(func() { client.Del(context.Background(), lock, counter) })
	stores := []*gobreakerStore{newGobreakerStore(client), newGobreakerStore(client)}
	var wg sync.WaitGroup
	for g := range 8 {
		s := stores[g%2]
		wg.Go(func() {
			for range 25 {
				if err := s.Lock(lock); err != nil {
					t.Error(err)
					return
				}
				b, _ := s.GetData(counter)
				n, _ := strconv.Atoi(string(b))
				s.SetData(counter, []byte(strconv.Itoa(n+1)))
				if err := s.Unlock(lock); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if b, _ := stores[0].GetData(counter); string(b) != "200" {
		t.Fatalf("counter = %q, want 200: the lock let two holders in", b)
	}
	if b, err := stores[0].GetData(prefix + "missing"); b != nil || err != nil {
		t.Fatalf("GetData of a missing key = %q, %v", b, err)
	}
}

// Unlock releases only the holder's own lock.
func TestGobreakerStoreUnlockOnlyOwn(t *testing.T) {
	client := newPlainClient(t)
	lock := testPrefix(t) + "lock"
	t.Cleanup(func() { client.Del(context.Background(), lock) })
	a, b := newGobreakerStore(client), newGobreakerStore(client)
	if err := a.Lock(lock); err != nil {
		t.Fatal(err)
	}
	b.Unlock(lock) // not b's
	b.wait = 20 * time.Millisecond
	if err := b.Lock(lock); !errors.Is(err, errLocked) {
		t.Fatalf("b took a's lock: %v", err)
	}
	a.Unlock(lock)
	if err := b.Lock(lock); err != nil {
		t.Fatalf("b after a's Unlock: %v", err)
	}
	b.Unlock(lock)
}

// Two DistributedCircuitBreakers on the store share one breaker.
func TestGobreakerStoreSharesADistributedBreaker(t *testing.T) {
	checkLeaks(t)
	client := newPlainClient(t)
	name := testPrefix(t) + "breaker"
	t.Cleanup(func() { client.Del(context.Background(), "gobreaker:state:"+name, "gobreaker:mutex:"+name) })
	settings := gobreaker.Settings{Name: name, Timeout: time.Minute,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 3 }}
	a, err := gobreaker.NewDistributedCircuitBreaker[int](newGobreakerStore(client), settings)
	if err != nil {
		t.Fatal(err)
	}
	b, err := gobreaker.NewDistributedCircuitBreaker[int](newGobreakerStore(client), settings)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for range 3 {
		if _, err := a.Execute(func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
			t.Fatal(err)
		}
	}
	if _, err := b.Execute(func() (int, error) { return 1, nil }); !errors.Is(err, gobreaker.ErrOpenState) {
		t.Fatalf("b after a tripped the shared breaker: %v, want ErrOpenState", err)
	}
}
