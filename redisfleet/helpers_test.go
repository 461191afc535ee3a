package redisfleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// redisAddr is where the tests find Redis: RETRYSCOPE_REDIS_ADDR, default
// 127.0.0.1:6390 (scripts/redis.sh start).
func redisAddr() string {
	if a := os.Getenv("RETRYSCOPE_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6390"
}

// requireRedis is true when a missing Redis must fail the test (CI).
func requireRedis() bool { return os.Getenv("RETRYSCOPE_REQUIRE_REDIS") == "1" }

// noRedis skips, or fails under RETRYSCOPE_REQUIRE_REDIS=1.
func noRedis(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if requireRedis() {
		tb.Fatalf("%s (RETRYSCOPE_REQUIRE_REDIS=1)", msg)
	}
	tb.Skipf("%s; start one with scripts/redis.sh start, or set RETRYSCOPE_REDIS_ADDR", msg)
}

// newTestClient returns a client of the shared test Redis (NewClient's
// settings), closed at the end of the test; it skips when Redis is not
// reachable.
func newTestClient(tb testing.TB) *redis.Client {
	tb.Helper()
	c := NewClient(redisAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		noRedis(tb, "Redis not reachable at %s: %v", redisAddr(), err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// newPlainClient is like newTestClient with go-redis's default timeouts
// (seconds), for gobreakerStore, whose calls have no deadline of their own.
func newPlainClient(tb testing.TB) *redis.Client {
	tb.Helper()
	newTestClient(tb) // skips when Redis is not reachable
	c := redis.NewClient(&redis.Options{Addr: redisAddr()})
	tb.Cleanup(func() { c.Close() })
	return c
}

// testPrefix is a key prefix of the test's own, so tests never share keys.
func testPrefix(tb testing.TB) string {
	var b [4]byte
	rand.Read(b[:])
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name())
	return "retryscope-test:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}

// checkLeaks verifies, when the test ends (after every cleanup registered
// later), that it left no goroutine behind: Close stops the Fleet's.
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	// go-redis's pool dials a dead server on goroutines of its own, which
	// outlive the call that asked (and Close) by its dial retries and
	// backoff; they are the client's, not the Fleet's. The Fleet's own
	// goroutine (Fleet.run) is still checked.
	redial := goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial")
	dial := goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).queuedNewConn.func2")
	t.Cleanup(func() { goleak.VerifyNone(t, ignore, redial, dial) })
}

// privateRedis starts a redis-server of the test's own on a free port, for
// tests that kill it; it returns its address and a function that kills it
// (also called at the end of the test).
func privateRedis(t *testing.T) (addr string, kill func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		noRedis(t, "redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { cmd.Wait(); close(waited) }()
	kill = func() {
		cmd.Process.Kill()
		<-waited
	}
	t.Cleanup(kill)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return addr, kill
		}
		if time.Now().After(deadline) {
			t.Fatalf("private redis-server on %s did not answer", addr)
		}
	}
}

// eventually polls cond every 5 ms for up to d and returns how long it took,
// failing the test when cond never held.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}
