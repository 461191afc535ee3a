package apigwtest

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// Fault is what goes wrong with one request. The zero value is no fault.
// Durations are emulated time: the server's time scale applies to them.
type Fault struct {
	// Latency is added to the function's run time, before the handler runs.
	// Nil adds none.
	Latency Latency
	// ErrorRate is the share of invocations (0 to 1) that fail with a
	// function error (502) after the added latency, without running the
	// handler. Default 0.
	ErrorRate float64
	// MalformedRate is the share of invocations (0 to 1) whose response is
	// replaced by a malformed proxy response (502) after the handler ran.
	// Default 0.
	MalformedRate float64
	// Outage overrides everything above for the request. Default NoOutage.
	Outage Outage
}

// Outage is a kind of total failure applied to every request while it lasts.
// The zero value is NoOutage.
type Outage int

const (
	// NoOutage is the zero value: requests are served.
	NoOutage Outage = iota
	// OutageTimeout makes the function run past the integration timeout
	// before its handler runs: the client gets 504 (REST) or 503 (HTTP
	// API) and the function still completes afterwards.
	OutageTimeout
	// OutageThrottle makes Lambda answer 429: the client gets 500 and the
	// function does not run.
	OutageThrottle
	// OutageFunctionError makes every invocation fail with a function error
	// (502) without running the handler.
	OutageFunctionError
	// OutageConfiguration makes API Gateway fail to invoke Lambda, as with
	// bad permissions on the function: the client gets 500 and the function
	// does not run.
	OutageConfiguration
)

// String returns the outage's name.
func (o Outage) String() string {
	switch o {
	case NoOutage:
		return "none"
	case OutageTimeout:
		return "timeout"
	case OutageThrottle:
		return "throttle"
	case OutageFunctionError:
		return "function-error"
	case OutageConfiguration:
		return "configuration"
	}
	return "unknown"
}

// Phase applies Fault while the time since the server started lies in
// [From, To). Both are emulated time (scaled). To <= 0 means forever.
type Phase struct {
	From, To time.Duration
	Fault    Fault
}

// Moment is what WithFaultFunc sees of a request when it arrives. The
// server fills every field.
type Moment struct {
	// Elapsed is the emulated time since the server started.
	Elapsed time.Duration
	// InFlight is the number of invocations running just before now
	// (one that ends at this very instant counted, one that starts at it
	// not), the same for every request that arrives at one instant.
	InFlight int
	// Header is the client's request header (read only).
	Header http.Header
}

// Latency draws an added function latency (emulated time; the server
// scales it). A nil Latency in a Fault adds none. inFlight is the number of
// invocations running just before it starts (as Moment.InFlight), this
// one added: invocations that start at one instant each count themselves
// but not each other.
// Implementations are called under the server's lock, one at a time.
type Latency interface {
	Draw(r *rand.Rand, inFlight int) time.Duration
}

// LatencyFunc adapts a function to Latency: the escape hatch. A nil
// LatencyFunc must not be used.
type LatencyFunc func(r *rand.Rand, inFlight int) time.Duration

// Draw calls f.
func (f LatencyFunc) Draw(r *rand.Rand, inFlight int) time.Duration { return f(r, inFlight) }

// Fixed adds the same latency to every invocation. The zero value adds none.
type Fixed time.Duration

// Draw returns the fixed latency.
func (f Fixed) Draw(*rand.Rand, int) time.Duration { return time.Duration(f) }

// Uniform draws a latency uniformly from [Min, Max); Max <= Min gives Min.
// The zero value adds none.
type Uniform struct{ Min, Max time.Duration }

// Draw returns a uniform draw.
func (u Uniform) Draw(r *rand.Rand, _ int) time.Duration {
	if u.Max <= u.Min {
		return u.Min
	}
	return u.Min + time.Duration(r.Int64N(int64(u.Max-u.Min)))
}

// Normal draws a latency from a normal distribution, clamped at zero. The
// zero value adds none.
type Normal struct{ Mean, StdDev time.Duration }

// Draw returns a normal draw, never negative.
func (n Normal) Draw(r *rand.Rand, _ int) time.Duration {
	d := n.Mean + time.Duration(r.NormFloat64()*float64(n.StdDev))
	return max(d, 0)
}

// SlowShare makes a share of invocations slow: with probability Share it
// draws from Slow, else from Fast (nil Fast adds nothing). The zero value
// adds none.
type SlowShare struct {
	Share      float64
	Slow, Fast Latency
}

// Draw picks slow or fast, then draws.
func (s SlowShare) Draw(r *rand.Rand, inFlight int) time.Duration {
	if r.Float64() < s.Share {
		if s.Slow == nil {
			return 0
		}
		return s.Slow.Draw(r, inFlight)
	}
	if s.Fast == nil {
		return 0
	}
	return s.Fast.Draw(r, inFlight)
}

// Overload models a backend whose capacity degrades with concurrency: up to
// Capacity concurrent invocations each take Base; past it, each takes
// Base * inFlight / Capacity (processor sharing). Functions that run on
// after a 504 keep counting, so retries keep latency above the integration
// timeout once it is crossed: a metastable failure. Capacity <= 0 means
// unlimited; the zero value adds none.
type Overload struct {
	Base     time.Duration
	Capacity int
}

// Draw returns the latency at the given concurrency.
func (o Overload) Draw(_ *rand.Rand, inFlight int) time.Duration {
	if o.Capacity <= 0 || inFlight <= o.Capacity {
		return o.Base
	}
	return time.Duration(float64(o.Base) * float64(inFlight) / float64(o.Capacity))
}

// faultAt picks the fault for a request arriving now.
func (s *Server) faultAt(m Moment) Fault {
	if s.cfg.faultFunc != nil {
		return s.cfg.faultFunc(m)
	}
	for _, p := range s.cfg.schedule {
		if m.Elapsed >= p.From && (p.To <= 0 || m.Elapsed < p.To) {
			return p.Fault
		}
	}
	return s.cfg.fault
}
