package redisfleet

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/internal/silentpeer"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// Two Fleets on one Redis see each other's openings and counts.
func TestSyncBetweenTwoFleets(t *testing.T) {
	checkLeaks(t)
	// A client that waits seconds for Redis, and syncs bounded by seconds:
	// a sync lost to NewClient's 100 ms limits on a loaded machine would
	// drop its counts, and the exact counts below would never arrive.
	client := patientTestClient(t)
	prefix := testPrefix(t)
	logErr := func(who string) Option {
		return WithErrorHandler(func(err error) { t.Logf("%s: sync failed: %v", who, err) })
	}
	a := New(client, WithKeyPrefix(prefix), WithTimeout(2*time.Second), logErr("a"))
	b := New(client, WithKeyPrefix(prefix), WithTimeout(2*time.Second), logErr("b"))
	defer a.Close()
	defer b.Close()
	b.CircuitOpen(h1, time.Now()) // b learns of the host
	for range 10 {
		a.CountRequest(h1, false)
	}
	a.CountRequest(h1, true)
	a.BreakerChanged(h1, gobreaker.StateOpen, time.Now().Add(5*time.Second))
	took := eventually(t, 5*time.Second, "b sees a's opening", func() bool { return b.CircuitOpen(h1, time.Now()) })
	t.Logf("b saw a's opening after %v", took)
	eventually(t, 10*time.Second, "b sees a's counts", func() bool {
		h := b.hostState(h1)
		return h.fleetReqs.Load() == 10 && h.fleetRetries.Load() == 1
	})
	// Both members counted, each once, and a's first attempts are its own.
	eventually(t, 10*time.Second, "both see two members", func() bool {
		return a.hostState(h1).members.Load() == 2 && b.hostState(h1).members.Load() == 2
	})
	if own := a.hostState(h1).ownReqs.Load(); own != 10 {
		t.Errorf("a's own first attempts in the window: %d, want 10", own)
	}
	if own := b.hostState(h1).ownReqs.Load(); own != 0 {
		t.Errorf("b's own first attempts in the window: %d, want 0", own)
	}
	// The opening ends by itself, read as a remaining time.
	eventually(t, 10*time.Second, "the opening ends", func() bool { return !b.CircuitOpen(h1, time.Now()) })
	// A shorter opening does not cut a longer one short (the longer one
	// lasts well past what a loaded machine takes to get there).
	a.BreakerChanged(h1, gobreaker.StateOpen, time.Now().Add(20*time.Second))
	eventually(t, 10*time.Second, "b sees the second opening", func() bool { return b.CircuitOpen(h1, time.Now()) })
	b.BreakerChanged(h1, gobreaker.StateOpen, time.Now().Add(500*time.Millisecond))
	time.Sleep(800 * time.Millisecond)
	if !b.CircuitOpen(h1, time.Now()) {
		t.Fatal("a shorter opening cut a longer one short")
	}
}

// When A's breaker opens, B refuses too, from its first sync after A's
// opening reached Redis, and sends nothing more until the open window is
// over; then both send again. Nothing here is bounded by a short time, so
// a loaded machine, which only makes things later, cannot fail it:
//   - B learns by order, not by a deadline: a hook on each member's client
//     numbers their syncs on one clock, and once a sync of B's that began
//     after A's sync had read the opening back has succeeded, B must
//     refuse; B must not refuse before a sync of its own read the opening
//     (its breaker never opens); a B that never refuses fails after a
//     hang bound of seconds.
//   - B's refusal is local: with B's Redis traffic held in the hook (its
//     sync goroutine waiting there), B still refuses, sends no command, and
//     returns within the hang bound; a refusal that waited for Redis or a
//     sync would hang.
//   - The open window ends no sooner than open after the request that
//     tripped A's breaker began (less a few ms of Redis's millisecond TTLs):
//     a request that ended before then was inside it and must be refused,
//     and a request that was answered 200 again must end after it.
//
// B trusts its view for a minute (WithStaleAfter), so that syncs a loaded
// machine delays or times out do not make it forget the opening before the
// window is over: forgetting a stale view is TestRedisDiesMidFlow's.
func TestOutageStopsTheWholeFleet(t *testing.T) {
	checkLeaks(t)
	prefix := testPrefix(t)
	be := newBackend(t)
	const (
		open = 3 * time.Second
		// hang bounds waits that take milliseconds on an idle machine.
		hang = 5 * time.Second
	)
	var clock atomic.Int64
	clientA, clientB := newTestClient(t), newTestClient(t)
	watchA, watchB := watchSyncs(clientA, &clock), watchSyncs(clientB, &clock)
	a := newMember(t, "A", New(clientA, WithKeyPrefix(prefix)),
		transport.WithPolicy(oneAttempt()), transport.WithBreaker(tripAfter(3, open)))
	b := newMember(t, "B", New(clientB, WithKeyPrefix(prefix), WithStaleAfter(time.Minute)), // B's own breaker never opens
		transport.WithPolicy(oneAttempt()), transport.WithBreaker(tripAfter(-1, open)))

	for _, m := range []*member{a, b} {
		for range 3 {
			if st, err, _ := m.get(be.URL); st != 200 {
				t.Fatalf("%s healthy: %d %v", m.name, st, err)
			}
		}
	}
	be.down.Store(true)
	// tripped: before the request whose 504 opened A's breaker began; the
	// opening lasts open from a moment after it.
	var tripped time.Time
	for i := 0; ; i++ {
		before := time.Now()
		st, err, _ := a.get(be.URL)
		if isOpen(err) {
			break
		}
		if st != 504 || i > 10 {
			t.Fatalf("A during the outage: attempt %d: %d %v", i, st, err)
		}
		tripped = before
	}
	if tripped.IsZero() {
		t.Fatal("A refused before any 504")
	}
	// Redis keeps the opening in whole milliseconds: a few ms of slack.
	windowEnds := tripped.Add(open - 10*time.Millisecond)

	// B learns at its first sync after A's opening is in Redis.
	learnStart := time.Now()
	for {
		_, aSaw, _ := watchA.state()
		bOK, _, _ := watchB.state()
		st, err, _ := b.get(be.URL)
		after := time.Now()
		if isOpen(err) {
			if _, bSaw, _ := watchB.state(); bSaw == 0 {
				t.Fatal("B refused before any sync of its own read the opening")
			}
			break
		}
		if st != 504 {
			t.Fatalf("B during the outage: %d %v", st, err)
		}
		if aSaw != 0 && bOK > aSaw && after.Before(windowEnds) {
			t.Fatalf("B sent inside the open window after its sync #%d, which began after A's sync had read the opening (#%d), had succeeded", bOK, aSaw)
		}
		if time.Since(learnStart) > hang {
			t.Fatalf("B still sending %v after A's breaker opened (A's sync read the opening back: %v)", hang, aSaw != 0)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("B refused %v after A's breaker opened (sync interval %v)", time.Since(learnStart), DefaultSyncInterval)

	// The refusal is local: it neither waits for Redis nor sends to it.
	release := watchB.holdTraffic(t, hang)
	_, _, entered := watchB.state()
	type answer struct {
		err   error
		after time.Time
	}
	got := make(chan answer, 1)
	go func() {
		_, err, _ := b.get(be.URL)
		got <- answer{err, time.Now()}
	}()
	select {
	case ans := <-got:
		if !isOpen(ans.err) && ans.after.Before(windowEnds) {
			t.Errorf("B, its Redis traffic held, sent inside the open window: %v", ans.err)
		}
	case <-time.After(hang):
		release()
		t.Fatalf("B's request did not return within %v while its Redis traffic was held: it waits for Redis", hang)
	}
	if _, _, n := watchB.state(); n != entered {
		t.Errorf("B's request sent %d commands to Redis", n-entered)
	}
	release()

	// Inside the window (syncs flowing again) B sends nothing.
	inside := 0
	for {
		sent := be.count("B")
		st, err, _ := b.get(be.URL)
		if !time.Now().Before(windowEnds) {
			break // may have been after the window: not judged
		}
		inside++
		if !isOpen(err) {
			t.Fatalf("B sent inside the fleet's open window: %d %v", st, err)
		}
		if n := be.count("B") - sent; n != 0 {
			t.Fatalf("the server saw %d requests from B inside the open window", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("B refused %d requests inside the open window", inside)

	// Recovery: after the open window both send again, not before.
	be.down.Store(false)
	for _, m := range []*member{b, a} {
		var after time.Time
		eventually(t, time.Until(windowEnds)+hang, m.name+" recovers", func() bool {
			st, _, _ := m.get(be.URL)
			after = time.Now()
			return st == 200
		})
		t.Logf("%s answered 200 again %v after the request that opened A's breaker began (open window %v)", m.name, after.Sub(tripped), open)
		if after.Before(windowEnds) {
			t.Errorf("%s sent again %v after the request that opened A's breaker began, before the open window (%v) was over", m.name, after.Sub(tripped), open)
		}
	}
}

// The fleet-wide budget holds the retries of both members together to
// Ratio of their first attempts.
func TestFleetBudgetAcrossMembers(t *testing.T) {
	checkLeaks(t)
	client := newTestClient(t)
	prefix := testPrefix(t)
	be := newBackend(t)
	p := policy.Default()
	p.Backoff = policy.Backoff{Jitter: policy.Constant, Base: time.Millisecond}
	opts := []transport.Option{transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget()}
	const ratio = 0.2
	mk := func(name string) *member {
		return newMember(t, name, New(client, WithKeyPrefix(prefix), WithBudget(ratio, 0)), opts...)
	}
	members := []*member{mk("A"), mk("B")}
	for _, m := range members {
		m.get(be.URL)
		eventually(t, time.Second, m.name+" synced", func() bool { return !m.fleet.Synced().IsZero() })
	}
	be.down.Store(true)
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			for range 150 {
				m.get(be.URL)
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	firsts, retries := be.attempts()
	limit := ratio * float64(firsts)
	t.Logf("first attempts %d, retries %d (budget %.0f; without it %d)", firsts, retries, limit, 2*(firsts-2))
	// Each member sees the other's retries one sync late: allow a little.
	if float64(retries) > limit+20 {
		t.Errorf("%d retries for %d first attempts: over the fleet budget %.0f", retries, firsts, limit)
	}
	if float64(retries) < limit/2 {
		t.Errorf("only %d retries: the budget (%.0f) was not used", retries, limit)
	}
}

// Redis killed mid-test, requests still flowing: no request fails or slows
// because of it, and once StaleAfter has passed the fleet knows nothing,
// leaving each member's own breaker in charge. B's fallback is checked
// against StaleAfter from below (not before it, less two sync intervals)
// and only for a hang from above (fallBound): A's opening holds for a
// minute, so a B that kept trusting the last view it read until the
// opening ended, or for ever, still fails, while a loaded machine's pauses
// do not.
func TestRedisDiesMidFlow(t *testing.T) {
	checkLeaks(t)
	addr, kill := privateRedis(t)
	client := NewClient(addr)
	t.Cleanup(func() { client.Close() })
	be := newBackend(t)
	a := newMember(t, "A", New(client), transport.WithPolicy(oneAttempt()), transport.WithBreaker(tripAfter(3, time.Minute)))
	b := newMember(t, "B", New(client), transport.WithPolicy(oneAttempt()), transport.WithBreaker(tripAfter(-1, time.Minute)))

	// control sends alongside without a fleet: a pause of the whole process
	// (GC, the race detector, a busy machine) shows in its latencies too.
	control := newMember(t, "control", New(client, WithoutBudget()))
	control.rt = transport.New(control.base, transport.WithPolicy(oneAttempt()), transport.WithoutBreaker(), transport.WithFailFast())

	type tally struct {
		ok, gw, open, other atomic.Int64
		mu                  sync.Mutex
		durs                []time.Duration
	}
	var (
		tallies = map[string]*tally{"A": {}, "B": {}, "control": {}}
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for _, m := range []*member{a, b, control} {
		tl := tallies[m.name]
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				st, err, d := m.get(be.URL)
				tl.mu.Lock()
				tl.durs = append(tl.durs, d)
				tl.mu.Unlock()
				switch {
				case st == 200:
					tl.ok.Add(1)
				case st == 504:
					tl.gw.Add(1)
				case isOpen(err):
					tl.open.Add(1)
				default:
					tl.other.Add(1)
					t.Errorf("%s: %d %v", m.name, st, err)
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	be.down.Store(true)
	// A hang only: A trips after three 504s and B reads that at its next sync.
	eventually(t, 10*time.Second, "B refused by the fleet", func() bool { return tallies["B"].open.Load() > 0 })
	be.down.Store(false) // the backend is back, but A's opening holds for a minute
	time.Sleep(200 * time.Millisecond)
	okB := tallies["B"].ok.Load()
	time.Sleep(100 * time.Millisecond)
	if n := tallies["B"].ok.Load() - okB; n != 0 {
		t.Fatalf("B sent %d requests while the fleet held the circuit open", n)
	}
	kill()
	okA, okB := tallies["A"].ok.Load(), tallies["B"].ok.Load()
	// Well under the minute A's opening lasts, well over StaleAfter: a
	// hang, or a view trusted until the opening ends, fails it; a slow
	// machine does not.
	const fallBound = 10 * time.Second
	fell := eventually(t, fallBound, "B falls back to its own breaker", func() bool {
		return tallies["B"].ok.Load() > okB
	})
	t.Logf("Redis killed: B sending again after %v (StaleAfter %v)", fell, DefaultStaleAfter)
	if fell < DefaultStaleAfter-2*DefaultSyncInterval {
		t.Errorf("B forgot the opening after %v, before StaleAfter", fell)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if n := tallies["A"].ok.Load() - okA; n != 0 {
		t.Errorf("A sent %d requests after Redis died, though its own breaker is open", n)
	}
	controlMax := quantile(tallies["control"].durs, 1)
	controlP50 := quantile(tallies["control"].durs, 0.5)
	for _, name := range []string{"A", "B", "control"} {
		tl := tallies[name]
		p99, slowest := quantile(tl.durs, 0.99), quantile(tl.durs, 1)
		t.Logf("%s: %d ok, %d 504, %d refused, %d other; RoundTrip p50 %v, p99 %v, max %v", name,
			tl.ok.Load(), tl.gw.Load(), tl.open.Load(), tl.other.Load(), quantile(tl.durs, 0.5), p99, slowest)
		if name == "control" {
			continue
		}
		// A RoundTrip that waited for Redis would take a sync timeout
		// more than one without a fleet, and every sync after the kill
		// fails: the median would be that much slower than the
		// control's, which a loaded machine slows as much (pauses of the
		// whole process show in both; the control's slowest: controlMax).
		if p50 := quantile(tl.durs, 0.5); p50 >= controlP50+DefaultTimeout {
			t.Errorf("%s: median RoundTrip %v, the control's %v: requests wait for Redis (p99 %v, slowest %v, without a fleet %v)",
				name, p50, controlP50, p99, slowest, controlMax)
		}
	}
	start := time.Now()
	a.fleet.Close()
	b.fleet.Close()
	if d := time.Since(start); d > closeHang {
		t.Errorf("Close with Redis dead took %v: it waits for more than a sync in flight (%v)", d, DefaultTimeout)
	}
}

// A Redis that accepts connections and never answers: every sync times out,
// no request waits, and Close returns at once.
func TestRedisThatNeverAnswers(t *testing.T) {
	checkLeaks(t)
	client := NewClient(silentpeer.Start(t))
	t.Cleanup(func() { client.Close() })
	var syncErrs atomic.Int64
	be := newBackend(t)
	m := newMember(t, "A", New(client, WithErrorHandler(func(error) { syncErrs.Add(1) })), transport.WithPolicy(oneAttempt()))
	control := newMember(t, "control", New(client, WithoutBudget()), transport.WithPolicy(oneAttempt()))
	control.rt = transport.New(control.base, transport.WithPolicy(oneAttempt())) // no fleet at all
	var durs, controlDurs []time.Duration
	for start := time.Now(); time.Since(start) < 500*time.Millisecond; {
		for _, mm := range []*member{m, control} {
			st, err, d := mm.get(be.URL)
			if st != 200 {
				t.Fatalf("%s: %d %v", mm.name, st, err)
			}
			if mm == m {
				durs = append(durs, d)
			} else {
				controlDurs = append(controlDurs, d)
			}
		}
	}
	if syncErrs.Load() == 0 {
		t.Error("no sync timed out")
	}
	p99, slowest := quantile(durs, 0.99), quantile(durs, 1)
	t.Logf("%d RoundTrips with the fleet: p50 %v, p99 %v, max %v; without: p50 %v, p99 %v, max %v; %d syncs timed out",
		len(durs), quantile(durs, 0.5), p99, slowest,
		quantile(controlDurs, 0.5), quantile(controlDurs, 0.99), quantile(controlDurs, 1), syncErrs.Load())
	// Nothing waits for Redis: a RoundTrip that did would take the sync
	// timeout (50 ms) more than one without a fleet, and syncs time out
	// back to back here, so the median would be that much slower than the
	// control's; pauses of the whole process (GC, the race detector, a
	// busy machine) slow the control as much.
	if p50, c50 := quantile(durs, 0.5), quantile(controlDurs, 0.5); p50 >= c50+DefaultTimeout {
		t.Errorf("median RoundTrip %v, the control's %v (p99 %v, slowest %v): requests wait for a silent Redis", p50, c50, p99, slowest)
	}
	start := time.Now()
	m.fleet.Close()
	if d := time.Since(start); d > closeHang {
		t.Errorf("Close took %v; a sync in flight should end within its timeout (%v)", d, DefaultTimeout)
	}
}

// closeHang bounds Close when Redis is dead or silent: a sync in flight
// ends within DefaultTimeout, but a loaded machine may take longer to get
// there, so only a Close that hangs (waits for Redis itself) passes it.
const closeHang = 5 * time.Second

// quantile returns the q quantile of ds (1: the maximum).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// The budget's seconds and the members' scores were each member's own
// clock: a member whose clock ran 40 s behind wrote its first attempts
// under seconds the others never read and scored itself as silent, so
// the others dropped it from the member set. Both now read Redis's clock
// (TIME) at each sync.
func TestBugMembersClocksDisagree(t *testing.T) {
	checkLeaks(t)
	client := newTestClient(t)
	prefix := testPrefix(t)
	a := New(client, WithKeyPrefix(prefix))
	defer a.Close()
	cfg := defaultConfig()
	WithKeyPrefix(prefix)(&cfg)
	cfg.now = func() time.Time { return time.Now().Add(-40 * time.Second) }
	cfg.fix()
	b := newFleet(client, cfg)
	go b.run()
	defer b.Close()

	// b's first sync learns the offset; its counts from then on land in
	// the seconds a reads.
	b.CountRequest(h1, false)
	eventually(t, 2*time.Second, "b synced", func() bool { return !b.Synced().IsZero() })
	for range 10 {
		b.CountRequest(h1, false)
	}
	eventually(t, 2*time.Second, "a sees b's first attempts", func() bool {
		a.CircuitOpen(h1, time.Now()) // keeps the host in a's syncs
		return a.hostState(h1).fleetReqs.Load() >= 10
	})
	eventually(t, 10*time.Second, "both see two members", func() bool {
		a.CircuitOpen(h1, time.Now())
		b.CircuitOpen(h1, time.Now())
		return a.hostState(h1).members.Load() == 2 && b.hostState(h1).members.Load() == 2
	})
	if own := b.hostState(h1).ownReqs.Load(); own < 10 {
		t.Errorf("b's own first attempts in the window: %d, want at least 10", own)
	}
}

// A server that refuses TIME (an ACL without it, a renamed command) does
// not stop the fleet: its syncs succeed on the member's own clock.
func TestSyncWithoutTime(t *testing.T) {
	checkLeaks(t)
	admin := newTestClient(t)
	ctx := context.Background()
	user := "notime" + testPrefix(t)[:8]
	user = strings.NewReplacer(":", "", "{", "", "}", "").Replace(user)
	if err := admin.Do(ctx, "ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all", "-time").Err(); err != nil {
		t.Fatalf("ACL SETUSER: %v", err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
	client := redis.NewClient(&redis.Options{Addr: redisAddr(), Username: user, Password: "pw", MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	if err := client.Time(ctx).Err(); err == nil {
		t.Fatal("TIME allowed: the test needs a user without it")
	}
	var failed atomic.Int64
	f := New(client, WithKeyPrefix(testPrefix(t)), WithErrorHandler(func(error) { failed.Add(1) }))
	defer f.Close()
	for range 5 {
		f.CountRequest(h1, false)
	}
	eventually(t, 2*time.Second, "a sync without TIME", func() bool {
		f.CircuitOpen(h1, time.Now())
		return f.hostState(h1).fleetReqs.Load() == 5
	})
	if !f.noTime.Load() || failed.Load() != 0 {
		t.Errorf("noTime %v, %d failed syncs; want the refusal noted and no failure", f.noTime.Load(), failed.Load())
	}
}
