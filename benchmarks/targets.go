package benchmarks

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/retryscope/retryscope/transport"
)

// Target is one of issue 6's targets for retryscope's defaults, checked
// against the results.
type Target struct {
	// Name says the target in words.
	Name string
	// Status is StatusMet, StatusNotMet or StatusNotRun.
	Status string
	// Numbers are the measurements that decide it.
	Numbers string
	// Why explains, from the runs' outcomes, a target that is not met.
	Why string
}

// Target statuses.
const (
	StatusMet    = "met"
	StatusNotMet = "not met"
	StatusNotRun = "not run"
)

// Target thresholds.
const (
	// MaxOutageAttempts is the most attempts per logical request retryscope
	// may send during the outage window.
	MaxOutageAttempts = 1.2
	// RecoverySlack is added to the breaker's open time to make the
	// recovery target (emulated).
	RecoverySlack = time.Second
)

// Evaluate checks issue 6's targets against results: zero duplicate
// executions for retryscope in every scenario; at most MaxOutageAttempts
// attempts per request during the outage; in brownout and throttle a
// success rate at least each peer's with amplification no higher; back to
// 95% success within the breaker's open time plus RecoverySlack after the
// outage.
func Evaluate(results []Result) []Target {
	return []Target{
		duplicatesTarget(results),
		outageAttemptsTarget(results),
		peersTarget(results, "brownout"),
		peersTarget(results, "throttle"),
		recoveryTarget(results),
	}
}

func peerNames() []string {
	var out []string
	for _, p := range Policies() {
		if p.Peer {
			out = append(out, p.Name)
		}
	}
	return out
}

func duplicatesTarget(results []Result) Target {
	t := Target{Name: "retryscope (defaults): zero duplicate executions in every scenario"}
	var parts, bad []string
	for _, r := range results {
		if r.Policy != "retryscope" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", r.Scenario, r.Duplicates))
		if r.Duplicates > 0 {
			bad = append(bad, r.Scenario)
		}
	}
	if len(parts) == 0 {
		t.Status = StatusNotRun
		return t
	}
	t.Status = StatusMet
	t.Numbers = "duplicates: " + strings.Join(parts, ", ")
	if peers := peerDuplicates(results); peers != "" {
		t.Numbers += "; peers: " + peers
	}
	if len(bad) > 0 {
		t.Status = StatusNotMet
		t.Why = "retryscope repeated a non-idempotent request that had reached the function in " + strings.Join(bad, ", ")
	}
	return t
}

func peerDuplicates(results []Result) string {
	var parts []string
	for _, r := range results {
		if r.Duplicates > 0 && r.Policy != "retryscope" {
			parts = append(parts, fmt.Sprintf("%s in %s %d", r.Policy, r.Scenario, r.Duplicates))
		}
	}
	return strings.Join(parts, ", ")
}

func outageAttemptsTarget(results []Result) Target {
	t := Target{Name: fmt.Sprintf("outage: at most %.1f attempts per logical request during the outage window", MaxOutageAttempts)}
	r := find(results, "outage", "retryscope")
	if r == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Numbers = fmt.Sprintf("retryscope %.2f (%d requests issued in the window)", r.WindowAttempts, r.WindowRequests)
	for _, p := range peerNames() {
		if pr := find(results, "outage", p); pr != nil {
			t.Numbers += fmt.Sprintf("; %s %.2f", p, pr.WindowAttempts)
		}
	}
	t.Status = StatusMet
	if r.WindowAttempts > MaxOutageAttempts {
		t.Status = StatusNotMet
		t.Why = fmt.Sprintf("retries allowed by the budget and the breaker during the outage: %s", outcomeText(r))
	}
	return t
}

// peersTarget: success at least each peer's, amplification no higher.
func peersTarget(results []Result, scenario string) Target {
	t := Target{Name: scenario + ": success rate at least each peer's, amplification no higher"}
	r := find(results, scenario, "retryscope")
	if r == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Status = StatusMet
	t.Numbers = fmt.Sprintf("retryscope %.1f%% at %.3f attempts/request", 100*r.SuccessRate, r.Amplification)
	var why []string
	compared := 0
	for _, p := range peerNames() {
		pr := find(results, scenario, p)
		if pr == nil {
			continue
		}
		compared++
		t.Numbers += fmt.Sprintf("; %s %.1f%% at %.3f", p, 100*pr.SuccessRate, pr.Amplification)
		var miss []string
		if r.SuccessRate < pr.SuccessRate {
			miss = append(miss, fmt.Sprintf("success %.1f pp lower (noise ±%.1f pp)", 100*(pr.SuccessRate-r.SuccessRate),
				100*noise(r.SuccessRate, r.Requests, pr.SuccessRate, pr.Requests)))
		}
		if r.Amplification > pr.Amplification+1e-9 {
			miss = append(miss, fmt.Sprintf("amplification %.3f higher (noise ±%.3f)", r.Amplification-pr.Amplification,
				meanNoise(r.AttemptsStdDev, r.Requests-r.Dropped, pr.AttemptsStdDev, pr.Requests-pr.Dropped)))
		}
		if len(miss) > 0 {
			why = append(why, "vs "+p+": "+strings.Join(miss, ", "))
		}
	}
	if compared == 0 {
		t.Status = StatusNotRun
		return t
	}
	if len(why) > 0 {
		t.Status = StatusNotMet
		t.Why = strings.Join(why, "; ") + ". retryscope's requests ended: " + outcomeText(r)
		if r.Outcomes["429"] > 0 {
			t.Why += ". retryscope retries a 429 at most twice, after 0-100 ms and 0-200 ms (full jitter from " +
				"the 100 ms base), when the gateway's bucket has seldom refilled; go-retryablehttp waits 1, 2, 4 and 8 s " +
				"and failsafe-go 1 and 2 s, reaching moments with spare capacity at two to three times the attempts"
		}
	}
	return t
}

// noise is the 95% half-width of the difference of two success rates
// (normal approximation): differences below it are within run-to-run noise.
func noise(p1 float64, n1 int, p2 float64, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 0
	}
	return 1.96 * math.Sqrt(p1*(1-p1)/float64(n1)+p2*(1-p2)/float64(n2))
}

// meanNoise is the 95% half-width of the difference of two means with the
// given standard deviations and sizes.
func meanNoise(s1 float64, n1 int, s2 float64, n2 int) float64 {
	if n1 <= 0 || n2 <= 0 {
		return 0
	}
	return 1.96 * math.Sqrt(s1*s1/float64(n1)+s2*s2/float64(n2))
}

func recoveryTarget(results []Result) Target {
	limit := transport.DefaultBreakerTimeout + RecoverySlack
	t := Target{Name: fmt.Sprintf("outage: back to 95%% success within the breaker's open time + 1 s (%.0f s) after the outage", limit.Seconds())}
	r := find(results, "outage", "retryscope")
	if r == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Numbers = "retryscope " + recoveryText(r)
	for _, p := range peerNames() {
		if pr := find(results, "outage", p); pr != nil {
			t.Numbers += "; " + p + " " + recoveryText(pr)
		}
	}
	t.Status = StatusMet
	if !r.Recovered || r.RecoveryMS > float64(limit/time.Millisecond) {
		t.Status = StatusNotMet
		t.Why = "requests ended: " + outcomeText(r)
		if r.Outcomes["circuit_open"] > 0 {
			t.Why += ". The breaker refuses requests after the outage until its probes succeed: a probe sent just before " +
				"the outage ended gets its 504 only after the 29 s integration timeout, which reopens the breaker for another " +
				"open time (DefaultBreakerTimeout) before new probes go"
		}
	}
	return t
}

func recoveryText(r *Result) string {
	if !r.Recovered {
		return "not recovered"
	}
	return fmt.Sprintf("%.0f s", r.RecoveryMS/1000)
}

// outcomeText lists a result's final outcomes, most frequent first.
func outcomeText(r *Result) string {
	var parts []string
	for _, k := range r.OutcomeNames() {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.Outcomes[k]))
	}
	return strings.Join(parts, ", ")
}
