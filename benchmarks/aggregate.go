package benchmarks

import (
	"fmt"
	"math"
	"strings"
)

// Stat is a measure over the seeds of a cell: its mean and its spread,
// half the range between the lowest and the highest seed (0 with one
// seed).
type Stat struct {
	Mean, Spread float64
}

func statOf(v []float64) Stat {
	if len(v) == 0 {
		return Stat{}
	}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, x := range v {
		lo, hi, sum = min(lo, x), max(hi, x), sum+x
	}
	return Stat{Mean: sum / float64(len(v)), Spread: (hi - lo) / 2}
}

// Cell is one scenario, policy and deadline over every seed that ran.
type Cell struct {
	Scenario, Policy, Deadline string
	// Runs are the cell's results, one per seed, in the order they came.
	Runs []*Result
	// Success is the success rate (0..1), Amplification attempts per
	// logical request sent, P99 the p99 latency (emulated ms), P99OK
	// that of the successful requests alone, WindowAttempts attempts per
	// request issued in the fault window.
	Success, Amplification, P99, P99OK, WindowAttempts Stat
	// Duplicates is the sum over the seeds.
	Duplicates int
	// Recovery is over the seeds that recovered (emulated ms); Recovered
	// is false when any seed did not.
	Recovery  Stat
	Recovered bool
	// HasWindow is true when the scenario has a fault window.
	HasWindow bool
	// Requests is the sum over the seeds of the measured logical requests.
	Requests int
	// Outcomes sums the runs' outcomes.
	Outcomes map[string]int
}

// Seeds is the number of runs in the cell.
func (c *Cell) Seeds() int { return len(c.Runs) }

// Aggregate groups results by scenario, policy and deadline, in the order
// each group first appears.
func Aggregate(results []Result) []Cell {
	var cells []Cell
	index := map[[3]string]int{}
	for i := range results {
		r := &results[i]
		k := [3]string{r.Scenario, r.Policy, r.Deadline}
		j, ok := index[k]
		if !ok {
			j = len(cells)
			index[k] = j
			cells = append(cells, Cell{Scenario: r.Scenario, Policy: r.Policy, Deadline: r.Deadline})
		}
		cells[j].Runs = append(cells[j].Runs, r)
	}
	for j := range cells {
		c := &cells[j]
		var succ, ampl, p99, p99ok, win, rec []float64
		c.Recovered = true
		c.Outcomes = map[string]int{}
		for _, r := range c.Runs {
			succ = append(succ, r.SuccessRate)
			ampl = append(ampl, r.Amplification)
			p99 = append(p99, r.P99)
			p99ok = append(p99ok, r.P99OK)
			win = append(win, r.WindowAttempts)
			c.Duplicates += r.Duplicates
			c.Requests += r.Requests
			c.HasWindow = r.WindowToMS > 0
			if r.Recovered {
				rec = append(rec, r.RecoveryMS)
			} else {
				c.Recovered = false
			}
			for k, v := range r.Outcomes {
				c.Outcomes[k] += v
			}
		}
		c.Success, c.Amplification, c.P99, c.P99OK = statOf(succ), statOf(ampl), statOf(p99), statOf(p99ok)
		c.WindowAttempts, c.Recovery = statOf(win), statOf(rec)
	}
	return cells
}

// deadlines returns the deadlines of results in first-seen order.
func deadlines(results []Result) []string {
	var out []string
	for _, r := range results {
		if indexOf(out, r.Deadline) == len(out) {
			out = append(out, r.Deadline)
		}
	}
	return out
}

func findCell(cells []Cell, scenario, policy, deadline string) *Cell {
	for i := range cells {
		c := &cells[i]
		if c.Scenario == scenario && c.Policy == policy && c.Deadline == deadline {
			return c
		}
	}
	return nil
}

// withSpread formats a stat: the mean, and "±spread" when there were
// several seeds.
func withSpread(s Stat, seeds int, format string) string {
	out := fmt.Sprintf(format, s.Mean)
	if seeds > 1 {
		out += " ±" + strings.TrimSpace(fmt.Sprintf(format, s.Spread))
	}
	return out
}

func pctStat(s Stat, seeds int) string {
	return withSpread(Stat{100 * s.Mean, 100 * s.Spread}, seeds, "%.1f") + "%"
}

func secsStat(s Stat, seeds int) string {
	f := "%.2f"
	if s.Mean >= 10000 {
		f = "%.0f"
	}
	return withSpread(Stat{s.Mean / 1000, s.Spread / 1000}, seeds, f) + " s"
}

func recoveryCellOf(c *Cell) string {
	switch {
	case !c.HasWindow:
		return "-"
	case !c.Recovered:
		return "never"
	}
	return secsStat(c.Recovery, c.Seeds())
}

// outcomeTextOf lists a cell's final outcomes, most frequent first.
func outcomeTextOf(c *Cell) string {
	r := Result{Outcomes: c.Outcomes}
	return outcomeText(&r)
}
