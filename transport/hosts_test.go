package transport

import (
	"errors"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/policy"
)

// fastTestPolicy retries at once.
func fastTestPolicy() policy.Policy {
	p := policy.Default()
	p.Backoff = policy.Backoff{Jitter: policy.NoWait}
	return p
}

// fakeClock is a settable clock for the host table.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// okBase answers 200 at once, without a network.
var okBase = roundTripper(func(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
})

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// withClock makes a Transport whose host table reads time from a fake clock.
func withClock(base http.RoundTripper, opts ...Option) (*Transport, *fakeClock) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	t := New(base, opts...)
	t.hosts.now = clk.now
	return t, clk
}

func (t *hostTable) size() (names, keys int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byName), len(t.byKey)
}

func (t *hostTable) has(name string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byName[name] != nil
}

func get(t *testing.T, rt http.RoundTripper, u string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestBugHostStateExpiresWhenIdle: a host's state goes once it has been idle
// for the TTL (default DefaultHostIdleTTL), not before; other hosts' use
// is what sweeps it.
func TestBugHostStateExpiresWhenIdle(t *testing.T) {
	rt, clk := withClock(okBase)
	get(t, rt, "https://a.example/x")
	clk.add(DefaultHostIdleTTL - time.Second)
	get(t, rt, "https://b.example/x")
	if !rt.hosts.has("https://a.example:443") {
		t.Fatal("a host idle for less than the TTL was dropped")
	}
	clk.add(sweepEvery(DefaultHostIdleTTL) + time.Second) // the table is swept every TTL/8
	get(t, rt, "https://b.example/y")
	if rt.hosts.has("https://a.example:443") {
		t.Error("a host idle for longer than the TTL is still kept")
	}
	if !rt.hosts.has("https://b.example:443") {
		t.Error("the host in use was dropped")
	}
	// Used again, it starts afresh.
	get(t, rt, "https://a.example/x")
	if !rt.hosts.has("https://a.example:443") {
		t.Error("a host used again has no state")
	}
}

// TestHostStateKeptInFlight: a request in flight for longer than the TTL
// keeps its host's state, and the request's end counts as use.
func TestHostStateKeptInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	base := roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == "slow.example" {
			close(entered)
			<-release
		}
		return okBase(r)
	})
	rt, clk := withClock(base)
	done := make(chan struct{})
	go func() {
		defer close(done)
		get(t, rt, "https://slow.example/")
	}()
	<-entered
	clk.add(3 * DefaultHostIdleTTL)
	get(t, rt, "https://other.example/")
	if !rt.hosts.has("https://slow.example:443") {
		t.Fatal("the state of a host with a request in flight was dropped")
	}
	close(release)
	<-done
	clk.add(DefaultHostIdleTTL / 2)
	get(t, rt, "https://other.example/")
	if !rt.hosts.has("https://slow.example:443") {
		t.Error("dropped half a TTL after its request ended")
	}
	clk.add(DefaultHostIdleTTL)
	get(t, rt, "https://other.example/")
	if rt.hosts.has("https://slow.example:443") {
		t.Error("kept a TTL after its request ended")
	}
}

// TestHostStateKeptWhileBreakerOpen: an open breaker is kept for as long
// as it stays open, however idle its host: dropping it would let traffic
// through to a host known to be down.
func TestHostStateKeptWhileBreakerOpen(t *testing.T) {
	failing := roundTripper(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("boom")
	})
	s := DefaultBreaker()
	s.Timeout = 3 * DefaultHostIdleTTL
	s.ReadyToTrip = func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 }
	p := fastTestPolicy()
	p.MaxAttempts = 1
	rt, clk := withClock(failing, WithBreaker(s), WithPolicy(p))
	req, _ := http.NewRequest("GET", "https://down.example/", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error")
	}
	if st := rt.hosts.byName["https://down.example:443"].breaker.State(); st != gobreaker.StateOpen {
		t.Fatalf("breaker %v", st)
	}
	clk.add(2 * DefaultHostIdleTTL)
	rt.hosts.sweep(clk.now())
	if !rt.hosts.has("https://down.example:443") {
		t.Fatal("an open breaker was dropped")
	}
	clk.add(2 * DefaultHostIdleTTL) // open time over, and idle for a TTL since
	rt.hosts.sweep(clk.now())
	if rt.hosts.has("https://down.example:443") {
		t.Error("kept after its open time and a TTL")
	}
}

// TestBugHostStateBoundedManyHosts: a client that talks to 100,000 distinct
// hosts, one a second, keeps the state of those used within about a TTL,
// not of every host ever seen, and its heap does not grow with them.
func TestBugHostStateBoundedManyHosts(t *testing.T) {
	rt, clk := withClock(okBase)
	const hosts = 100_000
	most := 0
	var before, after runtime.MemStats
	for i := range hosts {
		u := &url.URL{Scheme: "https", Host: "tenant-" + strconv.Itoa(i) + ".example"}
		rt.hosts.release(rt.hosts.get(u), time.Time{})
		clk.add(time.Second)
		if n, k := rt.hosts.size(); max(n, k) > most {
			most = max(n, k)
		}
		if i == hosts/10 {
			runtime.GC()
			runtime.ReadMemStats(&before)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(rt)
	bound := int(DefaultHostIdleTTL/time.Second) * 5 / 4
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("at most %d hosts held (bound %d) for %d hosts seen; heap %+d B over the last %d", most, bound, hosts, grew, hosts*9/10)
	if most > bound {
		t.Errorf("held %d hosts' state at once, want at most %d", most, bound)
	}
	if grew > 1<<20 { // 90,000 states kept would be tens of MiB
		t.Errorf("heap grew by %d B while the table should have stayed the same size", grew)
	}
}

// TestHostIdleTTLOption: WithHostIdleTTL sets the TTL; 0 keeps state for
// ever.
func TestHostIdleTTLOption(t *testing.T) {
	rt, clk := withClock(okBase, WithHostIdleTTL(time.Minute))
	get(t, rt, "https://a.example/")
	clk.add(2 * time.Minute)
	get(t, rt, "https://b.example/")
	if rt.hosts.has("https://a.example:443") {
		t.Error("kept past a TTL of one minute")
	}
	rt, clk = withClock(okBase, WithHostIdleTTL(0))
	get(t, rt, "https://a.example/")
	clk.add(1000 * time.Hour)
	get(t, rt, "https://b.example/")
	if !rt.hosts.has("https://a.example:443") {
		t.Error("dropped with expiry off")
	}
}

// TestHostTableSpellings: the several spellings of one host share one
// state, and all of them go with it.
func TestHostTableSpellings(t *testing.T) {
	rt, clk := withClock(okBase)
	for _, u := range []string{"https://A.example/", "https://a.example:443/", "https://a.example/"} {
		get(t, rt, u)
	}
	if n, k := rt.hosts.size(); n != 1 || k != 3 {
		t.Fatalf("%d states, %d keys", n, k)
	}
	clk.add(2 * DefaultHostIdleTTL)
	u, _ := url.Parse("https://b.example/")
	rt.hosts.release(rt.hosts.get(u), time.Time{})
	if n, k := rt.hosts.size(); n != 1 || k != 1 {
		t.Errorf("%d states, %d keys after the sweep, want b's only", n, k)
	}
}

// TestHostTableConcurrentSweeps: with sweeps all the time, a host in use
// is never dropped under it, and the table ends empty once all are idle.
func TestHostTableConcurrentSweeps(t *testing.T) {
	t.Parallel()
	rt := New(okBase, WithHostIdleTTL(time.Nanosecond))
	tab := &rt.hosts
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				u := &url.URL{Scheme: "https", Host: "h" + strconv.Itoa((g+i)%5) + ".example"}
				h := tab.get(u)
				tab.mu.RLock()
				kept := tab.byName[h.name] == h
				tab.mu.RUnlock()
				if !kept {
					t.Errorf("%s dropped while in flight", h.name)
					return
				}
				tab.release(h, time.Time{})
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Millisecond)
	tab.sweep(time.Now())
	if n, k := tab.size(); n != 0 || k != 0 {
		t.Errorf("%d states, %d keys left once idle", n, k)
	}
}

// TestHostTableLastEntryDropped: the state the table found last, once
// dropped, is not handed out again: the host gets a state of its own.
func TestHostTableLastEntryDropped(t *testing.T) {
	rt, clk := withClock(okBase)
	get(t, rt, "https://a.example/x")
	get(t, rt, "https://a.example/x") // found in the table: the entry found last
	clk.add(DefaultHostIdleTTL + time.Second)
	rt.hosts.sweep(clk.now())
	if rt.hosts.has("https://a.example:443") {
		t.Fatal("a host idle for longer than the TTL is still kept")
	}
	u, err := url.Parse("https://a.example/x")
	if err != nil {
		t.Fatal(err)
	}
	h := rt.hosts.get(u)
	defer rt.hosts.release(h, time.Time{})
	rt.hosts.mu.RLock()
	evicted, kept := h.evicted, rt.hosts.byName["https://a.example:443"] == h
	rt.hosts.mu.RUnlock()
	if evicted || !kept {
		t.Errorf("the host was handed its dropped state (evicted %v, in the table %v)", evicted, kept)
	}
}

// TestHostUseWord: a state found without the table's lock is used only if
// no sweep dropped it, and a sweep keeps a state that a request used
// between its look at the state and its drop, even one already released.
func TestHostUseWord(t *testing.T) {
	rt, clk := withClock(okBase)
	u, err := url.Parse("https://a.example/x")
	if err != nil {
		t.Fatal(err)
	}
	h := rt.hosts.get(u)
	rt.hosts.release(h, time.Time{})
	if got := h.inflight.Load() & hostCount; got != 0 {
		t.Fatalf("%d in flight after release, want 0", got)
	}
	seen := h.inflight.Load() // what a sweep saw: none in flight
	if !h.use() {
		t.Fatal("a state no sweep dropped refused a request")
	}
	rt.hosts.release(h, time.Time{})
	if h.inflight.CompareAndSwap(seen, seen|hostDropped) {
		t.Fatal("a sweep dropped a state used since it looked at it")
	}
	clk.add(DefaultHostIdleTTL + time.Second)
	rt.hosts.sweep(clk.now())
	if h.inflight.Load()&hostDropped == 0 || rt.hosts.has("https://a.example:443") {
		t.Fatal("the idle state was not dropped")
	}
	if h.use() {
		t.Error("a dropped state took a request")
	}
	// A get that loaded the entry found last before the sweep cleared it.
	rt.hosts.last.Store(&hostEntry{key: hostKey{u.Scheme, u.Host}, h: h})
	h2 := rt.hosts.get(u)
	defer rt.hosts.release(h2, time.Time{})
	if h2 == h || h2.inflight.Load()&hostCount != 1 {
		t.Errorf("get handed the dropped state (%v) or miscounted (%d)", h2 == h, h2.inflight.Load()&hostCount)
	}
}
