package benchmarks

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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

// TargetRules says how Evaluate judges, one sentence a line, for the
// report's header.
var TargetRules = []string{
	"Every scenario and deadline is a target for the default `retryscope`, judged by dominance against no retries (`none`) and every peer: " +
		"it is NOT MET when a comparator succeeds more often past the tolerance, or ties on success (within the tolerance) " +
		"with fewer attempts per logical request past the tolerance, or ties with a lower p99 latency of successful requests past the tolerance (compared only when the comparator's mean success is at least retryscope's: otherwise the extra successes are requests retryscope saved, whose latency lengthens its p99).",
	"Tolerances: for success and attempts, the two cells' spreads over the seeds added (with one seed, the 95% noise band of the difference), " +
		"at least 0.01 attempts per request; for p99, the spreads added and at least 5% of the comparator's.",
	"A comparator that ran a function twice is no bar (its success came from duplicate executions); in post-timeouts, " +
		"`retryscope-idempotency` (keys, and a function that honours them) must reach such a peer's success with zero duplicates.",
	"Besides: zero duplicate executions in every scenario; in every outage scenario at most 1.2 attempts per request issued during " +
		"the window, and back to 95% success within the breaker's open time + 1 s. Each NOT MET says why in one line: the strongest " +
		"comparator's case, the others by name, and how retryscope's requests ended; " +
		"it also says when a one-seed p99 shortfall rests on so few requests that the draw explains it, or lies in the waits between as many attempts, " +
		"when a peer's extra success in an outage came with more than 1.2 attempts per request during it, and what retryscope's extra attempts bought " +
		"when it ties on success with more.",
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

// OutageScenarios are the scenarios whose fault is an outage: every
// invocation outlives the integration timeout for a while, then the backend
// is back. The window-attempts and recovery targets apply to them.
var OutageScenarios = []string{"outage", "http-api-outage", "outage-60s", "outage-300s"}

// Evaluate checks the targets against results, once per callers' deadline,
// in this order:
//
//   - zero duplicate executions for retryscope in every scenario;
//   - dominance, one target per scenario: the default retryscope is not
//     met when a comparator (every peer, and no retries at all) succeeds
//     more often past the tolerance (successTolerance), or ties on success
//     (a shortfall of retryscope's within the tolerance, or better) with
//     fewer attempts per logical request past amplificationTolerance, or
//     ties on success with a lower p99 latency of successful requests past p99Tolerance. A
//     comparator that ran a function twice is no bar: its success came
//     from duplicate executions;
//   - in post-timeouts, retryscope-idempotency reaches the success of every
//     peer that ran functions twice, with zero duplicates;
//   - in every outage scenario, at most MaxOutageAttempts attempts per
//     request issued during the outage window, and back to 95% success
//     within the breaker's open time plus RecoverySlack.
//
// With several seeds a cell is its mean over them, and a tolerance is the
// two cells' spreads together; with one seed, the 95% noise band of the
// difference.
func Evaluate(results []Result) []Target {
	var out []Target
	scenarios, _ := names(results)
	for _, d := range deadlines(results) {
		cells := Aggregate(filterDeadline(results, d))
		ts := []Target{duplicatesTarget(cells)}
		for _, sc := range scenarios {
			ts = append(ts, dominanceTarget(cells, sc))
		}
		ts = append(ts, idempotencyTarget(cells))
		for _, sc := range OutageScenarios {
			ts = append(ts, outageAttemptsTarget(cells, sc), recoveryTarget(cells, sc))
		}
		for _, t := range ts {
			if t.Status == StatusNotRun {
				continue
			}
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

func outageAttemptsTarget(cells []Cell, scenario string) Target {
	t := Target{Name: fmt.Sprintf("%s: at most %.1f attempts per logical request during the outage window", scenario, MaxOutageAttempts)}
	c := findCell(cells, scenario, "retryscope", cellsDeadline(cells))
	if c == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Numbers = "retryscope " + withSpread(c.WindowAttempts, c.Seeds(), "%.2f")
	for _, p := range peerNames() {
		if pc := findCell(cells, scenario, p, c.Deadline); pc != nil {
			t.Numbers += "; " + p + " " + withSpread(pc.WindowAttempts, pc.Seeds(), "%.2f")
		}
	}
	t.Status = StatusMet
	if c.WindowAttempts.Mean-c.WindowAttempts.Spread > MaxOutageAttempts {
		t.Status = StatusNotMet
		t.Why = fmt.Sprintf("%.2f attempts per request in the window, over %.1f: retries allowed by the budget and the breaker "+
			"during the outage; requests ended: %s", c.WindowAttempts.Mean, MaxOutageAttempts, outcomeTextOf(c))
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

// Comparators of the dominance targets: no retries at all, and every peer.
func comparators() []string {
	return append([]string{"none"}, peerNames()...)
}

// Tolerance floors: below these a difference is rounding, whatever the
// seeds' spreads say (cells whose seeds agree exactly have no spread).
const (
	// MinAmplificationTolerance is the least tolerance on attempts per
	// logical request.
	MinAmplificationTolerance = 0.01
	// P99Tolerance is the least tolerance on p99 latency, as a share of the
	// comparator's.
	P99Tolerance = 0.05
)

// A domination is why a comparator dominates retryscope's cell: rank
// orders them, the strongest first (more success before ties, then by how
// far past the tolerance).
type domination struct {
	peer, text string
	rank       [2]float64
}

// dominance compares retryscope's cell c with comparator p's. It reports
// whether p dominates c, and why: p succeeds more often past the tolerance,
// or ties on success (c's shortfall within the tolerance, or c better by
// no more than it) and sends fewer attempts per request past
// amplificationTolerance, or ties and has a lower p99 past p99Tolerance.
func dominance(c, p *Cell) (domination, bool) {
	gap, tol := p.Success.Mean-c.Success.Mean, successTolerance(c, p)
	if gap > tol {
		return domination{p.Policy, fmt.Sprintf("%s succeeds more often: %.1f%% against %.1f%% (%.1f pp, tolerance %.1f pp)",
			p.Policy, 100*p.Success.Mean, 100*c.Success.Mean, 100*gap, 100*tol), [2]float64{0, -(gap - tol)}}, true
	}
	if gap < -tol {
		return domination{}, false // retryscope succeeds more often: more attempts or a longer p99 may be its price
	}
	tie := fmt.Sprintf("%s ties on success (%.1f%% against %.1f%%, within %.1f pp)", p.Policy, 100*p.Success.Mean, 100*c.Success.Mean, 100*tol)
	if d, tol := c.Amplification.Mean-p.Amplification.Mean, amplificationTolerance(c, p); d > tol {
		text := fmt.Sprintf("%s with fewer attempts per request: %.2f against %.2f (tolerance %.3f)",
			tie, p.Amplification.Mean, c.Amplification.Mean, tol)
		if gain := c.Success.Mean - p.Success.Mean; gain > 0 {
			text += fmt.Sprintf(" (retryscope's %.2f more attempts per request came with %.1f pp more success: %.2f successes per extra attempt)",
				d, 100*gain, gain/d)
		}
		return domination{p.Policy, text, [2]float64{1, -(d - tol)}}, true
	}
	// The p99 of successes is compared only when the comparator succeeds at
	// least as often on average: when retryscope succeeds more often, its
	// extra successes are requests it saved by waiting or retrying, and
	// their latency lengthens its p99 without any caller waiting longer
	// for an answer the comparator gave.
	if d, tol := c.P99OK.Mean-p.P99OK.Mean, p99Tolerance(c, p); p.Success.Mean >= c.Success.Mean && d > tol {
		return domination{p.Policy, fmt.Sprintf("%s with a lower p99 of successful requests: %s against %s (tolerance %s)%s",
			tie, secs(p.P99OK.Mean), secs(c.P99OK.Mean), secs(tol), p99Note(c, p, p.P99OK.Mean+tol)), [2]float64{2, -(d - tol) / max(p.P99OK.Mean, 1)}}, true
	}
	return domination{}, false
}

// tailByChance says, for a one-seed cell c whose p99 of successes is longer
// than limit (emulated ms), when that rests on so few requests that the
// draw explains it: a p99 of n successes is the ceil(0.99 n)-th slowest,
// so n - ceil(0.99 n) of them may take longer than limit; the count above
// a p99 has a binomial 95% noise of 1.96 sqrt(0.0099 n) requests, and an
// excess within it is chance (one request whose retry drew a slow
// invocation moves a p99 of 200 successes by a whole timeout). Otherwise,
// and with several seeds (whose spreads are the tolerance), "".
func tailByChance(c *Cell, limit float64) string {
	if c.Seeds() != 1 {
		return ""
	}
	r := c.Runs[0]
	n := r.Succeeded
	slow := 0
	for _, l := range r.SlowestOK {
		if l > limit {
			slow++
		}
	}
	if n == 0 || len(r.SlowestOK) == 0 || (slow == len(r.SlowestOK) && slow < n) {
		return "" // not kept, or more requests than kept are that slow
	}
	rank := percentileRank(n, 99)
	excess, band := slow-(n-rank), 1.96*math.Sqrt(0.0099*float64(n))
	if float64(excess) > band {
		return ""
	}
	return fmt.Sprintf(" -- by chance of the draw: that p99 is the %s slowest of %d successes, and %d more of them than that took longer than %s, "+
		"within the one-seed noise of %.1f requests on the count above a p99", ordinal(n-rank+1), n, excess, secs(limit), band)
}

// p99Note is tailByChance, or else waitNote.
func p99Note(c, p *Cell, limit float64) string {
	if s := tailByChance(c, limit); s != "" {
		return s
	}
	return waitNote(c, p)
}

// waitNote says, when the successes at or past both cells' p99s took
// about as many attempts (less than half an attempt apart on average),
// that the gap between the p99s is in the waits between attempts, not in
// more attempts; otherwise "".
func waitNote(c, p *Cell) string {
	ac, ok := tailAttempts(c)
	ap, pok := tailAttempts(p)
	if !ok || !pok || math.Abs(ac-ap) >= 0.5 {
		return ""
	}
	return fmt.Sprintf(" -- the successes at or past both p99s took about as many attempts (retryscope %.1f on average, %s %.1f): the gap is in the waits between attempts, retryscope's backoff",
		ac, p.Policy, ap)
}

// tailAttempts is the mean attempts of the successes at or past each run's
// p99 of successes, over the cell's runs; false when a run kept too few
// (Result.SlowestOKAttempts) or none succeeded.
func tailAttempts(c *Cell) (float64, bool) {
	sum, n := 0, 0
	for _, r := range c.Runs {
		if r.Succeeded == 0 {
			return 0, false
		}
		k := r.Succeeded - percentileRank(r.Succeeded, 99) + 1
		if len(r.SlowestOKAttempts) < k {
			return 0, false
		}
		for _, a := range r.SlowestOKAttempts[len(r.SlowestOKAttempts)-k:] {
			sum += a
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return float64(sum) / float64(n), true
}

// ordinal writes n as "2nd", "11th".
func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// outageCapNote says, when comparator peer out-succeeds retryscope in an
// outage scenario while sending more than MaxOutageAttempts attempts per
// request issued during the outage, that its extra success came with load
// retryscope may not send; otherwise "".
func outageCapNote(cells []Cell, scenario, peer, deadline string) string {
	if !slices.Contains(OutageScenarios, scenario) {
		return ""
	}
	pc := findCell(cells, scenario, peer, deadline)
	if pc == nil || pc.WindowAttempts.Mean <= MaxOutageAttempts {
		return ""
	}
	return fmt.Sprintf(" -- %s's extra successes came with %.2f attempts per request issued during the outage, past the %.1f retryscope is held to",
		peer, pc.WindowAttempts.Mean, MaxOutageAttempts)
}

// cellTarget starts the target name about policy's cell of scenario: met,
// its numbers the cell's success and attempts per request; not run, and a
// nil cell, when the cell is missing.
func cellTarget(cells []Cell, scenario, policy, name string) (Target, *Cell) {
	c := findCell(cells, scenario, policy, cellsDeadline(cells))
	if c == nil {
		return Target{Status: StatusNotRun}, nil
	}
	n := c.Seeds()
	return Target{Name: name, Status: StatusMet, Numbers: fmt.Sprintf("%s %s at %s attempts/request",
		policy, pctStat(c.Success, n), withSpread(c.Amplification, n, "%.2f"))}, c
}

// dominanceTarget: no comparator succeeds more often, or as often with
// fewer attempts or a lower p99 (dominance). Comparators that ran a
// function twice are listed but are no bar. The reason of a target not met
// is one line: the strongest comparator's case, the others by name.
func dominanceTarget(cells []Cell, scenario string) Target {
	t, c := cellTarget(cells, scenario, "retryscope", scenario+": no peer succeeds more often, or as often with fewer attempts per request or a lower p99 of successful requests")
	if c == nil {
		return t
	}
	t.Numbers += ", p99 of successes " + secsStat(c.P99OK, c.Seeds())
	var doms []domination
	compared := 0
	for _, name := range comparators() {
		pc := findCell(cells, scenario, name, c.Deadline)
		if pc == nil {
			continue
		}
		t.Numbers += fmt.Sprintf("; %s %s at %s, p99 of successes %s", name, pctStat(pc.Success, pc.Seeds()), withSpread(pc.Amplification, pc.Seeds(), "%.2f"), secsStat(pc.P99OK, pc.Seeds()))
		if pc.Duplicates > 0 {
			t.Numbers += fmt.Sprintf(" (no bar: %d duplicate executions)", pc.Duplicates)
			continue
		}
		compared++
		if d, ok := dominance(c, pc); ok {
			doms = append(doms, d)
		}
	}
	if compared == 0 {
		return Target{Status: StatusNotRun}
	}
	if len(doms) > 0 {
		slices.SortStableFunc(doms, func(a, b domination) int {
			if c := cmp.Compare(a.rank[0], b.rank[0]); c != 0 {
				return c
			}
			return cmp.Compare(a.rank[1], b.rank[1])
		})
		t.Status = StatusNotMet
		t.Why = doms[0].text
		if doms[0].rank[0] == 0 {
			t.Why += outageCapNote(cells, scenario, doms[0].peer, c.Deadline)
		}
		if doms[0].peer == "none" && doms[0].rank[0] > 0 {
			t.Why += " (retries add no success here beyond the seeds' spread, so any retry or wait shows as a cost)"
		}
		if len(doms) > 1 {
			var others []string
			for _, d := range doms[1:] {
				others = append(others, d.peer)
			}
			t.Why += "; also dominated by " + strings.Join(others, ", ")
		}
		t.Why += "; retryscope's requests ended: " + outcomeTextOf(c)
	}
	return t
}

// idempotencyTarget: in post-timeouts, where the peers' success comes from
// running functions twice, retryscope-idempotency (keys, and a function
// that honours them) reaches each such peer's success with no duplicate.
func idempotencyTarget(cells []Cell) Target {
	const sc = "post-timeouts"
	t, c := cellTarget(cells, sc, "retryscope-idempotency", sc+": retryscope-idempotency reaches the success of the peers that ran functions twice, with zero duplicates")
	if c == nil {
		return t
	}
	t.Numbers += fmt.Sprintf(", %d duplicates", c.Duplicates)
	var why []string
	if c.Duplicates > 0 {
		why = append(why, fmt.Sprintf("%d duplicate executions despite the keys", c.Duplicates))
	}
	bars := 0
	for _, name := range peerNames() {
		pc := findCell(cells, sc, name, c.Deadline)
		if pc == nil || pc.Duplicates == 0 {
			continue
		}
		bars++
		t.Numbers += fmt.Sprintf("; %s %s with %d duplicates", name, pctStat(pc.Success, pc.Seeds()), pc.Duplicates)
		if gap, tol := pc.Success.Mean-c.Success.Mean, successTolerance(c, pc); gap > tol {
			why = append(why, fmt.Sprintf("vs %s: success %.1f%% against %.1f%%, %.1f pp higher (tolerance %.1f pp)",
				name, 100*pc.Success.Mean, 100*c.Success.Mean, 100*gap, 100*tol))
		}
	}
	if bars == 0 {
		t.Numbers += "; no peer ran a function twice under this deadline"
	}
	if len(why) > 0 {
		t.Status = StatusNotMet
		t.Why = strings.Join(why, "; ") + "; its requests ended: " + outcomeTextOf(c)
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

// amplificationTolerance is successTolerance for attempts per request, at
// least MinAmplificationTolerance.
func amplificationTolerance(a, b *Cell) float64 {
	if a.Seeds() > 1 || b.Seeds() > 1 {
		return max(MinAmplificationTolerance, a.Amplification.Spread+b.Amplification.Spread)
	}
	ra, rb := a.Runs[0], b.Runs[0]
	return max(MinAmplificationTolerance, meanNoise(ra.AttemptsStdDev, ra.Requests-ra.Dropped, rb.AttemptsStdDev, rb.Requests-rb.Dropped))
}

// p99Tolerance is how much longer retryscope's p99 latency of successful
// requests may be than a comparator's (emulated ms): the two cells' spreads
// together, and at least P99Tolerance of the comparator's.
func p99Tolerance(a, b *Cell) float64 {
	return max(a.P99OK.Spread+b.P99OK.Spread, P99Tolerance*b.P99OK.Mean)
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

func recoveryTarget(cells []Cell, scenario string) Target {
	limit := transport.DefaultBreakerTimeout + RecoverySlack
	t := Target{Name: fmt.Sprintf("%s: back to 95%% success within the breaker's open time + 1 s (%.0f s) after the outage", scenario, limit.Seconds())}
	c := findCell(cells, scenario, "retryscope", cellsDeadline(cells))
	if c == nil {
		t.Status = StatusNotRun
		return t
	}
	t.Numbers = "retryscope " + recoveryCellOf(c)
	for _, p := range peerNames() {
		if pc := findCell(cells, scenario, p, c.Deadline); pc != nil {
			t.Numbers += "; " + p + " " + recoveryCellOf(pc)
		}
	}
	t.Status = StatusMet
	if !c.Recovered || c.Recovery.Mean-c.Recovery.Spread > float64(limit/time.Millisecond) {
		t.Status = StatusNotMet
		t.Why = "recovery " + recoveryCellOf(c) + "; requests ended: " + outcomeTextOf(c)
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
