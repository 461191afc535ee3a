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
	// Seed, Quick and Parallel are the run configuration.
	Seed     int64
	Quick    bool
	Parallel int
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

// pct formats a rate as a percentage.
func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// secs formats emulated milliseconds as seconds.
func secs(ms float64) string {
	if ms < 10000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.0f s", ms/1000)
}

func recoveryCell(r *Result) string {
	switch {
	case r.WindowToMS == 0:
		return "-"
	case !r.Recovered:
		return "never"
	}
	return secs(r.RecoveryMS)
}

// WriteTable writes the headline table (one row per run) with tabwriter:
// success, amplification, duplicates, p99 and recovery.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tPOLICY\tSUCCESS\tAMPLIFICATION\tDUPLICATES\tP99\tRECOVERY")
	for i := range results {
		r := &results[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%d\t%s\t%s\n", r.Scenario, r.Policy, pct(r.SuccessRate),
			r.Amplification, r.Duplicates, secs(r.P99), recoveryCell(r))
	}
	return tw.Flush()
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
	b.WriteString("# retryscope benchmark: retry policies on the same emulated faults\n\n")
	fmt.Fprintf(&b, "Made with `%s` (seed %d, %s, %d runs at once) in %.0f s. ", meta.Command, meta.Seed,
		map[bool]string{true: "-quick", false: "full"}[meta.Quick], meta.Parallel, meta.Wall.Seconds())
	b.WriteString("Every policy ran every scenario against its own `apigwtest` server (API Gateway + Lambda emulator) " +
		"with the same arrivals and the same fault draws. All times are emulated: the runs were time-scaled " +
		"(see [Method](#method)), so 29 s reads as 29 s.\n\n")

	b.WriteString("## Targets (issue 6)\n\n")
	for _, t := range Evaluate(results) {
		fmt.Fprintf(&b, "- **%s** — %s", strings.ToUpper(t.Status), t.Name)
		if t.Numbers != "" {
			fmt.Fprintf(&b, ". %s", t.Numbers)
		}
		if t.Why != "" {
			fmt.Fprintf(&b, ". Why: %s", t.Why)
		}
		b.WriteString(".\n")
	}

	b.WriteString("\n## Headline\n\nSuccess rate, amplification (attempts per logical request), duplicate executions " +
		"(non-idempotent requests whose function ran more than once), p99 latency and time to recover after the " +
		"fault window (back to 95% success over every later 5 s window; `-`: no fault window).\n\n")
	writeHeadline(&b, results)

	if len(plots) > 0 {
		b.WriteString("\n## Plots\n\n")
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

	writeMethod(&b, results)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeadline(b *strings.Builder, results []Result) {
	b.WriteString("| scenario | policy | success | amplification | duplicates | p99 | recovery |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	for i := range results {
		r := &results[i]
		name := r.Policy
		if name == "retryscope" {
			name = "**retryscope**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.2f | %d | %s | %s |\n", r.Scenario, name, pct(r.SuccessRate),
			r.Amplification, r.Duplicates, secs(r.P99), recoveryCell(r))
	}
}

func writeDetail(b *strings.Builder, results []Result, scenario string) {
	b.WriteString("| policy | requests | succeeded | attempts | invocations | executions | duplicates | p50 | p95 | p99 | max | attempts/request in window | outcomes |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for i := range results {
		r := &results[i]
		if r.Scenario != scenario {
			continue
		}
		win := "-"
		if r.WindowToMS > 0 {
			win = fmt.Sprintf("%.2f", r.WindowAttempts)
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", r.Policy, r.Requests,
			r.Succeeded, r.Attempts, r.Invocations, r.Executions, r.Duplicates, secs(r.P50), secs(r.P95), secs(r.P99),
			secs(r.Max), win, outcomeText(r))
	}
}

func writeMethod(b *strings.Builder, results []Result) {
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
	b.WriteString("- **Time scale**: real time = emulated time × scale (apigwtest.WithTimeScale). Every policy's " +
		"durations are multiplied by the same scale: retryscope's backoff base and cap, MaxRetryAfter, breaker open time " +
		"(10 s), interval (30 s) and bucket (5 s), the budget's floor (1 retry per emulated second) and the hedge delay " +
		"(500 ms); go-retryablehttp's RetryWaitMin/Max (1 s, 30 s); failsafe-go's backoff (1 s to 30 s); the AWS SDK's " +
		"retry delay (its 50 ms base, 1 s throttle base and 20 s cap, by scaling the delay it returns). Counts are not " +
		"scaled (attempts, tokens, thresholds). Scheduling noise on the machine shows up multiplied by 1/scale: a 10 ms " +
		"stall reads as 250 ms at the quick scale of 0.04.\n")
	scales := map[float64]bool{}
	for _, r := range results {
		scales[r.Scale] = true
	}
	var s []string
	for k := range scales {
		s = append(s, fmt.Sprintf("%g", k))
	}
	fmt.Fprintf(b, "- Scale used: %s.\n", strings.Join(s, ", "))
	b.WriteString("- **Reproducibility**: the seed fixes the arrivals, the fault draws and the function's work; the k-th " +
		"attempt of a logical request meets the same draw under every policy (a paired comparison). What the seed cannot " +
		"fix is the machine's timing: a run on a busy machine moves breaker transitions and retry waves by a few " +
		"emulated seconds, so close calls (a tie in the brownout, a second of recovery) can go either way between runs; " +
		"each target shows the 95% noise band of the difference where it applies.\n")
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
