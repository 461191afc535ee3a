package transport

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// fastBreaker spares a host's attempts gobreaker's two calls (two mutex
// sections, two clock reads and a callback allocation per attempt) while
// the breaker is closed and healthy: closed, with no failure reported since
// its last success (gobreaker's ConsecutiveFailures is 0). Then a success
// changes nothing gobreaker decides on but its request and success counts,
// so the fast path counts those itself, in a rolling window of the same
// buckets, and adds them to the Counts that ReadyToTrip sees. Anything
// else (a failure, or a success after one) goes through gobreaker, which
// stays the breaker: it alone opens, probes and closes.
//
// It serves the settings whose callbacks see nothing but Counts: a rolling
// window (Interval split into two or more BucketPeriods) and no
// IsSuccessful or IsExcluded of the user's. An attempt that ends after
// the breaker has left the closed state is not reported (gobreaker would
// drop it as one of an older generation); one that ends after the breaker
// opened and closed again while it ran is counted in the new window.
type fastBreaker struct {
	cb     *gobreaker.TwoStepCircuitBreaker[struct{}]
	period time.Duration // the bucket period
	closed atomic.Bool   // the breaker's state is closed, as OnStateChange reported it
	// healthy is closed with gobreaker's ConsecutiveFailures at 0: a
	// success may be counted here.
	healthy atomic.Bool
	now     atomic.Int64 // unix nanos of the last attempt's end, a clock read saved

	// report serialises what goes through gobreaker with the update of
	// healthy that follows it. Lock order: report, gobreaker's mutex, mu.
	report sync.Mutex

	mu      sync.Mutex
	start   int64        // the window's start (gobreaker's generation), unix nanos
	buckets []fastBucket // by age modulo their number
	// cur is the bucket bucket returned last, the one of the times in
	// [curFrom, curTo) until reset: the next attempt of the same period
	// finds it without two divisions.
	cur            *fastBucket
	curFrom, curTo int64
	// inflight counts the fast attempts not ended (gobreaker counts a
	// request when it starts). allow adds to it without mu; it is read,
	// lowered and cleared under mu, with the buckets.
	inflight atomic.Uint32
}

// fastBucket counts the fast path's attempts of one bucket period.
type fastBucket struct {
	age          int64
	ok, excluded uint32
}

// newFastBreaker returns the fast path for settings s, or nil when s's
// callbacks could tell the difference. It wraps s's ReadyToTrip and
// OnStateChange; make the breaker from s afterwards and set cb.
func newFastBreaker(s *gobreaker.Settings, userSuccessful, userExcluded bool) *fastBreaker {
	if userSuccessful || userExcluded || s.Interval <= 0 || s.BucketPeriod <= 0 || s.Interval < 2*s.BucketPeriod {
		return nil
	}
	n := int((s.Interval + s.BucketPeriod - 1) / s.BucketPeriod) // gobreaker's count of buckets
	f := &fastBreaker{period: s.BucketPeriod, start: time.Now().UnixNano(), buckets: make([]fastBucket, n)}
	f.closed.Store(true)
	f.healthy.Store(true)
	trip := s.ReadyToTrip
	if trip == nil {
		trip = func(c gobreaker.Counts) bool { return c.ConsecutiveFailures > 5 } // gobreaker's default
	}
	s.ReadyToTrip = func(c gobreaker.Counts) bool {
		f.add(&c)
		return trip(c)
	}
	change := s.OnStateChange
	s.OnStateChange = func(name string, from, to gobreaker.State) {
		f.reset(to == gobreaker.StateClosed)
		if change != nil {
			change(name, from, to)
		}
	}
	return f
}

// reset starts a new window as gobreaker starts a new generation, at every
// change of state; a breaker that closes starts healthy (its counts are
// cleared).
func (f *fastBreaker) reset(closed bool) {
	f.mu.Lock()
	f.start = time.Now().UnixNano()
	clear(f.buckets)
	f.cur = nil
	f.inflight.Store(0)
	f.mu.Unlock()
	f.closed.Store(closed)
	f.healthy.Store(closed)
}

// allow takes the fast path when it may: the attempt is counted as in
// flight, and its done is f.done.
func (f *fastBreaker) allow() bool {
	if !f.healthy.Load() {
		return false
	}
	f.inflight.Add(1)
	return true
}

// unallow takes back an allow whose attempt is not sent after all, as
// done lowers the count of attempts in flight.
func (f *fastBreaker) unallow() {
	f.mu.Lock()
	if f.inflight.Load() > 0 {
		f.inflight.Add(^uint32(0))
	}
	f.mu.Unlock()
}

// done reports a fast attempt's verdict err (nil: a success).
func (f *fastBreaker) done(err error) {
	excluded := err != nil && isExcluded(err)
	f.mu.Lock()
	if f.inflight.Load() > 0 {
		f.inflight.Add(^uint32(0))
	}
	if (err == nil && f.healthy.Load()) || (excluded && f.closed.Load()) {
		b := f.bucket(f.time())
		if err == nil {
			b.ok++
		} else {
			b.excluded++
		}
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	if !f.closed.Load() || excluded {
		return // the breaker moved on while it ran: gobreaker would drop it
	}
	// A failure, or a success after one: gobreaker decides.
	f.report.Lock()
	defer f.report.Unlock()
	if d, aerr := f.cb.Allow(); aerr == nil {
		d(err)
		f.settle(err)
	}
}

// wrap is gobreaker's done d for an attempt the fast path did not take:
// reporting through it also tells whether the breaker is healthy again.
func (f *fastBreaker) wrap(d func(error)) func(error) {
	return func(err error) {
		f.report.Lock()
		defer f.report.Unlock()
		d(err)
		f.settle(err)
	}
}

// settle updates healthy after err was reported to gobreaker, under report.
func (f *fastBreaker) settle(err error) {
	switch {
	case err == nil:
		f.healthy.Store(f.closed.Load())
	case !isExcluded(err):
		f.healthy.Store(false)
	}
}

// time is the last attempt's end, or the clock when none is known, in
// unix nanos.
func (f *fastBreaker) time() int64 {
	if n := f.now.Load(); n != 0 {
		return n
	}
	return time.Now().UnixNano()
}

// bucket returns the bucket of time t (unix nanos), emptied when it held
// an older period's counts. Called with f.mu held.
func (f *fastBreaker) bucket(t int64) *fastBucket {
	if b := f.cur; b != nil && t >= f.curFrom && t < f.curTo {
		return b
	}
	age := max((t-f.start)/int64(f.period), 0)
	b := &f.buckets[age%int64(len(f.buckets))]
	if b.age != age {
		*b = fastBucket{age: age}
	}
	f.cur = b
	f.curFrom = f.start + age*int64(f.period)
	f.curTo = f.curFrom + int64(f.period)
	return b
}

// add adds the fast path's counts within the window to c, the Counts
// gobreaker hands ReadyToTrip. It runs under gobreaker's mutex.
func (f *fastBreaker) add(c *gobreaker.Counts) {
	now := time.Now().UnixNano()
	f.mu.Lock()
	defer f.mu.Unlock()
	age := (now - f.start) / int64(f.period)
	var ok, excluded uint32
	for _, b := range f.buckets {
		if b.age <= age && age-b.age < int64(len(f.buckets)) {
			ok += b.ok
			excluded += b.excluded
		}
	}
	c.Requests += ok + excluded + f.inflight.Load()
	c.TotalSuccesses += ok
	c.TotalExclusions += excluded
}

// noteEnd tells the fast path when an attempt ended, which saves it a
// clock read.
func (h *hostState) noteEnd(t time.Time) {
	if h.fast != nil {
		h.fast.now.Store(t.UnixNano())
	}
}
