package benchmarks

import (
	"time"

	"github.com/retryscope/retryscope/apigwtest"
)

// extraScenarios are the scenarios where caution could cost success:
// answers a careful client does not retry, and outages shorter and longer
// than the one in the main table.
func extraScenarios() []Scenario {
	return []Scenario{
		windowed("function-errors", "for 60 s, 20% of invocations fail with a function error: 502 (the function ran and failed)",
			60*time.Second, 30*time.Second, apigwtest.Fault{Latency: healthy, ErrorRate: 0.2}),
		outageOf("http-api-outage", "an HTTP API: for 120 s every invocation outlives the integration timeout: 503",
			120*time.Second, apigwtest.WithHTTPAPI()),
		outageOf("outage-60s", "for 60 s every invocation outlives the 29 s integration timeout: 504", 60*time.Second),
		outageOf("outage-300s", "for 300 s every invocation outlives the 29 s integration timeout: 504", 300*time.Second),
	}
}

// outageOf is an outage of the given length from 30 s, then 60 s to
// recover: every invocation outlives the integration timeout.
func outageOf(name, summary string, length time.Duration, extra ...apigwtest.Option) Scenario {
	return windowed(name, summary, length, 60*time.Second,
		apigwtest.Fault{Latency: healthy, Outage: apigwtest.OutageTimeout}, extra...)
}

// windowed is a scenario at the default steady load whose backend is
// healthy but for fault from 30 s for length, followed by tail to recover.
// Its window is given once, for the fault schedule and the measurements
// alike.
func windowed(name, summary string, length, tail time.Duration, fault apigwtest.Fault, extra ...apigwtest.Option) Scenario {
	from := 30 * time.Second
	return Scenario{
		Name:     name,
		Summary:  summary,
		Load:     steadyLoad(defaultRate),
		Duration: from + length + tail,
		Window:   Window{From: from, To: from + length},
		Scale:    quickScale,
		Server: func(int64) []apigwtest.Option {
			return append([]apigwtest.Option{
				apigwtest.WithFault(apigwtest.Fault{Latency: healthy}),
				apigwtest.WithSchedule(apigwtest.Phase{From: from, To: from + length, Fault: fault}),
			}, extra...)
		},
	}
}
