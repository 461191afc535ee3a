package redisfleet

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// clock is a settable clock for the Fleet's own reads of time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock() *clock               { return &clock{t: time.Unix(1_800_000_000, 0)} }
func unitFleet(c *clock, opts ...Option) *Fleet {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.now = c.now
	cfg.fix()
	return newFleet(nil, cfg) // no goroutine, no Redis: collect and settle by hand
}

const h1 = "https://api.example.com:443"

// syncWith runs collect and settle as a sync at the clock's time whose
// read returned view for every host.
func syncWith(f *Fleet, c *clock, ok bool, view func(*syncItem)) []syncItem {
	items := f.collect(c.now(), c.now().Unix())
	for i := range items {
		if view != nil {
			view(&items[i])
		}
	}
	f.settle(items, ok, c.now())
	return items
}

func TestKnowsNothingBeforeFirstSync(t *testing.T) {
	c := newClock()
	f := unitFleet(c)
	if f.CircuitOpen(h1, c.now()) {
		t.Error("CircuitOpen before any sync")
	}
	if !f.RetryAllowed(h1, c.now()) {
		t.Error("RetryAllowed false before any sync")
	}
	if !f.Synced().IsZero() {
		t.Error("Synced not zero before any sync")
	}
}

func TestCircuitOpenFollowsViewAndStaleness(t *testing.T) {
	c := newClock()
	f := unitFleet(c, WithStaleAfter(time.Second))
	f.CountRequest(h1, false)
	syncWith(f, c, true, func(it *syncItem) { it.openTTL = 3 * time.Second })
	t0 := c.now()
	if !f.CircuitOpen(h1, t0) {
		t.Fatal("fleet holds it open but CircuitOpen is false")
	}
	if !f.CircuitOpen(h1, t0.Add(900*time.Millisecond)) {
		t.Error("open view dropped before StaleAfter")
	}
	if f.CircuitOpen(h1, t0.Add(1100*time.Millisecond)) {
		t.Error("a view older than StaleAfter still holds the circuit open")
	}
	// A later sync renews the view; the opening ends at its deadline.
	c.add(time.Second)
	syncWith(f, c, true, func(it *syncItem) { it.openTTL = 2 * time.Second })
	if !f.CircuitOpen(h1, c.now().Add(900*time.Millisecond)) {
		t.Error("a renewed view does not hold the circuit open")
	}
	c.add(time.Second)
	syncWith(f, c, true, func(it *syncItem) { it.openTTL = -2 }) // key gone
	if f.CircuitOpen(h1, c.now()) {
		t.Error("CircuitOpen after the fleet's key expired")
	}
	// A failed sync keeps the last view until it goes stale.
	syncWith(f, c, true, func(it *syncItem) { it.openTTL = 5 * time.Second })
	c.add(500 * time.Millisecond)
	syncWith(f, c, false, nil)
	if !f.CircuitOpen(h1, c.now()) {
		t.Error("a failed sync dropped a fresh view")
	}
	if f.CircuitOpen(h1, c.now().Add(600*time.Millisecond)) {
		t.Error("stale after a failed sync, yet still open")
	}
}

func TestBreakerChangedPublishesOpenings(t *testing.T) {
	c := newClock()
	f := unitFleet(c)
	for _, st := range []gobreaker.State{gobreaker.StateClosed, gobreaker.StateHalfOpen} {
		f.BreakerChanged(h1, st, c.now().Add(time.Minute))
	}
	if items := f.collect(c.now(), c.now().Unix()); len(items) != 0 && items[0].publish != 0 {
		t.Fatalf("closed/half-open published: %+v", items)
	}
	until := c.now().Add(10 * time.Second)
	f.BreakerChanged(h1, gobreaker.StateOpen, until)
	f.BreakerChanged(h1, gobreaker.StateOpen, until.Add(-time.Second)) // shorter: ignored
	select {
	case <-f.kick:
	default:
		t.Error("an opening did not wake the sync goroutine")
	}
	items := syncWith(f, c, false, nil)
	if len(items) != 1 || items[0].publish != until.UnixNano() {
		t.Fatalf("collect = %+v, want the opening until %v", items, until)
	}
	items = syncWith(f, c, true, nil) // failed before: tried again
	if items[0].publish != until.UnixNano() {
		t.Fatalf("opening not retried after a failed sync: %+v", items)
	}
	if items = f.collect(c.now(), c.now().Unix()); len(items) != 0 {
		// Not in use since, nothing left to write: not synced at all.
		t.Errorf("opening published twice, or an idle host synced: %+v", items)
	}
	// An opening whose time is over is not published.
	f.BreakerChanged(h1, gobreaker.StateOpen, c.now().Add(time.Second))
	c.add(2 * time.Second)
	if items = f.collect(c.now(), c.now().Unix()); items[0].publish != 0 {
		t.Error("an expired opening was published")
	}
}

func TestBudgetCountsAndRatio(t *testing.T) {
	c := newClock()
	f := unitFleet(c) // ratio 0.2, 1 retry/s over 10 s: floor 10
	now := c.now()
	for range 100 {
		f.CountRequest(h1, false) // the fleet's only member: its share is all the room
	}
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs, it.fleetRetries = 100, 29 })
	// 29 (+1 pending below) against 0.2*100 + 10 = 30.
	if !f.RetryAllowed(h1, now) {
		t.Fatal("29 retries of 100 requests refused; the budget is 30")
	}
	f.CountRequest(h1, true) // this member's own, not yet written
	if f.RetryAllowed(h1, now) {
		t.Fatal("30 retries allowed; the budget is 30")
	}
	f.CountRequest(h1, false)
	f.CountRequest(h1, false)
	f.CountRequest(h1, false)
	f.CountRequest(h1, false)
	f.CountRequest(h1, false) // 105 requests: 31
	if !f.RetryAllowed(h1, now) {
		t.Fatal("own first attempts not counted")
	}
	// Handed to a sync, still counted until it is read back.
	f.cfg.draw = func() float64 { return 0.99 } // no share rounded up below
	items := f.collect(c.now(), c.now().Unix())
	if items[0].reqs != 5 || items[0].retries != 1 {
		t.Fatalf("collect took %d reqs, %d retries; want 5, 1", items[0].reqs, items[0].retries)
	}
	if !f.RetryAllowed(h1, now) {
		t.Fatal("counts in flight to Redis were lost")
	}
	items[0].fleetReqs, items[0].fleetRetries = 105, 30
	f.settle(items, true, c.now())
	if !f.RetryAllowed(h1, now) || f.hostState(h1).sendingReqs.Load() != 0 {
		t.Fatal("counts read back were counted twice or stayed in flight")
	}
	// A failed sync drops what it carried.
	f.CountRequest(h1, true)
	syncWith(f, c, false, nil)
	if h := f.hostState(h1); h.sendingRetries.Load() != 0 || h.pendingRetries.Load() != 0 {
		t.Fatal("a failed sync kept its counts")
	}
	// Stale: allowed whatever the counts.
	f.CountRequest(h1, false) // in use again, so the next sync covers it
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs, it.fleetRetries = 0, 1000 })
	if f.RetryAllowed(h1, c.now()) {
		t.Fatal("over budget but allowed")
	}
	if !f.RetryAllowed(h1, c.now().Add(2*time.Second)) {
		t.Fatal("stale view still refuses retries")
	}
}

// TestBudgetShare: a member takes its part of the room the view shows
// (policy.FleetBudget): p / (2P - p), p its first attempts in the window
// plus one, P the fleet's plus one per member, rounded up when the draw of
// its last sync is below the part's fraction; a member whose own first
// attempts have left the window still has one first attempt's weight.
func TestBudgetShare(t *testing.T) {
	c := newClock()
	f := unitFleet(c) // ratio 0.2, 1 retry/s over 10 s: floor 10
	draw := 0.99
	f.cfg.draw = func() float64 { return draw }
	for range 10 {
		f.CountRequest(h1, false)
	}
	// 10 of the fleet's 100 first attempts, 10 members: 11/209 of the room
	// 0.2*100 + 10 - 5 = 25, 1.32, rounded down by a draw of 0.99.
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs, it.fleetRetries, it.members = 100, 5, 10 })
	if got := allowedRetries(f, c); got != 1 {
		t.Errorf("part 1.32, draw 0.99: %d retries allowed, want 1", got)
	}
	// Rounded up by a draw under its fraction.
	draw = 0.3
	f.CountRequest(h1, false) // in use: the next sync covers it; 11 of 101
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs, it.fleetRetries, it.members = 101, 6, 10 })
	// 12/210 of 0.2*101 + 10 - 6 = 24.2: 1.38, rounded up.
	if got := allowedRetries(f, c); got != 2 {
		t.Errorf("part 1.38, draw 0.3: %d retries allowed, want 2", got)
	}
	// 11 s later this member's first attempts have left the window; the
	// fleet's have not (others keep sending): one first attempt's weight.
	c.add(11 * time.Second)
	draw = 0
	f.CountRequest(h1, true) // in use; a retry of a call begun before
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs, it.fleetRetries, it.members = 100, 0, 10 })
	if v := f.hostState(h1).ownReqs.Load(); v != 0 {
		t.Fatalf("own first attempts in the window: %d, want 0 (they left it)", v)
	}
	// 1/219 of 30: 0.14, rounded up by a draw of 0.
	if got := allowedRetries(f, c); got != 1 {
		t.Errorf("no own first attempts in the window: %d retries allowed, want 1", got)
	}
	draw = 0.5
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs, it.fleetRetries, it.members = 100, 1, 10 })
	if got := allowedRetries(f, c); got != 0 {
		t.Errorf("no own first attempts, part 0.14, draw 0.5: %d retries allowed, want 0", got)
	}
}

// allowedRetries counts the retries f allows for h1 before it refuses one,
// each counted as it would be when sent.
func allowedRetries(f *Fleet, c *clock) int {
	n := 0
	for ; n < 1000 && f.RetryAllowed(h1, c.now()); n++ {
		f.CountRequest(h1, true)
	}
	return n
}

func TestWithoutBudget(t *testing.T) {
	c := newClock()
	f := unitFleet(c, WithoutBudget())
	f.CountRequest(h1, true) // ignored: no host is even created
	syncWith(f, c, true, nil)
	if !f.RetryAllowed(h1, c.now()) {
		t.Fatal("WithoutBudget refused a retry")
	}
	f.CircuitOpen(h1, c.now())
	if items := f.collect(c.now(), c.now().Unix()); len(items) != 1 || items[0].reqs != 0 || items[0].retries != 0 {
		t.Fatalf("WithoutBudget counted: %+v", items)
	}
}

func TestWithBudgetNegativeMeansZero(t *testing.T) {
	c := newClock()
	f := unitFleet(c, WithBudget(-1, -1))
	f.CountRequest(h1, false)
	syncWith(f, c, true, func(it *syncItem) { it.fleetReqs = 1000 })
	if f.RetryAllowed(h1, c.now()) {
		t.Fatal("a zero budget allowed a retry")
	}
}

func TestConfigFix(t *testing.T) {
	cfg := defaultConfig()
	WithBudgetWindow(2500 * time.Millisecond)(&cfg)
	WithSyncInterval(time.Second)(&cfg)
	WithStaleAfter(10 * time.Millisecond)(&cfg)
	WithTimeout(-1)(&cfg)
	cfg.fix()
	if cfg.window != 2*time.Second || cfg.timeout != DefaultTimeout || cfg.staleAfter != time.Second+DefaultTimeout {
		t.Fatalf("fix: window %v timeout %v staleAfter %v", cfg.window, cfg.timeout, cfg.staleAfter)
	}
	cfg = defaultConfig()
	WithBudgetWindow(0)(&cfg)
	cfg.fix()
	if cfg.window != time.Second {
		t.Fatalf("window 0 became %v, want 1s", cfg.window)
	}
}

func TestKeys(t *testing.T) {
	k := newHostKeys("p:", "http://127.0.0.1:80")
	if k.open != "p:{http://127.0.0.1:80}:open" || k.req != "p:{http://127.0.0.1:80}:req:" {
		t.Fatalf("keys %+v", k)
	}
	if got, want := buckets("b:", 100, 3*time.Second), []string{"b:98", "b:99", "b:100"}; !slices.Equal(got, want) {
		t.Fatalf("buckets = %v, want %v", got, want)
	}
	if n := sum([]any{"3", nil, "4", "x"}); n != 7 {
		t.Fatalf("sum = %d", n)
	}
}

func TestCloseIsIdempotentAndStopsTheGoroutine(t *testing.T) {
	checkLeaks(t)
	c := NewClient("127.0.0.1:1") // nothing listens: every sync fails fast
	defer c.Close()
	var errs atomic.Int64
	f := New(c, WithSyncInterval(time.Millisecond), WithErrorHandler(func(error) { errs.Add(1) }))
	f.CountRequest(h1, false)
	eventually(t, 2*time.Second, "a sync error reported against a closed port", func() bool { return errs.Load() > 0 })
	start := time.Now()
	f.Close()
	f.Close()
	if d := time.Since(start); d > closeHang { // a hang: nothing is in flight but a sync to a closed port
		t.Errorf("Close took %v", d)
	}
	if f.CircuitOpen(h1, time.Now()) || !f.RetryAllowed(h1, time.Now()) {
		t.Error("a Fleet that never synced does not answer 'knows nothing'")
	}
}
