package policy

import (
	"math"
	"sync"
	"time"
)

// SendRateConfig sets a SendRate. Rates are counted per Period, so a
// simulation that scales time scales Period alone. The zero value of each
// field means its default:
//
//   - Period: the measuring interval, and the least time between two cuts
//     of the rate (one cut per burst of 429s, as TCP cuts once per round
//     trip); default DefaultSendRatePeriod (1 s).
//   - Beta: the factor a throttle cuts the rate by; default
//     DefaultSendRateBeta (0.7, the AWS SDKs' adaptive mode, from CUBIC).
//   - Growth: how much the rate grows per Period of successes, as a
//     fraction of itself; default DefaultSendRateGrowth (0.1).
//   - Min: the least rate, in sends per Period; default DefaultSendRateMin
//     (0.5).
//
// NaN, infinite and out-of-range values mean their defaults.
type SendRateConfig struct {
	// Period is the measuring interval; default 1 s.
	Period time.Duration
	// Beta is the cut on a throttle, in (0, 1); default 0.7.
	Beta float64
	// Growth is the growth per Period of successes; default 0.1.
	Growth float64
	// Min is the least rate in sends per Period; default 0.5.
	Min float64
}

// SendRate defaults. The AWS SDKs' adaptive retry mode cuts its send rate
// to 0.7 of the measured rate on a throttle and measures over half-second
// buckets; the growth of 10% a second brings a rate cut once back in about
// 4 s (1/0.7 = 1.1^3.7), about the time a 2.8 req/s gateway (the
// benchmark's throttle scenario) takes to refill its burst of 5 twice. The
// prototype of this change that paced on 429s took that scenario to 100%
// success at 1.19-1.21 attempts per request without a caller deadline.
const (
	DefaultSendRatePeriod = time.Second
	DefaultSendRateBeta   = 0.7
	DefaultSendRateGrowth = 0.1
	DefaultSendRateMin    = 0.5
)

func (c SendRateConfig) withDefaults() SendRateConfig {
	if c.Period <= 0 {
		c.Period = DefaultSendRatePeriod
	}
	if !(c.Beta > 0 && c.Beta < 1) {
		c.Beta = DefaultSendRateBeta
	}
	if !(c.Growth > 0) || math.IsInf(c.Growth, 0) {
		c.Growth = DefaultSendRateGrowth
	}
	if !(c.Min > 0) || math.IsInf(c.Min, 0) {
		c.Min = DefaultSendRateMin
	}
	return c
}

// SendRate paces the attempts sent to one host after it throttles: an AIMD
// rate limiter in the spirit of the AWS SDKs' adaptive retry mode. It lets
// everything through until the first throttle; then it caps the send rate
// at Beta times the rate measured over the last periods, cuts it again
// (at most once a Period) on every further throttle, grows it by Growth a
// Period while attempts succeed, and lets everything through again once
// the cap is twice what is being sent. Attempts wait for their turn
// (Reserve) instead of meeting another 429, so retries land when the
// gateway has capacity. The transport reserves a slot for every attempt
// to the host, first attempts too, and counts every answer that was not a
// throttle (Succeeded).
//
// A cut after the first goes no lower than the rate the host delivered
// since the cut before (successes per Period), up to the rate sent: a
// gateway's bucket that refills at its limit answers at that limit, and
// cutting below it left the limit unused. In the benchmark's throttle
// scenario (2.8 req/s limit, `retryscope bench -quick -seeds 3`) cutting
// to 0.7 of the sent rate every time gave 95.2% success without a caller
// deadline (p99 146 s), 81.0% under 60 s and 65.9% under 10 s; with this
// floor, 99.7% (p99 103 s), 88.5% and 68.6%, at 1.66, 1.54 and 1.23
// attempts per request.
//
// Growth waits for its evidence. Below the rate in force at the last cut
// the rate grows by Growth a Period (it is only winning back what the cut
// took); at or above it, while the slots already given reach more than a
// Period ahead (requests wait for their turn), it grows by Growth per that
// backlog instead: a higher rate shows at the host only once the slots
// given at the lower one have been used, and growing faster than that
// oversent, then cut too late. Every attempt waits for its slot, the first
// ones too (the transport's call; the AWS SDKs' adaptive mode does the
// same), so under a caller's deadline the backlog reaches close to it. In
// the benchmark's throttle scenario (`retryscope bench -quick -seeds 3`,
// first attempts paced): growing by Growth a Period whatever the backlog
// gave 98.7% success at 1.49 attempts per request without a caller
// deadline, 90.7% at 1.40 under 60 s and 71.9% at 0.95 under 10 s (one
// 429 for every 4 successes); damped always, the rate stayed under the
// gateway's limit for 70 s after a first cut (one seed 59.5% under 10 s);
// damped only at or above the last cut's rate, 99.9% at 1.10, 98.9% at
// 1.09 and 73.6% at 0.80 (no retries at all: 70.0% at 1.00).
//
// Feed it throttles that say "slower", such as a 429, and nothing else:
// a send rate fed by API Gateway's 500 for a throttled Lambda (a
// concurrency limit, not a rate) queued requests behind a limit that
// waiting does not lift, and lost success at a 10 s caller deadline in a
// prototype of this change.
//
// Time is an argument (now). A SendRate is safe for concurrent use; it
// holds a mutex.
type SendRate struct {
	cfg SendRateConfig

	mu       sync.Mutex
	engaged  bool
	rate     float64   // sends per Period while engaged
	next     time.Time // when the next send may go (GCRA's theoretical arrival time)
	lastCut  time.Time
	lastGrow time.Time
	lastMax  float64 // the rate in force at the last cut (the measured rate at the first)
	okSince  float64 // successes since lastCut: the rate the host delivered
	// measurement: sends counted in the current period, and a smoothed rate
	// of the periods before it. periodEnd is periodStart plus Period, kept
	// with it: a time before it is in the period (one comparison where
	// now.Sub(periodStart) >= Period is a subtraction and a comparison).
	periodStart time.Time
	periodEnd   time.Time
	count       float64
	measured    float64
}

// NewSendRate returns a SendRate with the settings c (zero fields mean
// their defaults; see SendRateConfig) that lets everything through.
func NewSendRate(c SendRateConfig) *SendRate {
	return &SendRate{cfg: c.withDefaults()}
}

// Config returns the settings with the defaults filled in.
func (s *SendRate) Config() SendRateConfig { return s.cfg }

// measure rolls the measuring period forward to now. A period with no
// sends counts as a zero rate.
func (s *SendRate) measure(now time.Time) {
	if s.periodStart.IsZero() {
		s.startPeriod(now)
		return
	}
	for !now.Before(s.periodEnd) { // now.Sub(s.periodStart) >= s.cfg.Period
		if s.measured == 0 {
			s.measured = s.count
		} else {
			s.measured = 0.8*s.measured + 0.2*s.count
		}
		s.count = 0
		s.startPeriod(s.periodEnd)
		if s.measured < 1e-3 { // idle for long: restart from now
			s.measured = 0
			s.startPeriod(now)
		}
	}
}

// startPeriod starts the measuring period at t.
func (s *SendRate) startPeriod(t time.Time) {
	s.periodStart, s.periodEnd = t, t.Add(s.cfg.Period)
}

// current is the measured send rate: the smoothed rate, or this period's
// count scaled up when no period has ended yet.
func (s *SendRate) current(now time.Time) float64 {
	if s.measured > 0 {
		return s.measured
	}
	el := now.Sub(s.periodStart)
	if el <= 0 {
		return s.count
	}
	return s.count * float64(s.cfg.Period) / float64(max(el, s.cfg.Period/10))
}

// Reserve counts one send at time now or later and returns how long to
// wait before it. When the wait would be longer than maxWait, nothing is
// reserved and false is returned: send at once or not at all, the
// caller's call.
func (s *SendRate) Reserve(now time.Time, maxWait time.Duration) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.measure(now)
	if !s.engaged {
		s.count++
		return 0, true
	}
	at := s.next
	if at.Before(now) {
		at = now
	}
	wait := at.Sub(now)
	if wait > maxWait {
		return 0, false
	}
	s.next = at.Add(time.Duration(float64(s.cfg.Period) / s.rate))
	s.count++
	return wait, true
}

// TakeIfFree counts one send at time now, as Reserve does, when the
// SendRate lets everything through, and reports true; otherwise it counts
// nothing and reports false: Reserve then says how long the send waits.
// It spares a caller the bound Reserve needs only for a paced wait.
func (s *SendRate) TakeIfFree(now time.Time) bool {
	s.mu.Lock() // no defer: nothing here panics, and this runs once a request
	s.measure(now)
	free := !s.engaged
	if free {
		s.count++
	}
	s.mu.Unlock()
	return free
}

// Throttled tells the SendRate that an attempt answered at now was
// throttled: the rate is cut to Beta times the lesser of the measured rate
// and the current cap, but not below the rate the host delivered since the
// last cut, at most once a Period.
func (s *SendRate) Throttled(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.measure(now)
	if s.engaged && now.Sub(s.lastCut) < s.cfg.Period {
		return
	}
	r := s.current(now)
	if s.engaged {
		r = min(r, s.rate)
	}
	s.lastMax = r
	s.rate = max(s.cfg.Min, r*s.cfg.Beta)
	if el := now.Sub(s.lastCut); s.engaged && el >= s.cfg.Period {
		// The host took okSince since the last cut: no cut below what it
		// delivered, up to the rate sent (see SendRate).
		s.rate = max(s.rate, min(r, s.okSince*float64(s.cfg.Period)/float64(el)))
	}
	s.okSince = 0
	if !s.engaged {
		s.engaged = true
		s.next = now
	}
	s.lastCut, s.lastGrow = now, now
}

// Succeeded tells the SendRate that an attempt answered at now was not
// throttled (it counts toward the delivered rate): the cap grows by Growth
// per Period since the last change (per backlog of given slots, when that
// is longer than a Period and the cap is at or above the rate of the last
// cut; see SendRate), and the SendRate lets everything through again once
// the cap is twice the measured rate.
func (s *SendRate) Succeeded(now time.Time) {
	s.mu.Lock()
	s.measure(now)
	s.okSince++
	if !s.engaged {
		s.mu.Unlock() // no defer on the path taken once a request
		return
	}
	defer s.mu.Unlock()
	if dt := now.Sub(s.lastGrow); dt > 0 {
		dt = min(dt, s.cfg.Period)
		g := s.cfg.Growth * float64(dt) / float64(s.cfg.Period)
		if ahead := s.next.Sub(now); ahead > s.cfg.Period && s.rate >= s.lastMax {
			g *= float64(s.cfg.Period) / float64(ahead)
		}
		s.rate *= 1 + g
		s.lastGrow = now
	}
	if s.rate >= 2*max(s.current(now), s.cfg.Min) {
		s.engaged = false
	}
}

// Rate returns the cap in sends per Period and whether it applies (false:
// everything goes through).
func (s *SendRate) Rate() (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate, s.engaged
}
