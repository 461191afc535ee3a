package redisfleet

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func tenant(i int) string { return "https://tenant-" + strconv.Itoa(i) + ".example:443" }

// TestBugSyncCoversOnlyHostsInUse: a member that has met many hosts syncs
// only those asked about since the last sync, and none when idle.
func TestBugSyncCoversOnlyHostsInUse(t *testing.T) {
	c := newClock()
	f := unitFleet(c)
	for i := range 1000 {
		f.CountRequest(tenant(i), false)
	}
	if items := syncWith(f, c, true, nil); len(items) != 1000 {
		t.Fatalf("first sync covered %d hosts, want the 1000 used", len(items))
	}
	c.add(100 * time.Millisecond)
	f.CircuitOpen(tenant(7), c.now())
	if items := syncWith(f, c, true, nil); len(items) != 1 || items[0].h != f.hostState(tenant(7)) {
		t.Fatalf("second sync covered %d hosts, want the one in use", len(items))
	}
	c.add(100 * time.Millisecond)
	if items := syncWith(f, c, true, nil); len(items) != 0 {
		t.Fatalf("an idle member synced %d hosts", len(items))
	}
	// Every kind of use lists the host for the next sync, once.
	f.RetryAllowed(tenant(1), c.now())
	f.RetryAllowed(tenant(1), c.now())
	f.CountRequest(tenant(2), true)
	f.CircuitOpen(tenant(4), c.now())
	if items := syncWith(f, c, true, nil); len(items) != 3 {
		t.Fatalf("synced %d hosts, want the 3 used", len(items))
	}
}

// TestSyncCoversHostsHeldOpen: a host the fleet holds open is synced while
// it is open, used or not, so that its opening is known the moment a
// request asks; then it is left alone.
func TestSyncCoversHostsHeldOpen(t *testing.T) {
	c := newClock()
	f := unitFleet(c)
	f.CircuitOpen(h1, c.now())
	syncWith(f, c, true, func(it *syncItem) { it.openTTL = 2 * time.Second })
	for i := range 3 {
		c.add(500 * time.Millisecond)
		items := syncWith(f, c, true, func(it *syncItem) { it.openTTL = 2*time.Second - time.Duration(i+1)*500*time.Millisecond })
		if len(items) != 1 {
			t.Fatalf("sync %d while open covered %d hosts", i, len(items))
		}
	}
	if !f.CircuitOpen(h1, c.now()) {
		t.Fatal("the opening was lost")
	}
	c.add(time.Second)
	syncWith(f, c, true, func(it *syncItem) { it.openTTL = -2 }) // asked above: covered; now closed
	c.add(100 * time.Millisecond)
	if items := syncWith(f, c, true, nil); len(items) != 0 {
		t.Fatalf("a closed, unused host still synced: %d", len(items))
	}
}

// TestBugIdleHostsDropped: what a Fleet knows of a host goes after the idle
// TTL without use, unless it still has something to write or the fleet
// holds it open; memory follows the hosts in use.
func TestBugIdleHostsDropped(t *testing.T) {
	c := newClock()
	f := unitFleet(c, WithHostIdleTTL(time.Minute))
	for i := range 1000 {
		f.CountRequest(tenant(i), false)
	}
	const held = "https://held.example:443"
	f.CircuitOpen(held, c.now())
	syncWith(f, c, true, func(it *syncItem) {
		if it.h == f.hostState(held) {
			it.openTTL = time.Hour
		}
	})
	c.add(30 * time.Second)
	f.sweep(c.now())
	if f.hostState(tenant(0)) == nil {
		t.Fatal("dropped before the TTL")
	}
	c.add(31 * time.Second)
	f.CountRequest(tenant(1), false) // counted, not yet written
	f.sweep(c.now())
	n := 0
	f.hosts.Range(func(any, any) bool { n++; return true })
	if n != 2 || f.hostState(held) == nil || f.hostState(tenant(1)) == nil {
		t.Fatalf("%d hosts kept, want the one held open and the one with a count to write", n)
	}
	// Used again, it starts afresh.
	f.CountRequest(tenant(0), false)
	if items := syncWith(f, c, true, nil); len(items) != 3 {
		t.Fatalf("synced %d hosts, want 3", len(items))
	}
	// WithHostIdleTTL(0) keeps every host.
	f = unitFleet(c, WithHostIdleTTL(0))
	f.CountRequest(h1, false)
	syncWith(f, c, true, nil)
	c.add(1000 * time.Hour)
	f.sweep(c.now())
	if f.hostState(h1) == nil {
		t.Error("dropped with the TTL off")
	}
}

// TestIdleHostViewGoesStale: a host not covered by the last syncs answers
// from nothing (circuit closed, retries allowed), however fresh the other
// hosts' views, and its next use asks for a sync at once.
func TestIdleHostViewGoesStale(t *testing.T) {
	c := newClock()
	f := unitFleet(c)
	f.RetryAllowed(h1, c.now())
	syncWith(f, c, true, func(it *syncItem) { it.fleetRetries = 1000 })
	if f.RetryAllowed(h1, c.now()) {
		t.Fatal("over budget but allowed")
	}
	syncWith(f, c, true, nil) // covers h1 (asked above), with its own view
	<-f.kick                  // the first use's wake-up
	const h2 = "https://other.example:443"
	for range 20 {
		c.add(100 * time.Millisecond)
		f.CircuitOpen(h2, c.now())
		syncWith(f, c, true, func(it *syncItem) { it.fleetRetries = 1000 })
	}
	select {
	case <-f.kick:
	default:
	}
	if !f.RetryAllowed(h1, c.now()) {
		t.Error("a view two seconds old is still trusted")
	}
	select {
	case <-f.kick:
	default:
		t.Error("a host back in use after missing syncs did not ask for one")
	}
}

// pipeSizes counts the commands of each pipeline a client sends.
type pipeSizes struct {
	mu    sync.Mutex
	sizes []int
}

func (p *pipeSizes) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (p *pipeSizes) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (p *pipeSizes) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		p.mu.Lock()
		p.sizes = append(p.sizes, len(cmds))
		p.mu.Unlock()
		return next(ctx, cmds)
	}
}

func (p *pipeSizes) take() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.sizes
	p.sizes = nil
	return s
}

// patientTestClient is newTestClient (NewClient's settings: deadlines from
// the context, no retries) with dial, read and write timeouts of seconds
// instead of 100 ms: go-redis bounds a pipeline's write and its read by
// these as well as by the context, so a Fleet's WithTimeout cannot lift a
// sync's bound above them.
func patientTestClient(t *testing.T) *redis.Client {
	t.Helper()
	newTestClient(t) // skips when Redis is not reachable
	c := redis.NewClient(&redis.Options{
		Addr:                  redisAddr(),
		ContextTimeoutEnabled: true,
		DialTimeout:           2 * time.Second,
		ReadTimeout:           2 * time.Second,
		WriteTimeout:          2 * time.Second,
		MaxRetries:            -1,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestBugSyncsOnlyHostsInUseOverRedis: against Redis, a member that met 200
// hosts sends pipelines for the one it still uses, and none when idle;
// another member still sees its counts for that host. Idle starts once the
// other member has read every count the first wrote (so the pipeline that
// carried the last of them has been sent), not after a fixed pause a
// loaded machine's late sync could outlast; the budget window is a minute
// so that no count leaves it meanwhile.
func TestBugSyncsOnlyHostsInUseOverRedis(t *testing.T) {
	checkLeaks(t)
	client := patientTestClient(t)
	var sizes pipeSizes
	client.AddHook(&sizes)
	prefix := testPrefix(t)
	// A sync that times out drops its counts and does not list its hosts
	// again: with the default 50 ms, the first sync's 1,000 commands could
	// time out on a loaded machine (with -race) and leave hosts never
	// synced. This test is about which hosts a sync covers, not its speed:
	// WithTimeout gives a sync 2 s, and the clients' own dial, read and
	// write timeouts, which go-redis applies whatever the context allows,
	// are seconds too (NewClient's 100 ms write timeout failed the first
	// sync under -race at a load average of 5: "write tcp ...: i/o
	// timeout", then "every host synced once: not within 5s").
	f := New(client, WithKeyPrefix(prefix), WithSyncInterval(10*time.Millisecond), WithTimeout(2*time.Second),
		WithBudgetWindow(time.Minute))
	defer f.Close()
	other := New(patientTestClient(t), WithKeyPrefix(prefix), WithSyncInterval(10*time.Millisecond), WithTimeout(2*time.Second),
		WithBudgetWindow(time.Minute))
	defer other.Close()
	for i := range 200 {
		f.CountRequest(tenant(i), false)
	}
	eventually(t, 5*time.Second, "every host synced once", func() bool {
		for i := range 200 {
			if f.hostState(tenant(i)).readAt.Load() == 0 {
				return false
			}
		}
		return true
	})
	sizes.take()
	// One host in use for 20 syncs.
	var used []int
	counted := 0
	for deadline := time.Now().Add(10 * time.Second); len(used) < 20 && time.Now().Before(deadline); time.Sleep(3 * time.Millisecond) {
		f.CountRequest(h1, false)
		counted++
		other.CircuitOpen(h1, time.Now())
		used = append(used, sizes.take()...)
	}
	biggest := 0
	for _, n := range used {
		biggest = max(biggest, n)
	}
	t.Logf("%d pipelines while one host was in use, the largest %d commands", len(used), biggest)
	if len(used) < 20 || biggest > 10 { // TIME; INCRBY, EXPIRE, PTTL, 2 MGET; ZADD, ZREMRANGEBYSCORE, ZCARD, EXPIRE
		t.Errorf("%d pipelines, largest %d commands: syncs cover more than the host in use", len(used), biggest)
	}
	// A hang bound only: the other member (still using the host, so still
	// reading it) reads every count, the last pipeline's included.
	eventually(t, 10*time.Second, "the other member sees all the counts", func() bool {
		other.CircuitOpen(h1, time.Now())
		return other.hostState(h1).fleetReqs.Load() == int64(counted)
	})
	// Idle: no round trip at all.
	sizes.take()
	time.Sleep(100 * time.Millisecond) // ten sync intervals (fewer on a loaded machine: any is a failure)
	if idle := sizes.take(); len(idle) != 0 {
		t.Errorf("an idle member sent %d pipelines (%v)", len(idle), idle)
	}
}
