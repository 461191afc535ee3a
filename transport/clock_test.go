package transport

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestStartClock: a call's start has time.Now's monotonic reading and its
// wall reading within the base's millisecond; a base older than that, or
// from another clock's world, is not used; in a virtual-time run the start
// is time.Now exactly.
func TestStartClock(t *testing.T) {
	var s startClock
	for i := range 1000 {
		before := time.Now()
		got := s.now()
		after := time.Now()
		if got.Before(before) || got.After(after) { // monotonic readings
			t.Fatalf("reading %d: %v, not between %v and %v", i, got, before, after)
		}
		const slack = time.Microsecond // the wall clock's slew over a millisecond, well over
		if w := got.Round(0); w.Before(before.Round(0).Add(-slack)) || w.After(after.Round(0).Add(slack)) {
			t.Fatalf("reading %d: wall %v, not between %v and %v", i, w, before.Round(0), after.Round(0))
		}
	}
	// Each base is read from the clock just before it is used: built ahead,
	// "in the future" was in the past by then on a loaded machine.
	for name, newBase := range map[string]func() time.Time{
		"too old":        func() time.Time { return time.Now().Add(-clockReuse) },
		"in the future":  func() time.Time { return time.Now().Add(time.Hour) },
		"another clock":  func() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }, // a synctest bubble's
		"no monotonic":   func() time.Time { return time.Now().Round(0).Add(-2 * clockReuse) },
		"zero wall time": func() time.Time { return time.Time{} },
	} {
		base := newBase()
		s.base.Store(&base)
		before := time.Now()
		got := s.now()
		after := time.Now()
		if got.Before(before) || got.After(after) || s.base.Load() == &base { // monotonic readings
			t.Errorf("%s: %v from base %v, not between %v and %v", name, got, base, before, after)
		}
	}
	synctest.Test(t, func(t *testing.T) {
		var s startClock
		for range 5 {
			if got, want := s.now(), time.Now(); !got.Equal(want) || got != want {
				t.Fatalf("in a bubble: %v, time.Now %v", got, want)
			}
			time.Sleep(300 * time.Microsecond)
		}
	})
}

// BenchmarkClock compares the clock reads of the success path: a call's
// start (startClock.now) and an attempt's end (the start plus time.Since)
// against time.Now, side by side in one run.
//
//	go test ./transport -run '^$' -bench Clock -cpu 1
func BenchmarkClock(b *testing.B) {
	var sink time.Time
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			sink = time.Now()
		}
	})
	b.Run("time.Since", func(b *testing.B) {
		start := time.Now()
		var d time.Duration
		for b.Loop() {
			d += time.Since(start)
		}
		sink = sink.Add(d)
	})
	b.Run("startClock.now", func(b *testing.B) {
		var s startClock
		for b.Loop() {
			sink = s.now()
		}
	})
	b.Run("end", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			sink = start.Add(time.Since(start))
		}
	})
	_ = sink
}
