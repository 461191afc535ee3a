package transport

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// A waiter whose limit comes at or before its slot in a tick's release is
// never granted: granted at its caller's deadline it would send an attempt
// the caller has given up on, or not, as the scheduler ordered the two
// wake-ups. The slot goes to the next waiter.
func TestReleaseSkipsWaitersPastTheirLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
		now := time.Now()
		late := &waiter{grant: make(chan waitGrant, 1), limit: now}                               // its limit is this instant
		midTick := &waiter{grant: make(chan waitGrant, 1), limit: now.Add(50 * time.Millisecond)} // slot 2 of 2 is at +50 ms
		onTime := &waiter{grant: make(chan waitGrant, 1), limit: now.Add(time.Second)}
		next := &waiter{grant: make(chan waitGrant, 1), limit: now.Add(time.Second)}
		w.queue = []*waiter{late, onTime, midTick, next}
		if got := w.release(2, false, true, 0, false); got != 2 {
			t.Fatalf("released %d, want 2", got)
		}
		for name, wt := range map[string]*waiter{"late": late, "midTick": midTick} {
			if len(wt.grant) != 0 {
				t.Errorf("%s waiter granted at or after its limit", name)
			}
		}
		if g := <-onTime.grant; g.after != 0 {
			t.Errorf("first slot after %v, want 0", g.after)
		}
		if g := <-next.grant; g.after != 50*time.Millisecond {
			t.Errorf("second slot after %v, want 50ms", g.after)
		}
		if len(w.queue) != 0 {
			t.Errorf("%d left in the queue", len(w.queue))
		}
	})
}

// A failure learnt at the very instant of a step restarts the slow start
// from the next step, whether it came before or after the step: the same
// release either way.
func TestVerdictAtAStepCountsFromTheNext(t *testing.T) {
	fail := &OutcomeError{}
	for _, learnFirst := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
			w.running = true // a pacer runs: verdicts wait for its steps
			w.burst = 8
			now := time.Now()
			learn := func() { w.learn(now, now.Add(-time.Second), time.Second, fail, fail, false) }
			if learnFirst {
				learn()
			}
			w.mu.Lock()
			w.applyVerdicts(now) // what step does first
			burst := w.burst
			w.mu.Unlock()
			if !learnFirst {
				learn()
			}
			if burst != 8 {
				t.Errorf("learnt first=%v: the step at the failure's instant saw burst %d, want 8", learnFirst, burst)
			}
			time.Sleep(100 * time.Millisecond)
			w.mu.Lock()
			w.applyVerdicts(time.Now())
			burst = w.burst
			w.mu.Unlock()
			if burst != 1 {
				t.Errorf("learnt first=%v: the next step saw burst %d, want 1", learnFirst, burst)
			}
		})
	}
}

// A waiter is released only with time left to land before its caller's
// deadline: more than need after its slot (the host's landing time for a
// release, the slow-call threshold for a probe). Those without are dropped
// (their own timers end their waits); a waiter whose caller set no
// deadline is never dropped for it (MaxWait bounds the wait, not the
// attempt).
func TestReleaseNeedsTimeToLand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
		now := time.Now()
		mk := func(limit, deadline time.Duration) *waiter {
			wt := &waiter{grant: make(chan waitGrant, 1), limit: now.Add(limit)}
			if deadline > 0 {
				wt.deadline = now.Add(deadline)
			}
			return wt
		}
		short := mk(time.Second, time.Second)      // 1 s left: less than the probe's 2 s
		atNeed := mk(2*time.Second, 2*time.Second) // exactly 2 s: not more
		noDeadline := mk(500*time.Millisecond, 0)  // MaxWait only: its attempt is not cut
		enough := mk(5*time.Second, 5*time.Second)
		w.queue = []*waiter{short, atNeed, noDeadline, enough}
		if got := w.release(2, false, true, 2*time.Second, false); got != 2 {
			t.Fatalf("released %d, want 2", got)
		}
		for name, wt := range map[string]*waiter{"short": short, "atNeed": atNeed} {
			if len(wt.grant) != 0 {
				t.Errorf("%s: granted without time to be judged", name)
			}
		}
		for name, wt := range map[string]*waiter{"noDeadline": noDeadline, "enough": enough} {
			if len(wt.grant) != 1 {
				t.Errorf("%s: not granted", name)
			}
		}
		if len(w.queue) != 0 {
			t.Errorf("%d left in the queue", len(w.queue))
		}
	})
}

// An extra probe goes to the newest waiter (the most time left to be
// judged), and only when it has the time; the others keep their places.
func TestExtraProbeTakesTheNewest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
		now := time.Now()
		mk := func(d time.Duration) *waiter {
			return &waiter{grant: make(chan waitGrant, 1), limit: now.Add(d), deadline: now.Add(d)}
		}
		oldest, middle, newest := mk(3*time.Second), mk(6*time.Second), mk(9*time.Second)
		w.queue = []*waiter{oldest, middle, newest}
		if got := w.release(1, false, true, 2*time.Second, true); got != 1 || len(newest.grant) != 1 {
			t.Fatalf("released %d, newest granted %v", got, len(newest.grant) == 1)
		}
		if len(w.queue) != 2 || w.queue[0] != oldest || w.queue[1] != middle {
			t.Errorf("queue after the probe: %v", w.queue)
		}
		// The newest left has 6 s: not enough for a probe that needs 7.
		if got := w.release(1, false, true, 7*time.Second, true); got != 0 || len(middle.grant) != 0 || len(w.queue) != 2 {
			t.Errorf("released %d without the time to judge it; queue %d", got, len(w.queue))
		}
	})
}

// The queue is first come, first served by when each caller's logical
// request started, not by when it joined the queue: a retry whose first
// attempt went out before the host stalled queues ahead of the first
// attempts that queued while it was in flight (its caller has waited
// longest and has the least time left); waiters that started at the same
// instant keep the order they joined in.
func TestQueueOrderIsTheCallersArrival(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
		t0 := time.Now()
		mk := func(start time.Duration) *waiter {
			return &waiter{grant: make(chan waitGrant, 1), start: t0.Add(start), limit: t0.Add(time.Hour)}
		}
		first1, first2, retry, twin, late := mk(2*time.Second), mk(3*time.Second), mk(time.Second), mk(3*time.Second), mk(4*time.Second)
		for _, wt := range []*waiter{first1, first2, retry, twin, late} {
			w.enqueue(wt)
		}
		want := []*waiter{retry, first1, first2, twin, late}
		for i, wt := range want {
			if w.queue[i] != wt {
				t.Fatalf("queue position %d holds the waiter that started at %v, want %v",
					i, w.queue[i].start.Sub(t0), wt.start.Sub(t0))
			}
		}
		if got := w.release(1, false, false, 0, false); got != 1 || len(retry.grant) != 1 {
			t.Errorf("the first release did not go to the caller that came first")
		}
	})
}

// An extra probe is due one ProbeInterval after the last, or, at most one
// every probeGap, as soon as probeAtRisk waiters would give up before the
// next regular one could release them: those whose limit falls after the
// host's landing time from now and no later than the next regular probe
// plus that time.
func TestExtraProbeComesForwardForWaitersAtRisk(t *testing.T) {
	const interval = 5 * time.Second
	for _, tc := range []struct {
		name   string
		since  time.Duration   // since the last probe
		limits []time.Duration // the waiters' limits, from now
		want   bool
	}{
		{"none waits, interval not up", 2 * time.Second, nil, false},
		{"interval up", interval, nil, true},
		{"10 at risk", 2 * time.Second, repeat(10, 2*time.Second), true},
		{"9 at risk", 2 * time.Second, repeat(9, 2*time.Second), false},
		{"10 at risk, but a probe went under probeGap ago", probeGap - time.Millisecond, repeat(10, 2*time.Second), false},
		{"10 at risk at probeGap", probeGap, repeat(10, 2*time.Second), true},
		// The next regular probe is 3 s away: limits up to 3 s + 400 ms
		// (landing time: 8 x 50 ms) count, those within 400 ms are lost anyway.
		{"at the far edge", 2 * time.Second, repeat(10, 3400*time.Millisecond), true},
		{"past the far edge: the regular probe can release them", 2 * time.Second, repeat(10, 3401*time.Millisecond), false},
		{"within the landing time: lost anyway", 2 * time.Second, repeat(10, 400*time.Millisecond), false},
		{"mixed", 2 * time.Second, append(repeat(9, 2*time.Second), 100*time.Millisecond, time.Hour, 3*time.Second), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond, ProbeInterval: interval}}, &hostState{name: "h"})
				now := time.Now()
				w.usual = 50 * time.Millisecond
				w.lastProbe = now.Add(-tc.since)
				for _, l := range tc.limits {
					w.queue = append(w.queue, &waiter{grant: make(chan waitGrant, 1), limit: now.Add(l)})
				}
				w.mu.Lock()
				got := w.probeDueLocked(now)
				last := w.lastProbe
				w.mu.Unlock()
				if got != tc.want {
					t.Errorf("due %v, want %v", got, tc.want)
				}
				if want := map[bool]time.Time{true: now, false: now.Add(-tc.since)}[got]; !last.Equal(want) {
					t.Errorf("last probe at %v, want %v", last.Sub(now), want.Sub(now))
				}
			})
		})
	}
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// A host looks stalled when no attempt succeeded within the slow-call
// threshold and stallCount attempts have been in flight past it, one of
// them sent since the last success: slow attempts sent before a success
// and a lull in the requests are no stall.
func TestStalledNeedsAnAttemptSinceTheLastSuccess(t *testing.T) {
	for _, tc := range []struct {
		name      string
		old, late int           // attempts sent 10 s ago (before the success), and 2.5 s ago (after it)
		okAgo     time.Duration // the last success
		want      bool
	}{
		{"a lull: slow attempts from before the last success only", 12, 0, 3 * time.Second, false},
		{"one attempt since the last success hangs too", 11, 1, 3 * time.Second, true},
		{"all since the last success", 0, 10, 3 * time.Second, true},
		{"too few in flight", 8, 1, 3 * time.Second, false},
		{"a success within the threshold", 11, 1, time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newHostWait(config{wait: &WaitConfig{}}, &hostState{name: "h"})
				now := time.Now()
				for range tc.old {
					w.track(now.Add(-10 * time.Second))
				}
				for range tc.late {
					w.track(now.Add(-2500 * time.Millisecond))
				}
				w.lastOK = now.Add(-tc.okAgo)
				if got := w.stalled(now); got != tc.want {
					t.Errorf("stalled %v, want %v", got, tc.want)
				}
			})
		})
	}
}

// A stall does not end with failures: when the attempts that hung end as
// failures (504s at the integration timeout, the callers' cancellations),
// fewer than stallCount are left in flight and the breaker may still be
// one failure short of opening, yet nothing has shown the host back. The
// waiters go one a tick, not with the slow start (before, the pacer took
// the host for healthy and let 63 go within 0.6 s, into the outage), until
// an attempt succeeds (then the slow start goes on with its allowance) or
// the stall's last attempt is back (a failure: the slow start from one).
func TestStallDoesNotEndWithFailures(t *testing.T) {
	fail := &OutcomeError{}
	for _, end := range []string{"a success", "the last hanging attempt fails"} {
		t.Run(end, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w, start, ids := hangingHost()
				time.Sleep(3 * time.Second)
				if !w.stalled(time.Now()) {
					t.Fatalf("%d attempts hanging past the slow-call threshold: not stalled", stallCount)
				}
				var queue []*waiter
				for range 40 {
					wt := &waiter{grant: make(chan waitGrant, 1), start: time.Now(), limit: time.Now().Add(time.Minute)}
					queue = append(queue, wt)
					w.enqueue(wt)
				}
				w.running = true // the test steps the pacer itself
				granted := func() (n int) {
					for _, wt := range queue {
						if len(wt.grant) > 0 {
							if g := <-wt.grant; g.probe {
								t.Error("a waiter released as a probe")
							}
							n++
						}
					}
					return n
				}
				land := func(id uint64, answer error) {
					now := time.Now()
					w.landed(id, now)
					w.learn(now, start, now.Sub(start), answer, answer, false)
				}

				// All but one of the hanging attempts end as failures.
				time.Sleep(26 * time.Second)
				for _, id := range ids[:stallCount-1] {
					land(id, fail)
				}
				for i := range 10 {
					time.Sleep(100 * time.Millisecond)
					if !w.stalled(time.Now()) {
						t.Fatalf("step %d after failures only: not stalled", i)
					}
					w.step(time.Now())
					if n := granted(); n != 1 {
						t.Fatalf("step %d after the failures: %d released, want 1", i, n)
					}
				}

				time.Sleep(50 * time.Millisecond)
				if end == "a success" {
					land(ids[stallCount-1], nil)
				} else {
					land(ids[stallCount-1], fail)
				}
				// At the landing's instant the rule reads the host as it was
				// just before it; from the next instant the stall is over.
				if !w.stalled(time.Now()) {
					t.Fatalf("not stalled at the instant of %s", end)
				}
				time.Sleep(time.Nanosecond)
				if w.stalled(time.Now()) {
					t.Fatalf("stalled after %s", end)
				}
				var got []int
				for range 3 {
					time.Sleep(100 * time.Millisecond)
					w.step(time.Now())
					got = append(got, granted())
				}
				if end == "a success" {
					if got[0] <= 1 {
						t.Errorf("after a success, released %v a step, want more than one at the first", got)
					}
				} else if want := []int{1, 2, 4}; !slices.Equal(got, want) {
					t.Errorf("after %s, released %v a step, want %v (the slow start from one)", end, got, want)
				}
			})
		})
	}
}

// The stall rule reads the host as it was just before the instant it is
// asked at: an attempt that came back at that instant is still in flight,
// a success at it (and the usual latency it teaches) not yet known; from
// the next instant they are. Attempts back earlier, or never sent, are not
// kept; nor is anything on a host with fewer than stallCount in flight.
func TestStallView(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inflight  int           // attempts sent at start
		answers   []error       // attempts landing at the instant, with these answers
		askAfter  time.Duration // asked this long after the instant
		wantN     int           // attempts in flight in the view
		wantOKAgo time.Duration // the view's last success, before the instant
		wantThr   time.Duration
		wantKept  int // attempts kept in back
	}{
		{"a failure at the instant: still in flight", 12, []error{errFail}, 0, 12, 10 * time.Second, 4 * time.Second, 1},
		{"the instant after: back", 12, []error{errFail}, time.Nanosecond, 11, 10*time.Second + time.Nanosecond, 4 * time.Second, 1},
		{"a success at the instant: not known yet", 12, []error{nil}, 0, 12, 10 * time.Second, 4 * time.Second, 1},
		{"two successes at the instant: the success before both", 12, []error{nil, nil}, 0, 12, 10 * time.Second, 4 * time.Second, 2},
		{"the instant after a success: known, with its usual latency", 12, []error{nil, errFail}, time.Nanosecond, 10, time.Nanosecond,
			slowCallFactor * (time.Second + (5*time.Second-time.Second)/10), 2},
		{"back an instant earlier: gone", 12, []error{errFail, errFail}, time.Millisecond, 10, 10*time.Second + time.Millisecond, 4 * time.Second, 2},
		{"a host with few in flight keeps nothing", stallCount - 2, []error{errFail}, 0, stallCount - 3, 10 * time.Second, 4 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newHostWait(config{wait: &WaitConfig{}}, &hostState{name: "h"})
				w.usual = time.Second // slow-call threshold 4 s
				start := time.Now()
				var ids []uint64
				for range tc.inflight {
					ids = append(ids, w.track(start))
				}
				never := w.track(start.Add(time.Hour))
				time.Sleep(5 * time.Second)
				w.lastOK = start.Add(-5 * time.Second)
				now := time.Now()
				for i, answer := range tc.answers {
					w.landed(ids[i], now)
					w.learn(now, start, now.Sub(start), answer, answer, false)
				}
				w.untrack(never) // never sent: its send time still to come
				time.Sleep(tc.askAfter)
				at := time.Now()
				w.mu.Lock()
				defer w.mu.Unlock()
				v := w.stallViewLocked(at)
				n := 0
				for _, s := range w.inflight {
					if !s.IsZero() {
						n++
					}
				}
				for _, b := range w.back {
					if inView(b, at) {
						n++
					}
				}
				if n != tc.wantN || at.Sub(v.ok) != tc.wantOKAgo || v.thr != tc.wantThr || len(w.back) != tc.wantKept {
					t.Errorf("%d in flight, last success %v before, threshold %v, %d kept; want %d, %v, %v, %d",
						n, at.Sub(v.ok), v.thr, len(w.back), tc.wantN, tc.wantOKAgo, tc.wantThr, tc.wantKept)
				}
			})
		})
	}
}

var errFail = &OutcomeError{}

// When attempts land at the very instant the stall rule is asked about
// (the benchmark's virtual time makes many such instants), the answer
// and the stall's start do not depend on which comes first: the rule
// reads the host as it was just before that instant, and from the next
// instant on sees what landed.
func TestStallSameWhicheverComesFirst(t *testing.T) {
	fail := errFail
	const thr = DefaultSlowCallThreshold
	type event struct {
		name string
		do   func(w *hostWait, ids []uint64, start, now time.Time) // at now
	}
	land := func(name string, i int, answer error) event {
		return event{name, func(w *hostWait, ids []uint64, start, now time.Time) {
			w.landed(ids[i], now)
			w.learn(now, start, now.Sub(start), answer, answer, false)
		}}
	}
	for _, tc := range []struct {
		name string
		// before: after stallCount attempts sent at start+1ms, how long
		// to wait before the instant (and whether the stall is asked
		// about then); at: what lands at the instant.
		before []time.Duration
		// failFirst of the attempts fail at the last of before's instants
		// but the instant's own.
		failFirst int
		at        []event
		stalled   bool          // at the instant
		after     bool          // an instant later
		from      time.Duration // the stall seen from, after start
	}{
		{"the tenth attempt crosses the threshold as one lands", []time.Duration{time.Millisecond + thr}, 0,
			[]event{land("a failure", 0, fail)}, true, true, time.Millisecond + thr},
		{"the threshold crossed earlier, unseen, as two land", []time.Duration{time.Millisecond + thr + 300*time.Millisecond}, 0,
			[]event{land("a failure", 0, fail), land("another failure", 1, fail)}, true, true, time.Millisecond + thr + 300*time.Millisecond},
		{"a success as the host is asked", []time.Duration{3 * time.Second, 100 * time.Millisecond}, 0,
			[]event{land("a success", 4, nil)}, true, false, 3 * time.Second},
		{"the stall's last attempts fail as the host is asked", []time.Duration{3 * time.Second, 26 * time.Second}, stallCount - 2,
			[]event{land("a failure", 8, fail), land("the last failure", 9, fail)}, true, false, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type seen struct {
				stalled, after bool
				from           time.Duration
			}
			var outs []seen
			var names []string
			// Every order of the landings and the question at the instant.
			n := len(tc.at) + 1
			for _, perm := range permutations(n) {
				synctest.Test(t, func(t *testing.T) {
					w, start, ids := hangingHost()
					for i, d := range tc.before {
						time.Sleep(d)
						if i < len(tc.before)-1 {
							w.stalled(time.Now())
						}
						if i == len(tc.before)-2 {
							for j := range tc.failFirst {
								land("", j, fail).do(w, ids, start, time.Now())
							}
						}
					}
					now := time.Now()
					var s seen
					order := ""
					for _, k := range perm {
						if k == n-1 {
							s.stalled = w.stalled(now)
							s.from = w.stallSeen.Sub(start)
							order += "ask; "
							continue
						}
						tc.at[k].do(w, ids, start, now)
						order += tc.at[k].name + "; "
					}
					time.Sleep(time.Nanosecond)
					s.after = w.stalled(time.Now())
					outs = append(outs, s)
					names = append(names, order)
				})
			}
			for i, s := range outs {
				if s != outs[0] {
					t.Errorf("%s: stalled %v, from %v, then %v; %s: %+v", names[i], s.stalled, s.from, s.after, names[0], outs[0])
				}
				if s.stalled != tc.stalled || s.after != tc.after || s.from != tc.from {
					t.Errorf("%s: stalled %v then %v, seen from %v; want %v then %v, from %v", names[i], s.stalled, s.after, s.from, tc.stalled, tc.after, tc.from)
				}
			}
		})
	}
}

// hangingHost is a host whose last success was at start, with stallCount
// attempts (ids) sent a millisecond later that have not come back: with a
// usual latency of 50 ms they hang past the slow-call threshold from
// start + 2.001 s. Called in a synctest bubble.
func hangingHost() (w *hostWait, start time.Time, ids []uint64) {
	w = newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
	w.usual = 50 * time.Millisecond
	start = time.Now()
	w.lastOK = start
	for range stallCount {
		ids = append(ids, w.track(start.Add(time.Millisecond)))
	}
	return w, start, ids
}

// permutations lists every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}
