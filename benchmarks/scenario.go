package benchmarks

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
)

// Scenario is one set of faults under one offered load, written in emulated
// time: the numbers read like production (a 29 s integration timeout, a
// 60 s outage). Every policy runs the same scenario with the same arrivals
// and the same fault draws (the seed).
type Scenario struct {
	// Name is the scenario's command-line name, e.g. "outage".
	Name string
	// Summary says in one line what goes wrong.
	Summary string
	// Method is the method of every logical request; default GET. A method
	// that is not idempotent makes duplicate executions count.
	Method string
	// Load is the offered rate over time (logical requests per emulated
	// second, Poisson arrivals), one Step per change; it must start at 0.
	Load []Step
	// Duration is how long measured load is offered (emulated). The run
	// then waits for the logical requests still going and for the
	// functions still running.
	Duration time.Duration
	// Warmup is the first part of Duration whose requests are sent but not
	// measured: their retries take the backend's capacity from the measured
	// requests as the measured requests' retries take it from the
	// cooldown's, so a policy that retries late gains nothing at the
	// edges. Default 0.
	Warmup time.Duration
	// Cooldown is more load after Duration, at the last step's rate, that
	// is sent but not measured: it keeps the backend as busy as before
	// while the measured requests' retries finish, so that retries pushed
	// past the end do not find idle capacity no real system would have.
	// Default 0.
	Cooldown time.Duration
	// Window is the fault window (emulated, from the server's start): the
	// outage, the trigger. Recovery and attempts per request during the
	// fault are measured against it. The zero Window means none.
	Window Window
	// Scale is the time scale of a -quick run: real time = emulated time x
	// Scale. A full run uses FullScaleFactor times that.
	Scale float64
	// Server returns the emulator's options for the scenario; the run adds
	// the time scale and the seed (which it also passes here).
	Server func(seed int64) []apigwtest.Option
	// Heavy marks a scenario at scale (thousands of callers or hundreds of
	// clients): Expand runs it for the first deadline and the first seed
	// only (the suite's time budget). Default false.
	Heavy bool
	// Policies, when not empty, are the policies that run the scenario
	// unless the policies are named. Default: every policy.
	Policies []string
	// Members splits the callers among that many client processes, each
	// with its own client (its own breaker and budget) and its own
	// connections: logical request i goes to member i mod Members. Their
	// Env.Fleet views share one in-memory fleet store. Default 1.
	Members int
	// Workers, when positive, bounds the logical requests in flight instead
	// of Config.Workers. Default 0.
	Workers int
	// Work is how long the function works before its side effect, drawn per
	// execution; nil means no work beyond the emulator's fault latency.
	// Unlike a fault's latency it runs after the Idempotency-Key check, as
	// in a Powertools-wrapped handler.
	Work apigwtest.Latency
}

// Step is a piece of the offered load: Rate logical requests per emulated
// second from At on.
type Step struct {
	At   time.Duration
	Rate float64
}

// Window is a span of emulated time [From, To).
type Window struct{ From, To time.Duration }

// IsZero reports whether w is the zero Window (no fault window).
func (w Window) IsZero() bool { return w.From == 0 && w.To == 0 }

// Contains reports whether t lies in [From, To).
func (w Window) Contains(t time.Duration) bool { return t >= w.From && t < w.To }

func (s *Scenario) method() string {
	if s.Method == "" {
		return http.MethodGet
	}
	return s.Method
}

// rateAt returns the offered rate at emulated time t.
func (s *Scenario) rateAt(t time.Duration) float64 {
	r := 0.0
	for _, st := range s.Load {
		if t >= st.At {
			r = st.Rate
		}
	}
	return r
}

func (s *Scenario) maxRate() float64 {
	m := 0.0
	for _, st := range s.Load {
		m = max(m, st.Rate)
	}
	return m
}

// healthy is the function's latency when nothing is wrong (emulated).
var healthy = apigwtest.Normal{Mean: 50 * time.Millisecond, StdDev: 10 * time.Millisecond}

// Scenario defaults shared by most scenarios.
const (
	// defaultRate is the offered load: 4 logical requests per emulated
	// second (100 real requests per second at the quick scale of 0.04).
	defaultRate = 4
	// quickScale turns 1 emulated second into 40 real milliseconds.
	quickScale = 0.04
)

func steadyLoad(rate float64) []Step { return []Step{{At: 0, Rate: rate}} }

// pairedLatency is a fault function whose latency for the k-th attempt of a
// logical request is drawn, from the distribution latencyAt gives for the
// attempt's arrival time, with a source that depends only on the seed, the
// request and k (fates): every policy meets the same slow attempts.
func pairedLatency(seed int64, latencyAt func(time.Duration) apigwtest.Latency) func(apigwtest.Moment) apigwtest.Fault {
	f := newFates(seed)
	return func(m apigwtest.Moment) apigwtest.Fault {
		d := latencyAt(m.Elapsed).Draw(f.next(m.Header.Get(HeaderRequest)), m.InFlight)
		return apigwtest.Fault{Latency: apigwtest.Fixed(d)}
	}
}

// jittered adds up to a millisecond, drawn from the source, to l's draws.
// Overload's latencies are whole multiples of a fifth of its base: without
// jitter one of them could end at the very instant of a 29 s integration
// timeout or a caller's deadline, and which came first would depend on
// goroutine scheduling, not on the seed.
func jittered(l apigwtest.Latency) apigwtest.Latency {
	return apigwtest.LatencyFunc(func(r *rand.Rand, inFlight int) time.Duration {
		return l.Draw(r, inFlight) + time.Duration(r.Int64N(int64(time.Millisecond)))
	})
}

// Scenarios returns the benchmark's scenarios, in the order reports list
// them: steady, brownout, outage, throttle, lambda-throttle, cold-start,
// overload, post-timeouts, then function-errors, http-api-outage,
// outage-60s, outage-300s.
func Scenarios() []Scenario {
	return append([]Scenario{
		{
			Name:     "steady",
			Summary:  "healthy backend: 4 req/s, 50 ms functions (the baseline)",
			Load:     steadyLoad(defaultRate),
			Duration: 60 * time.Second,
			Scale:    quickScale,
			Server: func(int64) []apigwtest.Option {
				return []apigwtest.Option{apigwtest.WithFault(apigwtest.Fault{Latency: healthy})}
			},
		},
		{
			Name:     "brownout",
			Summary:  "for 60 s, 25% of invocations take 30-45 s: 504 after 29 s while they run on",
			Load:     steadyLoad(defaultRate),
			Duration: 120 * time.Second,
			Window:   Window{From: 30 * time.Second, To: 90 * time.Second},
			Scale:    quickScale,
			Server: func(seed int64) []apigwtest.Option {
				slow := apigwtest.SlowShare{Share: 0.25, Slow: apigwtest.Uniform{Min: 30 * time.Second, Max: 45 * time.Second}, Fast: healthy}
				window := Window{From: 30 * time.Second, To: 90 * time.Second}
				return []apigwtest.Option{apigwtest.WithFaultFunc(pairedLatency(seed, func(t time.Duration) apigwtest.Latency {
					if window.Contains(t) {
						return slow
					}
					return healthy
				}))}
			},
		},
		outageOf("outage", "for 120 s every invocation outlives the 29 s integration timeout: 504, then recovery", 120*time.Second),
		{
			Name:     "throttle",
			Summary:  "API Gateway throttles at 2.8 req/s (burst 5) under 4 req/s offered: 429",
			Load:     steadyLoad(defaultRate),
			Duration: 80 * time.Second,
			Warmup:   20 * time.Second,
			Cooldown: 20 * time.Second,
			Scale:    quickScale,
			Server: func(int64) []apigwtest.Option {
				return []apigwtest.Option{
					apigwtest.WithFault(apigwtest.Fault{Latency: healthy}),
					apigwtest.WithThrottle(0.7*defaultRate, 5),
				}
			},
		},
		{
			Name:     "lambda-throttle",
			Summary:  "1 s functions at 4 req/s against a concurrency limit of 5: Lambda 429, gateway 500",
			Load:     steadyLoad(defaultRate),
			Duration: 80 * time.Second,
			Warmup:   20 * time.Second,
			Cooldown: 20 * time.Second,
			Scale:    quickScale,
			Server: func(seed int64) []apigwtest.Option {
				work := apigwtest.Normal{Mean: time.Second, StdDev: 200 * time.Millisecond}
				return []apigwtest.Option{
					apigwtest.WithFaultFunc(pairedLatency(seed, func(time.Duration) apigwtest.Latency { return work })),
					apigwtest.WithConcurrencyLimit(5),
				}
			},
		},
		{
			Name:     "cold-start",
			Summary:  "a burst from 0.5 to 10 req/s needs new environments: 12 s cold starts, 10 s integration timeout",
			Load:     []Step{{At: 0, Rate: 0.5}, {At: 20 * time.Second, Rate: 10}, {At: 30 * time.Second, Rate: 2}},
			Duration: 70 * time.Second,
			Window:   Window{From: 20 * time.Second, To: 30 * time.Second},
			Scale:    quickScale,
			Server: func(int64) []apigwtest.Option {
				return []apigwtest.Option{
					apigwtest.WithFault(apigwtest.Fault{Latency: healthy}),
					apigwtest.WithColdStart(12 * time.Second),
					apigwtest.WithIntegrationTimeout(10 * time.Second),
				}
			},
		},
		{
			Name: "overload",
			Summary: "capacity 5 concurrent 1 s invocations, slower past it (processor sharing), 3.5 req/s offered; " +
				"a 40 s dependency stall (+40 s) triggers it; retries can keep it down (metastable)",
			Load:     steadyLoad(3.5),
			Duration: 200 * time.Second,
			Window:   Window{From: 30 * time.Second, To: 70 * time.Second},
			Scale:    quickScale,
			Server: func(int64) []apigwtest.Option {
				over := jittered(apigwtest.Overload{Base: time.Second, Capacity: 5})
				stall := apigwtest.LatencyFunc(func(r *rand.Rand, inFlight int) time.Duration {
					return 40*time.Second + over.Draw(r, inFlight)
				})
				return []apigwtest.Option{
					apigwtest.WithFault(apigwtest.Fault{Latency: over}),
					apigwtest.WithSchedule(apigwtest.Phase{From: 30 * time.Second, To: 70 * time.Second, Fault: apigwtest.Fault{Latency: stall}}),
					apigwtest.WithConcurrencyLimit(300),
				}
			},
		},
		storm(),
		fleet(),
		{
			Name:     "post-timeouts",
			Method:   http.MethodPost,
			Summary:  "non-idempotent POSTs; 10% of functions work 30-40 s: 504 at 29 s, then they finish",
			Load:     steadyLoad(defaultRate),
			Duration: 90 * time.Second,
			Scale:    quickScale,
			Work:     apigwtest.SlowShare{Share: 0.1, Slow: apigwtest.Uniform{Min: 30 * time.Second, Max: 40 * time.Second}, Fast: healthy},
			Server:   func(int64) []apigwtest.Option { return nil },
		},
	}, extraScenarios()...)
}

// ScenarioNames returns the names of Scenarios, in order.
func ScenarioNames() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// ScenarioByName returns the scenario called name.
func ScenarioByName(name string) (Scenario, bool) {
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// storm is the overload scenario at a hundred times its size: the same
// metastable backend (processor sharing past its capacity) with capacity
// for 500 concurrent 1 s invocations, 350 logical requests per second, and
// a 30 s dependency stall that leaves over 10,000 callers waiting at once.
// It shows at scale whether retries keep the backend down after the stall.
func storm() Scenario {
	window := Window{From: 20 * time.Second, To: 50 * time.Second}
	return Scenario{
		Name: "storm",
		Summary: "10,000+ callers: capacity 500 concurrent 1 s invocations (processor sharing past it), 350 req/s offered; " +
			"a 30 s dependency stall (+30 s) leaves over 10,000 callers waiting at once; do retries keep the backend down?",
		Load:     steadyLoad(350),
		Duration: 100 * time.Second,
		Window:   window,
		Scale:    quickScale,
		Heavy:    true,
		Workers:  60_000,
		Policies: []string{"none", "retryablehttp", "aws-sdk-standard", "retryscope"},
		Server:   stalledBackend(500, window),
	}
}

// fleet is one backend behind 200 client processes: the overload
// scenario's metastable backend with capacity for 150 concurrent 1 s
// invocations, 100 logical requests per second spread over the members
// (half a request per second each), a 30 s dependency stall. Alone, a
// member sees too few failures to learn fast; with the fleet shared, the
// first breaker to open holds every member's open.
func fleet() Scenario {
	window := Window{From: 30 * time.Second, To: 60 * time.Second}
	return Scenario{
		Name: "fleet",
		Summary: "200 client processes, each with its own breaker and budget, against one backend (capacity 150 concurrent " +
			"1 s invocations, processor sharing past it), 100 req/s in all; a 30 s dependency stall (+30 s); " +
			"how fast does the fleet back off, alone or sharing state?",
		Load:     steadyLoad(100),
		Duration: 150 * time.Second,
		Window:   window,
		Scale:    quickScale,
		Heavy:    true,
		Members:  200,
		Workers:  20_000,
		Policies: []string{"none", "retryablehttp", "retryscope", "retryscope-fleet"},
		Server:   stalledBackend(150, window),
	}
}

// stalledBackend is the scale scenarios' backend: processor sharing past
// capacity concurrent 1 s invocations (with jitter), every invocation 30 s
// slower during the window (a dependency stall), and a concurrency limit
// high enough never to throttle.
func stalledBackend(capacity int, window Window) func(int64) []apigwtest.Option {
	return func(int64) []apigwtest.Option {
		over := jittered(apigwtest.Overload{Base: time.Second, Capacity: capacity})
		stall := apigwtest.LatencyFunc(func(r *rand.Rand, inFlight int) time.Duration {
			return 30*time.Second + over.Draw(r, inFlight)
		})
		return []apigwtest.Option{
			apigwtest.WithFault(apigwtest.Fault{Latency: over}),
			apigwtest.WithSchedule(apigwtest.Phase{From: window.From, To: window.To, Fault: apigwtest.Fault{Latency: stall}}),
			apigwtest.WithConcurrencyLimit(100_000),
		}
	}
}
