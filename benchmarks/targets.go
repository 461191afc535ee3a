package benchmarks

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/retryscope/retryscope/transport"
)

// Target is one of the targets for retryscope's defaults, checked against
// the results of one callers' deadline.
type Target struct {
	// Name says the target in words.
	Name string
	// Deadline is the callers' deadline the target was checked under.
	Deadline string
	// Status is StatusMet, StatusNotMet or StatusNotRun.
	Status string
	// Numbers are the measurements that decide it.
	Numbers string
	// Why explains, in one line, a target that is not met.
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

// Evaluate checks the targets against results, once per callers' deadline:
// zero duplicate executions for retryscope in every scenario; at most
// MaxOutageAttempts attempts per request during the outage; in brownout and
// throttle a success rate at least each peer's with amplification no
// higher; back to 95% success within the breaker's open time plus
// RecoverySlack after the outage. With several seeds a cell is its mean
// over them, and a shortfall counts only when it is larger than the two
// cells' spreads together; with one seed, larger than the 95% noise band
// of the difference.
func Evaluate(results []Result) []Target {
	var out []Target
	for _, d := range deadlines(results) {
		cells := Aggregate(filterDeadline(results, d))
		for _, t := range []Target{
			duplicatesTarget(cells),
			outageAttemptsTarget(cells),
			peersTarget(cells, "brownout"),
			peersTarget(cells, "throttle"),
			recoveryTarget(cells),
		} {
			t.Deadline = d
			out = append(out, t)
		}
	}
	return out
}

func filterDeadline(results []Result, d string) []Result {
	var out []Result
	for _, r := range results {
		if r.Deadline == d {
			out = append(out, r)
		}
	}
	return out
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

func duplicatesTarget(cells []Cell) Target {
	t := Target{Name: "retryscope (defaults): zero duplicate executions in every scenario"}
	var parts, bad []string
	for i := range cells {
		c := &cells[i]
		if c.Policy != "retryscope" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", c.Scenario, c.Duplicates))
		if c.Duplicates > 0 {
			bad = append(bad, c.Scenario)
		}
	}
	if len(parts) == 0 {
		t.Status = StatusNotRun
		return t
	}
	t.Status = StatusMet
	t.Numbers = "duplicates: " + strings.Join(parts, ", ")
	var peers []string
	for i := range cells {
		if c := &cells[i]; c.Duplicates > 0 && c.Policy != "retryscope" {
			peers = append(peers, fmt.Sprintf("%s in %s %d", c.Policy, c.Scenario, c.Duplicates))
		}
	}
	if len(peers) > 0 {
		t.Numbers += "; peers: " + strings.Join(peers, ", ")
	}
	if len(bad) > 0 {
		t.Status = StatusNotMet
		t.Why = "retryscope repeated a non-idempotent request that had reached the function in " + strings.Join(bad, ", ")
	}
	return t
}

func outageAttemptsTarget(cells []Cell) Target {
	t := Target{Name: fmt.Sprintf("outage: at most %.1f attempts per logical request during the outage window", MaxOutageAttempts)}
	c := findCell(cells, "outage", "retryscope", cellsDeadline(cells))
	if c == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Numbers = "retryscope " + withSpread(c.WindowAttempts, c.Seeds(), "%.2f")
	for _, p := range peerNames() {
		if pc := findCell(cells, "outage", p, c.Deadline); pc != nil {
			t.Numbers += "; " + p + " " + withSpread(pc.WindowAttempts, pc.Seeds(), "%.2f")
		}
	}
	t.Status = StatusMet
	if c.WindowAttempts.Mean-c.WindowAttempts.Spread > MaxOutageAttempts {
		t.Status = StatusNotMet
		t.Why = "retries allowed by the budget and the breaker during the outage; requests ended: " + outcomeTextOf(c)
	}
	return t
}

// cellsDeadline is the deadline of the cells (they share one).
func cellsDeadline(cells []Cell) string {
	if len(cells) == 0 {
		return ""
	}
	return cells[0].Deadline
}

// peersTarget: success at least each peer's, amplification no higher.
func peersTarget(cells []Cell, scenario string) Target {
	t := Target{Name: scenario + ": success rate at least each peer's, amplification no higher"}
	c := findCell(cells, scenario, "retryscope", cellsDeadline(cells))
	if c == nil {
		t.Status = StatusNotRun
		return t
	}
	n := c.Seeds()
	t.Status = StatusMet
	t.Numbers = fmt.Sprintf("retryscope %s at %s attempts/request", pctStat(c.Success, n), withSpread(c.Amplification, n, "%.3f"))
	var why []string
	compared := 0
	for _, p := range peerNames() {
		pc := findCell(cells, scenario, p, c.Deadline)
		if pc == nil {
			continue
		}
		compared++
		t.Numbers += fmt.Sprintf("; %s %s at %s", p, pctStat(pc.Success, pc.Seeds()), withSpread(pc.Amplification, pc.Seeds(), "%.3f"))
		var miss []string
		if gap, tol := pc.Success.Mean-c.Success.Mean, successTolerance(c, pc); gap > tol {
			miss = append(miss, fmt.Sprintf("success %.1f pp lower (tolerance %.1f pp)", 100*gap, 100*tol))
		}
		if gap, tol := c.Amplification.Mean-pc.Amplification.Mean, amplificationTolerance(c, pc); gap > tol {
			miss = append(miss, fmt.Sprintf("amplification %.3f higher (tolerance %.3f)", gap, tol))
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
		t.Why = strings.Join(why, "; ") + "; retryscope's requests ended: " + outcomeTextOf(c)
	}
	return t
}

// successTolerance is how far apart two cells' success rates may be and
// still count as a tie: the sum of their spreads over the seeds, or with a
// single seed each the 95% noise band of the difference of two rates.
func successTolerance(a, b *Cell) float64 {
	if a.Seeds() > 1 || b.Seeds() > 1 {
		return a.Success.Spread + b.Success.Spread
	}
	return noise(a.Success.Mean, a.Requests, b.Success.Mean, b.Requests)
}

// amplificationTolerance is successTolerance for attempts per request.
func amplificationTolerance(a, b *Cell) float64 {
	if a.Seeds() > 1 || b.Seeds() > 1 {
		return a.Amplification.Spread + b.Amplification.Spread
	}
	ra, rb := a.Runs[0], b.Runs[0]
	return meanNoise(ra.AttemptsStdDev, ra.Requests-ra.Dropped, rb.AttemptsStdDev, rb.Requests-rb.Dropped)
}

// noise is the 95% half-width of the difference of two success rates
// (normal approximation).
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

func recoveryTarget(cells []Cell) Target {
	limit := transport.DefaultBreakerTimeout + RecoverySlack
	t := Target{Name: fmt.Sprintf("outage: back to 95%% success within the breaker's open time + 1 s (%.0f s) after the outage", limit.Seconds())}
	c := findCell(cells, "outage", "retryscope", cellsDeadline(cells))
	if c == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Numbers = "retryscope " + recoveryCellOf(c)
	for _, p := range peerNames() {
		if pc := findCell(cells, "outage", p, c.Deadline); pc != nil {
			t.Numbers += "; " + p + " " + recoveryCellOf(pc)
		}
	}
	t.Status = StatusMet
	if !c.Recovered || c.Recovery.Mean-c.Recovery.Spread > float64(limit/time.Millisecond) {
		t.Status = StatusNotMet
		t.Why = "requests ended: " + outcomeTextOf(c)
		if c.Outcomes["circuit_open"] > 0 {
			t.Why += "; the breaker refuses requests until its probes succeed, and a probe sent just before the " +
				"outage ended gets its 504 only after the 29 s integration timeout, which reopens the breaker"
		}
	}
	return t
}

// outcomeText lists a result's final outcomes, most frequent first.
func outcomeText(r *Result) string {
	var parts []string
	for _, k := range r.OutcomeNames() {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.Outcomes[k]))
	}
	return strings.Join(parts, ", ")
}
