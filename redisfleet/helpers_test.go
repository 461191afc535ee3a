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
	"sync"
	"sync/atomic"
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

// syncWatch is a go-redis hook on one member's client. It numbers the
// client's pipelines (a Fleet's syncs) on a clock shared with the other
// watches of a test, so the test orders one member's syncs against
// another's without timing them; it notes the first successful sync that
// read an opening (a PTTL answer > 0); and it can hold the client's
// traffic, to show that something does not wait for Redis.
type syncWatch struct {
	clock *atomic.Int64 // shared by a test's watches

	mu      sync.Mutex
	okStart int64         // clock at the start of the last successful pipeline; 0 before
	sawOpen int64         // clock when a successful pipeline first read an opening; 0 before
	entered int64         // commands and pipelines that reached the hook
	hold    chan struct{} // non-nil: traffic waits until it is closed
	held    chan struct{} // told when traffic starts waiting
}

// watchSyncs hooks a new syncWatch on client's clock into client.
func watchSyncs(client *redis.Client, clock *atomic.Int64) *syncWatch {
	w := &syncWatch{clock: clock}
	client.AddHook(w)
	return w
}

func (w *syncWatch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (w *syncWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		w.enter()
		return next(ctx, cmd)
	}
}

func (w *syncWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := w.clock.Add(1)
		w.enter()
		err := next(ctx, cmds)
		ok, open := err == nil, false
		for _, c := range cmds {
			if c.Err() != nil {
				ok = false
			}
			if d, isDur := c.(*redis.DurationCmd); isDur && c.Name() == "pttl" && d.Val() > 0 {
				open = true
			}
		}
		if ok {
			w.mu.Lock()
			w.okStart = start
			if open && w.sawOpen == 0 {
				w.sawOpen = w.clock.Add(1)
			}
			w.mu.Unlock()
		}
		return err
	}
}

// enter counts a command or pipeline and, while the traffic is held, waits
// for the release: whatever its context says, so a caller that waits for
// Redis hangs rather than timing out.
func (w *syncWatch) enter() {
	w.mu.Lock()
	w.entered++
	hold, held := w.hold, w.held
	w.mu.Unlock()
	if hold != nil {
		select {
		case held <- struct{}{}:
		default:
		}
		<-hold
	}
}

// state returns okStart, sawOpen and entered.
func (w *syncWatch) state() (okStart, sawOpen, entered int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.okStart, w.sawOpen, w.entered
}

// holdTraffic makes the client's commands wait from now until release,
// which the test's cleanup also calls (before the Fleets' Close, registered
// earlier). It returns once a command waits, failing the test after hang.
func (w *syncWatch) holdTraffic(t *testing.T, hang time.Duration) (release func()) {
	t.Helper()
	hold, held := make(chan struct{}), make(chan struct{}, 1)
	var once sync.Once
	release = func() {
		once.Do(func() {
			w.mu.Lock()
			w.hold, w.held = nil, nil
			w.mu.Unlock()
			close(hold)
		})
	}
	t.Cleanup(release)
	w.mu.Lock()
	w.hold, w.held = hold, held
	w.mu.Unlock()
	select {
	case <-held:
	case <-time.After(hang):
		t.Fatalf("no command reached Redis within %v", hang)
	}
	return release
}
