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
		{
			Name:     "function-errors",
			Summary:  "for 60 s, 20% of invocations fail with a function error: 502 (the function ran and failed)",
			Load:     steadyLoad(defaultRate),
			Duration: 120 * time.Second,
			Window:   Window{From: 30 * time.Second, To: 90 * time.Second},
			Scale:    quickScale,
			Server: func(int64) []apigwtest.Option {
				return []apigwtest.Option{
					apigwtest.WithFault(apigwtest.Fault{Latency: healthy}),
					apigwtest.WithSchedule(apigwtest.Phase{From: 30 * time.Second, To: 90 * time.Second,
						Fault: apigwtest.Fault{Latency: healthy, ErrorRate: 0.2}}),
				}
			},
		},
		outageOf("http-api-outage", "an HTTP API: for 120 s every invocation outlives the integration timeout: 503",
			120*time.Second, apigwtest.WithHTTPAPI()),
		outageOf("outage-60s", "for 60 s every invocation outlives the 29 s integration timeout: 504", 60*time.Second),
		outageOf("outage-300s", "for 300 s every invocation outlives the 29 s integration timeout: 504", 300*time.Second),
	}
}

// outageOf is an outage of the given length from 30 s, then 60 s to
// recover: every invocation outlives the integration timeout. Its window is
// given once, for the fault schedule and the measurements alike.
func outageOf(name, summary string, length time.Duration, extra ...apigwtest.Option) Scenario {
	from := 30 * time.Second
	return Scenario{
		Name:     name,
		Summary:  summary,
		Load:     steadyLoad(defaultRate),
		Duration: from + length + 60*time.Second,
		Window:   Window{From: from, To: from + length},
		Scale:    quickScale,
		Server: func(int64) []apigwtest.Option {
			return append([]apigwtest.Option{
				apigwtest.WithFault(apigwtest.Fault{Latency: healthy}),
				apigwtest.WithSchedule(apigwtest.Phase{From: from, To: from + length,
					Fault: apigwtest.Fault{Latency: healthy, Outage: apigwtest.OutageTimeout}}),
			}, extra...)
		},
	}
}
