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
				w := newHostWait(config{wait: &WaitConfig{Tick: 100 * time.Millisecond}}, &hostState{name: "h"})
				w.usual = 50 * time.Millisecond
				start := time.Now()
				w.lastOK = start
				var ids []uint64
				for range stallCount {
					ids = append(ids, w.track(start.Add(time.Millisecond)))
				}
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
					w.landed(id)
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
