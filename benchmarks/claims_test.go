package benchmarks

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Retries a member counted after its last sync must reach the store when
// the fleet closes: budgetUse (Result.FleetBudgetUse) is read after Close,
// and the run's last retries, sent less than a sync interval before the
// last request ended, were left out of it.
func TestBugFleetBudgetUseCountsRetriesAfterLastSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFleet()
		m := f.member(0)
		time.Sleep(time.Millisecond) // synced once
		for range 30 {
			m.CountRequest("h", true)
		}
		// The last request ends well within the next sync interval.
		time.Sleep(fleetSync / 2)
		f.Close()
		// 30 retries, no first attempts: 30 over the window's floor of 10.
		if got := f.budgetUse(); got < 3 {
			t.Errorf("budgetUse after Close = %.2f, want 3.00: the retries counted since the last sync were dropped", got)
		}
	})
}

// committedResults returns the committed docs/bench/results.json and the
// README that quotes it; it skips the test when there are no results.
func committedResults(t *testing.T) ([]Result, []byte) {
	t.Helper()
	raw, err := os.ReadFile("../docs/bench/results.json")
	if err != nil {
		t.Skip("no committed results:", err)
	}
	var results []Result
	if err := jsonResults(raw, &results); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return results, readme
}

// The README's comparison table is WriteComparison of the committed
// docs/bench/results.json, byte for byte (rounding, rows, columns), and
// the headline count of targets met is Evaluate's.
func TestClaimsReadmeTableMatchesResults(t *testing.T) {
	results, readme := committedResults(t)
	_, rest, ok := strings.Cut(string(readme), "<!-- bench-table -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- /bench-table -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no bench-table markers")
	}
	var b strings.Builder
	if err := WriteComparison(&b, results); err != nil {
		t.Fatal(err)
	}
	if table != b.String() {
		t.Errorf("README's table differs from WriteComparison(docs/bench/results.json):\n%s\nwant:\n%s", table, b.String())
	}
	met, all := 0, 0
	for _, tg := range Evaluate(results) {
		all++
		if tg.Status == StatusMet {
			met++
		}
	}
	if want := fmt.Sprintf("all %d targets are met", all); met != all || !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("Evaluate: %d of %d targets met; README should say %q", met, all, want)
	}
}

// The README's bullets under the comparison table quote figures of the
// committed docs/bench/results.json; each is computed here from the
// results and must appear in the README as written (whitespace folded),
// so a regenerated results.json that moves a figure fails until the prose
// says what the results do.
func TestClaimsReadmeProseMatchesResults(t *testing.T) {
	results, readme := committedResults(t)
	text := strings.Join(strings.Fields(string(readme)), " ")
	cells := Aggregate(results)
	cell := func(scenario, policy, deadline string) *Cell {
		c := findCell(cells, scenario, policy, deadline)
		if c == nil {
			t.Fatalf("results.json has no %s / %s / %s", scenario, policy, deadline)
		}
		return c
	}
	var peers []string // the comparators other than no retries
	for _, p := range Peers() {
		if p.Name != "none" && p.Name != "retryscope" {
			peers = append(peers, p.Name)
		}
	}
	// pct0 is a success rate in whole percent (as the table); pct1 to a
	// tenth, "100%" only when every request succeeded.
	pct0 := func(c *Cell) string { return fmt.Sprintf("%.0f%%", 100*c.Success.Mean) }
	pct1 := func(c *Cell) string {
		if c.Success.Mean == 1 {
			return "100%"
		}
		return fmt.Sprintf("%.1f%%", 100*c.Success.Mean)
	}
	amp := func(c *Cell) string { return fmt.Sprintf("%.2f", c.Amplification.Mean) }
	win := func(c *Cell) string { return fmt.Sprintf("%.2f", c.WindowAttempts.Mean) }
	// best is the peer that succeeds most often in a scenario under a
	// deadline.
	best := func(scenario, deadline string) *Cell {
		var b *Cell
		for _, p := range peers {
			if c := findCell(cells, scenario, p, deadline); c != nil && (b == nil || c.Success.Mean > b.Success.Mean) {
				b = c
			}
		}
		return b
	}
	// recoveries is the range of the seeds' recovery times, in seconds,
	// of the cells given; ok is false when a seed did not recover.
	recoveries := func(cs ...*Cell) (lo, hi float64, ok bool) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, c := range cs {
			for _, r := range c.Runs {
				if !r.Recovered {
					return 0, 0, false
				}
				lo, hi = min(lo, r.RecoveryMS/1000), max(hi, r.RecoveryMS/1000)
			}
		}
		return lo, hi, true
	}
	thousands := func(n int) string {
		s := fmt.Sprint(n)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	}
	prose := map[string]string{"failsafe-go-default": "failsafe-go's default"}
	var claims []string
	claim := func(format string, args ...any) { claims = append(claims, fmt.Sprintf(format, args...)) }

	// post-timeouts: who ran a function twice, and how often.
	dups := -1
	for _, d := range []string{"none", "60s"} {
		for _, p := range peers {
			c := cell("post-timeouts", p, d)
			switch {
			case p == "failsafe-go-breaker":
				if c.Duplicates != 0 {
					t.Errorf("post-timeouts, %s, %s: %d duplicates; the README says failsafe-go's breaker runs none twice", p, d, c.Duplicates)
				}
			case c.Duplicates == 0:
				t.Errorf("post-timeouts, %s, %s: no duplicate; the README says every peer but failsafe-go's breaker runs functions twice", p, d)
			case dups == -1:
				dups = c.Duplicates
			case c.Duplicates != dups:
				t.Errorf("post-timeouts, %s, %s: %d duplicates, another peer %d; the README gives one count for all", p, d, c.Duplicates, dups)
			}
		}
	}
	for _, p := range peers {
		if c := cell("post-timeouts", p, "10s"); c.Duplicates != 0 {
			t.Errorf("post-timeouts, %s, 10s: %d duplicates; the README says none under 10 s", p, c.Duplicates)
		}
	}
	for _, c := range cells {
		if (c.Policy == "retryscope" || c.Policy == "retryscope-idempotency") && c.Duplicates != 0 {
			t.Errorf("%s, %s, %s: %d duplicates; the README says retryscope runs none twice", c.Scenario, c.Policy, c.Deadline, c.Duplicates)
		}
	}
	seeds := cell("post-timeouts", "retryscope", "none").Seeds()
	if seeds != 3 {
		t.Errorf("post-timeouts ran %d seeds; the README says three", seeds)
	}
	claim("runs a function twice %d times over the three seeds", dups)
	idem := cell("post-timeouts", "retryscope-idempotency", "none")
	claim("it reaches %s at %s attempts per request, still with no duplicate", pct0(idem), amp(idem))

	// outage, under the three deadlines.
	on, o60, o10 := cell("outage", "retryscope", "none"), cell("outage", "retryscope", "60s"), cell("outage", "retryscope", "10s")
	rn, r60, r10 := cell("outage", "retryablehttp", "none"), cell("outage", "retryablehttp", "60s"), cell("outage", "retryablehttp", "10s")
	b60, b10 := best("outage", "60s"), best("outage", "10s")
	claim("%s success at %s attempts per request without a deadline (go-retryablehttp %s at %s)", pct0(on), amp(on), pct0(rn), amp(rn))
	claim("%s at %s under a 60 s deadline (best peer %s at %s, %s)", pct0(o60), amp(o60), pct0(b60), amp(b60), prose[b60.Policy])
	claim("%s at %s under 10 s (no peer above %s)", pct0(o10), amp(o10), pct0(b10))
	claim("%s, %s and %s attempts per request issued during the outage window", win(on), win(o60), win(o10))
	claim("against %s, %s and %s for go-retryablehttp", win(rn), win(r60), win(r10))

	// function-errors: the same under each deadline, and its failures.
	fe := cell("function-errors", "retryscope", "none")
	for _, d := range []string{"60s", "10s"} {
		if c := cell("function-errors", "retryscope", d); pct1(c) != pct1(fe) || amp(c) != amp(fe) {
			t.Errorf("function-errors, retryscope: %s at %s under %s, %s at %s without a deadline; the README says the same under each deadline", pct1(c), amp(c), d, pct1(fe), amp(fe))
		}
	}
	failed := fe.Requests
	for _, r := range fe.Runs {
		failed -= r.Succeeded
	}
	if failed != fe.Outcomes["502"] {
		t.Errorf("function-errors, retryscope: %d failed, %d of them a 502; the README says they ended in a 502", failed, fe.Outcomes["502"])
	}
	one := map[int]string{1: "one request"}[failed]
	if one == "" {
		one = fmt.Sprintf("%d requests", failed)
	}
	fr, fr60, fr10 := cell("function-errors", "retryablehttp", "none"), cell("function-errors", "retryablehttp", "60s"), cell("function-errors", "retryablehttp", "10s")
	if pct1(fr60) != pct1(fr) || amp(fr60) != amp(fr) {
		t.Errorf("function-errors, retryablehttp: %s at %s under 60 s, %s at %s without a deadline; the README gives them as one", pct1(fr60), amp(fr60), pct1(fr), amp(fr))
	}
	claim("%s at %s under each deadline (%s of %s over the three seeds still ended in a 502)", pct1(fe), amp(fe), one, thousands(fe.Requests))
	claim("as go-retryablehttp (%s at %s without a deadline and under 60 s, %s under 10 s)", pct1(fr), amp(fr), pct1(fr10))

	// throttle: retryscope under each deadline, the peers' range.
	tn, t60, t10 := cell("throttle", "retryscope", "none"), cell("throttle", "retryscope", "60s"), cell("throttle", "retryscope", "10s")
	slo, shi, alo, ahi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range peers {
		for _, d := range []string{"none", "60s", "10s"} {
			c := cell("throttle", p, d)
			slo, shi = min(slo, c.Success.Mean), max(shi, c.Success.Mean)
			alo, ahi = min(alo, c.Amplification.Mean), max(ahi, c.Amplification.Mean)
		}
	}
	claim("%s at %s attempts without a deadline, %s at %s under 60 s, %s at %s under 10 s (every peer %.0f to %.0f%%, at %.2f to %.2f)",
		pct1(tn), amp(tn), pct1(t60), amp(t60), pct1(t10), amp(t10), 100*slo, 100*shi, alo, ahi)

	// overload: which peers let the backend recover, and retryscope.
	for _, p := range peers {
		for _, d := range []string{"none", "60s", "10s"} {
			c := cell("overload", p, d)
			recovers := p == "failsafe-go-breaker" || (p == "retryablehttp-gobreaker" && d == "10s")
			if _, _, ok := recoveries(c); ok != recovers {
				t.Errorf("overload, %s, %s: back to 95%% in every seed %v; the README says %v", p, d, ok, recovers)
			}
		}
	}
	fbLo, fbHi, _ := recoveries(cell("overload", "failsafe-go-breaker", "none"), cell("overload", "failsafe-go-breaker", "60s"), cell("overload", "failsafe-go-breaker", "10s"))
	gbLo, gbHi, _ := recoveries(cell("overload", "retryablehttp-gobreaker", "10s"))
	claim("failsafe-go's breaker is, after %.0f to %.0f s, and go-retryablehttp with gobreaker under 10 s, after %.0f to %.0f s", fbLo, fbHi, gbLo, gbHi)
	vn, v60, v10 := cell("overload", "retryscope", "none"), cell("overload", "retryscope", "60s"), cell("overload", "retryscope", "10s")
	claim("retryscope succeeds %s at %s attempts per request without a deadline, %s under 60 s and %s under 10 s (failsafe-go's breaker %s, no retries %s)",
		pct0(vn), amp(vn), pct0(v60), pct0(v10), pct0(cell("overload", "failsafe-go-breaker", "10s")), pct0(cell("overload", "none", "10s")))

	// storm: the peaks of waiting callers and the outcomes.
	sn, sr, ss := cell("storm", "none", "none"), cell("storm", "retryablehttp", "none"), cell("storm", "retryscope", "none")
	claim("%s callers waiting at once at the peak without retries, %s with go-retryablehttp, %s with retryscope",
		thousands(sn.Runs[0].PeakInFlight), thousands(sr.Runs[0].PeakInFlight), thousands(ss.Runs[0].PeakInFlight))
	claim("retryscope succeeds %s at %s attempts per request, no retries %s; go-retryablehttp falls to %s at %s", pct0(ss), amp(ss), pct0(sn), pct0(sr), amp(sr))

	// fleet: alone, sharing, and go-retryablehttp's.
	fa, ff, fg := cell("fleet", "retryscope", "none"), cell("fleet", "retryscope-fleet", "none"), cell("fleet", "retryablehttp", "none")
	claim("every member alone, %s at %s attempts per request", pct1(fa), amp(fa))
	claim("cuts that to %s attempts at %s", amp(ff), pct1(ff))
	claim("at most %.1f times it in any 10 s window", ff.Runs[0].FleetBudgetUse)
	if _, _, ok := recoveries(fg); ok {
		t.Error("fleet, retryablehttp: recovered; the README says it never lets the backend recover")
	}
	claim("go-retryablehttp's fleet never lets the backend recover (%s)", pct0(fg))

	for _, c := range claims {
		if !strings.Contains(text, c) {
			t.Errorf("README should say %q (docs/bench/results.json)", c)
		}
	}
}
