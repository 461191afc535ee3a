package transport

import (
	"sync/atomic"
	"time"
)

// clockReuse is how long a clock reading serves as the base of the next
// ones: for that long, a call's start is that reading plus the monotonic
// time elapsed since (time.Since, 32 ns here, against time.Now's 59).
const clockReuse = time.Millisecond

// startClock reads the time a call starts at with one monotonic clock
// read. Its monotonic reading is time.Now's; its wall reading is carried
// forward from a time.Now read less than clockReuse before, as an
// attempt's end is from its start: it differs from time.Now's by what the
// wall clock was slewed in that millisecond (at most half a microsecond
// under NTP), and a step of the wall clock shows within a millisecond. In
// a virtual-time run (a synctest bubble, whose times carry no monotonic
// reading) it is time.Now exactly; a base read in another clock's world
// (outside the bubble, or before it) is never used.
type startClock struct {
	base atomic.Pointer[time.Time]
}

func (s *startClock) now() time.Time {
	if b := s.base.Load(); b != nil {
		if d := time.Since(*b); d >= 0 && d < clockReuse {
			return b.Add(d)
		}
	}
	t := time.Now()
	s.base.Store(&t)
	return t
}
