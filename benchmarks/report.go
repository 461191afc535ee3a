package benchmarks

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Meta describes how results were made, for the report.
type Meta struct {
	// Command is the command line that made them.
	Command string
	// Seeds are the seeds that ran; Quick and Parallel the run
	// configuration.
	Seeds    []int64
	Quick    bool
	Parallel int
	// Realtime is true for a real-time run over loopback (-realtime).
	Realtime bool
	// Wall is how long the whole benchmark took.
	Wall time.Duration
}

// WriteJSON writes {"results": [...]} to w.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if results == nil {
		results = []Result{}
	}
	return enc.Encode(struct {
		Results []Result `json:"results"`
	}{results})
}

// secs formats emulated milliseconds as seconds.
func secs(ms float64) string {
	if ms < 10000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.0f s", ms/1000)
}

// maxSeeds is the largest number of seeds of any cell.
func maxSeeds(cells []Cell) int {
	n := 0
	for i := range cells {
		n = max(n, cells[i].Seeds())
	}
	return n
}

// TableLegend explains the table's columns and marks, one line each.
func TableLegend(seeds int) []string {
	out := []string{
		"Times are emulated seconds: what a caller would have waited in production, whatever the run's wall time.",
		"SUCCESS: logical requests answered 2xx. AMPLIFICATION: attempts per logical request. DUPLICATES: non-idempotent requests whose function ran twice or more (summed over the seeds).",
		"P99: 99th percentile latency of logical requests, failures included. DEADLINE: each caller's deadline per logical request (none: no deadline).",
		"RECOVERY: time after the fault window until every later 5 s window of issued requests is back to 95% success; " +
			"0.00 s: back at once; never: not back before the load ended; -: the scenario has no fault window.",
	}
	if seeds > 1 {
		out = append(out, fmt.Sprintf("Each cell is the mean over its seeds (up to %d; the scale scenarios run one); ±: half the range between the lowest and the highest seed.", seeds))
	}
	return out
}

// WriteTable writes the headline table (one row per scenario, policy and
// deadline; the mean over the seeds, with the spread when there are
// several) with tabwriter, followed by its legend.
func WriteTable(w io.Writer, results []Result) error {
	cells := Aggregate(results)
	n := maxSeeds(cells)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tPOLICY\tDEADLINE\tSUCCESS\tAMPLIFICATION\tDUPLICATES\tP99\tRECOVERY")
	for i := range cells {
		c := &cells[i]
		k := c.Seeds()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.Scenario, c.Policy, c.Deadline, pctStat(c.Success, k),
			withSpread(c.Amplification, k, "%.2f"), c.Duplicates, secsStat(c.P99, k), recoveryCellOf(c))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, l := range TableLegend(n) {
		fmt.Fprintln(w, l)
	}
	return nil
}

// WriteTargets writes one line per target that ran, with the one-line
// reason beside every NOT MET, then a count of each status.
func WriteTargets(w io.Writer, results []Result) error {
	met, notMet := 0, 0
	for _, t := range Evaluate(results) {
		line := fmt.Sprintf("%-8s [deadline %s] %s: %s", strings.ToUpper(t.Status), t.Deadline, t.Name, t.Numbers)
		if t.Why != "" {
			line += " -- why: " + t.Why
		}
		if t.Status == StatusMet {
			met++
		} else {
			notMet++
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	if met+notMet == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "targets: %d met, %d not met (dominance against no retries and every peer; see docs/bench/report.md)\n", met, notMet)
	return err
}

// WriteReport writes the report (report.md) and its plots into dir.
func WriteReport(dir string, results []Result, meta Meta) error {
	plots, err := Plots(results, dir)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "report.md"))
	if err != nil {
		return err
	}
	if err := writeMarkdown(f, results, meta, plots); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeMarkdown(w io.Writer, results []Result, meta Meta, plots []string) error {
	var b strings.Builder
	cells := Aggregate(results)
	n := maxSeeds(cells)
	b.WriteString("# retryscope benchmark: retry policies on the same emulated faults\n\n")
	var seeds []string
	for _, s := range meta.Seeds {
		seeds = append(seeds, fmt.Sprint(s))
	}
	engine := "in virtual time (the same command gives the same numbers)"
	if meta.Realtime {
		engine = "in real time over loopback, time-scaled (numbers move with the machine's load)"
	}
	fmt.Fprintf(&b, "Made with `%s` (seeds %s, callers' deadlines %s, %s), %d runs %s, in %.0f s of wall time. ",
		meta.Command, strings.Join(seeds, ", "), strings.Join(deadlines(results), ", "),
		map[bool]string{true: "-quick", false: "full length"}[meta.Quick], len(results), engine, meta.Wall.Seconds())
	b.WriteString("Every policy ran every scenario against its own `apigwtest` server (API Gateway + Lambda emulator) " +
		"with the same arrivals and the same fault draws. All times are emulated: 29 s reads as 29 s " +
		"(see [Method](#method)).\n\n")

	b.WriteString("## Targets for retryscope's defaults\n\n")
	for _, l := range TargetRules {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	for _, t := range Evaluate(results) {
		fmt.Fprintf(&b, "- **%s** (deadline %s) — %s", strings.ToUpper(t.Status), t.Deadline, t.Name)
		if t.Numbers != "" {
			fmt.Fprintf(&b, ". %s", t.Numbers)
		}
		if t.Why != "" {
			fmt.Fprintf(&b, ". Why: %s", t.Why)
		}
		b.WriteString(".\n")
	}

	b.WriteString("\n## Comparison\n\nEach cell: success · attempts per logical request · time to recover after the fault " +
		"window (where there is one), means over the seeds · duplicate executions (where there are any), summed over the seeds.\n\n")
	var cmpTable strings.Builder
	if err := WriteComparison(&cmpTable, results); err != nil {
		return err
	}
	b.WriteString(cmpTable.String())

	b.WriteString("\n## Headline\n\n")
	for _, l := range TableLegend(n) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	writeHeadline(&b, cells)

	if len(plots) > 0 {
		b.WriteString("\n## Plots\n\n")
		b.WriteString("The success plots show, at each emulated second t, the share of the logical requests issued " +
			"in [t, t+5 s) that ended in a 2xx, drawn at t+2.5 s (\"success of requests issued per 5 s\"); the load " +
			"plots show Lambda invocations started per second (5 s average). Plots over time are from the first seed " +
			"and the first deadline; the grey band is the fault window.\n\n")
		for _, p := range plots {
			fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(p, ".png"), p)
		}
	}

	b.WriteString("## Scenarios in detail\n\n")
	scenarios, _ := names(results)
	for _, name := range scenarios {
		sc, _ := ScenarioByName(name)
		fmt.Fprintf(&b, "### %s\n\n%s.\n\n", name, sc.Summary)
		writeDetail(&b, results, name)
		b.WriteString("\n")
	}

	writeMethod(&b, results, meta)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteComparison writes the Markdown comparison table of the README: one
// row per scenario and deadline, one column per built-in peer (Peers), each
// cell "success · attempts per request · recovery" (means over the seeds;
// recovery only where the scenario has a fault window), duplicates summed
// over the seeds in bold where there are any.
func WriteComparison(w io.Writer, results []Result) error {
	cells := Aggregate(results)
	var cols []string
	for _, p := range Peers() {
		for i := range cells {
			if cells[i].Policy == p.Name {
				cols = append(cols, p.Name)
				break
			}
		}
	}
	var b strings.Builder
	b.WriteString("| scenario | deadline |")
	for _, c := range cols {
		if c == "retryscope" {
			c = "**retryscope**"
		}
		b.WriteString(" " + c + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	scenarios, _ := names(results)
	for _, sc := range scenarios {
		for _, d := range deadlines(results) {
			if findCell(cells, sc, cols[0], d) == nil && findCell(cells, sc, "retryscope", d) == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s |", sc, d)
			for _, p := range cols {
				c := findCell(cells, sc, p, d)
				if c == nil {
					b.WriteString(" |")
					continue
				}
				cell := fmt.Sprintf("%.0f%% · %.2f×", 100*c.Success.Mean, c.Amplification.Mean)
				if c.HasWindow {
					cell += " · " + recoveryCellOf(&Cell{HasWindow: true, Recovered: c.Recovered, Recovery: Stat{Mean: c.Recovery.Mean}, Runs: c.Runs[:1]})
				}
				if c.Duplicates > 0 {
					cell += fmt.Sprintf(" · **%d dup**", c.Duplicates)
				}
				b.WriteString(" " + cell + " |")
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeadline(b *strings.Builder, cells []Cell) {
	b.WriteString("| scenario | policy | deadline | success | amplification | duplicates | p99 | recovery |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|\n")
	for i := range cells {
		c := &cells[i]
		name := c.Policy
		if name == "retryscope" {
			name = "**retryscope**"
		}
		n := c.Seeds()
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %d | %s | %s |\n", c.Scenario, name, c.Deadline, pctStat(c.Success, n),
			withSpread(c.Amplification, n, "%.2f"), c.Duplicates, secsStat(c.P99, n), recoveryCellOf(c))
	}
}

func writeDetail(b *strings.Builder, results []Result, scenario string) {
	b.WriteString("| policy | deadline | seed | requests | succeeded | attempts | invocations | executions | duplicates | p50 | p95 | p99 | max | attempts/request in window | outcomes |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for i := range results {
		r := &results[i]
		if r.Scenario != scenario {
			continue
		}
		win := "-"
		if r.WindowToMS > 0 {
			win = fmt.Sprintf("%.2f", r.WindowAttempts)
		}
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", r.Policy, r.Deadline, r.Seed,
			r.Requests, r.Succeeded, r.Attempts, r.Invocations, r.Executions, r.Duplicates, secs(r.P50), secs(r.P95), secs(r.P99),
			secs(r.Max), win, outcomeText(r))
	}
}

func writeMethod(b *strings.Builder, results []Result, meta Meta) {
	b.WriteString("## Method\n\n")
	b.WriteString("- **Load**: open loop. Poisson arrivals at the scenario's offered rate, the same for every policy " +
		"(drawn from the seed), each logical request on its own goroutine, at most 1000 in flight (an arrival that " +
		"finds none free is dropped and counts as failed; `dropped` in the outcomes). Retries add load, as in a real " +
		"outage. Every attempt carries the logical request's `X-Bench-Request` id.\n")
	b.WriteString("- **Measures**: attempts are counted under each library (one per round trip it sends); " +
		"invocations and their start times come from the emulator's ground truth (`Server.Invocations`); " +
		"executions are the function's side-effecting runs, counted by the function after `Server.Wait`, so " +
		"functions that ran on after a 504 are included. Latency is from issue to body read, failed requests included. " +
		"Success is a 2xx answer. The throttle scenarios measure the requests issued from 20 s to 80 s and offer the " +
		"same load, unmeasured, for 20 s before and after: at the edges of the measured period, retries from " +
		"outside it compete for the same capacity as retries into it, so a policy that retries late gains nothing " +
		"from the run's ends.\n")
	b.WriteString("- **The function** dedupes by `Idempotency-Key` as Powertools does: a completed key returns the " +
		"stored answer without executing, a key still in progress returns 409. Only `retryscope-idempotency` sends keys.\n")
	if meta.Realtime {
		b.WriteString("- **Time scale** (-realtime): real time = emulated time × scale (apigwtest.WithTimeScale). Every policy's " +
			"durations are multiplied by the same scale (Env.Scaled): backoff bases and caps, breaker open times, the " +
			"budget's floor, hedge delays; counts are not scaled. Scheduling noise on the machine shows up multiplied by " +
			"1/scale: a 10 ms stall reads as 250 ms at the quick scale of 0.04, so the same seed can give different numbers.\n")
	} else {
		b.WriteString("- **Virtual time**: each run happens in its own `testing/synctest` bubble. The emulator's `http.Server`, " +
			"the policy's client over its own `http.Transport`, the load generator and the functions are created inside it and " +
			"talk over buffered in-memory connections (a `net.Conn` pair, `memPipe`), so the bubble's clock advances only when every goroutine in it waits: " +
			"a 29 s integration timeout costs no wall time, and the machine's load cannot move an event. Every random draw " +
			"comes from the seed, the policies' jitter included (go-retryablehttp and failsafe-go draw none by default; " +
			"retryscope's jitter and the AWS SDK's backoff draw from the run's seeded source instead of math/rand and " +
			"crypto/rand), so the same command writes the same JSON byte for byte (one known exception: retryscope-hedge's p99 in one overload job can move by tens of milliseconds).\n")
	}
	b.WriteString("- **Reproducibility**: the seed fixes the arrivals, the fault draws and the function's work; the k-th " +
		"attempt of a logical request meets the same draw under every policy (a paired comparison). With several seeds " +
		"a cell is the mean over them and its spread half the range; a target counts as not met only when the " +
		"shortfall is larger than the two cells' spreads together (with one seed: than the 95% noise band of the difference).\n")
	b.WriteString("- **The gateway's own time**: every answer leaves the emulator 1 to 5 ms (drawn from the seed) after " +
		"its integration ends, as API Gateway's Latency exceeds its IntegrationLatency; it also keeps two events from " +
		"falling on the very same instant (a 504 after a 10 s integration timeout and a caller's 10 s deadline).\n")
	b.WriteString("- **Scale scenarios**: `storm` allows 60,000 logical requests in flight and `fleet` 20,000 (instead of 1000); " +
		"`fleet` spreads its callers over 200 clients, request i to client i mod 200, each with its own connections, " +
		"breaker and budget; `retryscope-fleet` shares breaker openings and retry counts through an in-memory store " +
		"that each member meets every 100 ms and at once when its breaker opens, with redisfleet's rules. Both run for " +
		"the first seed and the first deadline only.\n")
	b.WriteString("- **Callers' deadlines**: each logical request runs under a context with the given deadline (none: " +
		"a 10 minute safety net only); a request that runs out of it ends as `deadline` in the outcomes.\n")
	b.WriteString("\n### Policies\n\n")
	for _, p := range Policies() {
		fmt.Fprintf(b, "- `%s`: %s.\n", p.Name, p.Summary)
	}
	b.WriteString("\nThe AWS SDK's retry loop lives in a smithy middleware that needs a generated service client; " +
		"`aws-sdk-standard` repeats that loop around plain HTTP and leaves every decision to `retry.Standard` " +
		"(IsErrorRetryable on the error the SDK's REST-JSON deserializer would make, with the code from " +
		"x-amzn-ErrorType; GetAttemptToken; GetRetryToken; RetryDelay). Not repeated: the x-amz-retry-after " +
		"adjustment (never sent by the emulator) and clock-skew correction.\n")
}
