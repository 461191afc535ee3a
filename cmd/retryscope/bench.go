package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/retryscope/retryscope/benchmarks"
)

func init() {
	register("bench", "compare retry policies on the same emulated faults", runBench)
}

const benchUsage = `usage: retryscope bench [flags]

Runs every scenario with every retry policy against a local API Gateway +
Lambda emulator, time-scaled, and prints success, amplification, duplicate
executions, p99 latency and recovery per scenario and policy. -quick runs
the whole suite in well under a minute on two cores.

Flags:`

// benchConfig is what the flags ask for.
type benchConfig struct {
	scenarios []benchmarks.Scenario
	policies  []benchmarks.Policy
	named     bool // -policies was given: run them everywhere
	quick     bool
	seed      int64
	parallel  int
	scale     float64
	jsonFile  string
	outDir    string
}

// runBench is the bench command.
func runBench(args []string, stdout, stderr io.Writer) int {
	cfg, code := parseBenchFlags(args, stderr)
	if cfg == nil {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return bench(ctx, cfg, args, stdout, stderr)
}

func benchError(stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, "retryscope bench: %s\n", fmt.Sprintf(format, a...))
	return 2
}

func parseBenchFlags(args []string, stderr io.Writer) (*benchConfig, int) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	scenarios := fs.String("scenarios", "", "comma-separated scenarios to run (default all: "+strings.Join(benchmarks.ScenarioNames(), ", ")+")")
	policies := fs.String("policies", "", "comma-separated policies to run (default all: "+strings.Join(benchmarks.PolicyNames(), ", ")+")")
	quick := fs.Bool("quick", false, "run at the quick time scale (the whole suite in under a minute)")
	seed := fs.Int64("seed", 1, "seed for arrivals and fault draws: the same seed repeats the runs")
	parallel := fs.Int("parallel", benchmarks.DefaultParallel, "runs at once")
	scale := fs.Float64("scale", 0, "time scale for every scenario, real/emulated (default: each scenario's, 0.04 with -quick, 0.1 without)")
	jsonFile := fs.String("json", "", "write the results as JSON to this file")
	outDir := fs.String("out", "", "write report.md and its plots into this directory")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, benchUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, 0
		}
		return nil, benchError(stderr, "%v (flags: -scenarios, -policies, -quick, -seed N, -parallel N, -scale F, -json FILE, -out DIR)", err)
	}
	if fs.NArg() > 0 {
		return nil, benchError(stderr, "unexpected argument %q (bench takes only flags)", fs.Arg(0))
	}
	cfg := &benchConfig{quick: *quick, seed: *seed, parallel: *parallel, scale: *scale, jsonFile: *jsonFile, outDir: *outDir}
	if *scale < 0 || *scale > 1 || *scale != *scale {
		return nil, benchError(stderr, "invalid -scale %v (want a number in (0, 1], e.g. 0.04; 0 for the default)", *scale)
	}
	if *parallel < 1 {
		return nil, benchError(stderr, "invalid -parallel %d (want 1 or more)", *parallel)
	}
	if *seed == 0 {
		return nil, benchError(stderr, "invalid -seed 0 (want a non-zero integer)")
	}
	var err error
	if cfg.scenarios, err = pick(*scenarios, "scenario", benchmarks.ScenarioNames(), benchmarks.ScenarioByName); err != nil {
		return nil, benchError(stderr, "%v", err)
	}
	if cfg.policies, err = pick(*policies, "policy", benchmarks.PolicyNames(), benchmarks.PolicyByName); err != nil {
		return nil, benchError(stderr, "%v", err)
	}
	cfg.named = *policies != ""
	if cfg.outDir != "" {
		if err := checkWritableDir(cfg.outDir); err != nil {
			return nil, benchError(stderr, "cannot write the report to -out %q: %v (want a directory that can be created and written)", cfg.outDir, err)
		}
	}
	if cfg.jsonFile != "" {
		if err := checkWritableFile(cfg.jsonFile); err != nil {
			return nil, benchError(stderr, "cannot write -json %q: %v (want a file path that can be written)", cfg.jsonFile, err)
		}
	}
	return cfg, 0
}

// pick resolves a comma-separated list of names (empty: all of them).
func pick[T any](list, kind string, valid []string, byName func(string) (T, bool)) ([]T, error) {
	if strings.TrimSpace(list) == "" {
		list = strings.Join(valid, ",")
	}
	var out []T
	seen := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		v, ok := byName(n)
		if !ok {
			return nil, fmt.Errorf("unknown %s %q (valid: %s)", kind, n, strings.Join(valid, ", "))
		}
		seen[n] = true
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s named (valid: %s)", kind, strings.Join(valid, ", "))
	}
	return out, nil
}

// checkWritableDir creates dir if needed and proves a file can be written
// in it, so a bad -out fails before the runs rather than after.
func checkWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".bench-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// checkWritableFile proves the file's directory exists and takes a file,
// without truncating an existing file.
func checkWritableFile(name string) error {
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return errors.New("it is a directory")
	}
	dir := filepath.Dir(name)
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".bench-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	return os.Remove(tmp)
}

// bench runs the plan and writes the table, the JSON and the report.
func bench(ctx context.Context, cfg *benchConfig, args []string, stdout, stderr io.Writer) int {
	jobs := benchmarks.Plan(cfg.scenarios, cfg.policies, cfg.named)
	if len(jobs) == 0 {
		return benchError(stderr, "no runs: the named policies do not apply to the named scenarios (name the policies to run them anyway)")
	}
	bar := progressbar.NewOptions(len(jobs),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("bench"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
	)
	start := time.Now()
	rc := benchmarks.Config{Seed: cfg.seed, Quick: cfg.quick, Parallel: cfg.parallel, Scale: cfg.scale}
	results := benchmarks.Run(ctx, jobs, rc, func(r benchmarks.Result) {
		bar.Describe(r.Scenario + "/" + r.Policy)
		_ = bar.Add(1)
	})
	_ = bar.Finish()
	wall := time.Since(start)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "retryscope bench: interrupted")
		return 1
	}

	if err := benchmarks.WriteTable(stdout, results); err != nil {
		fmt.Fprintf(stderr, "retryscope bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout)
	for _, t := range benchmarks.Evaluate(results) {
		if t.Status == benchmarks.StatusNotRun {
			continue
		}
		fmt.Fprintf(stdout, "%-8s %s: %s\n", strings.ToUpper(t.Status), t.Name, t.Numbers)
	}
	fmt.Fprintf(stdout, "\n%d runs in %.1f s (seed %d%s)\n", len(results), wall.Seconds(), cfg.seed,
		map[bool]string{true: ", -quick", false: ""}[cfg.quick])

	code := 0
	if cfg.jsonFile != "" {
		if err := writeJSONFile(cfg.jsonFile, results); err != nil {
			fmt.Fprintf(stderr, "retryscope bench: writing -json: %v\n", err)
			code = 1
		}
	}
	if cfg.outDir != "" {
		meta := benchmarks.Meta{Command: benchCommand(args), Seed: cfg.seed, Quick: cfg.quick, Parallel: cfg.parallel, Wall: wall}
		if err := benchmarks.WriteReport(cfg.outDir, results, meta); err != nil {
			fmt.Fprintf(stderr, "retryscope bench: writing the report: %v\n", err)
			code = 1
		} else {
			fmt.Fprintf(stdout, "report: %s\n", filepath.Join(cfg.outDir, "report.md"))
		}
	}
	return code
}

func writeJSONFile(name string, results []benchmarks.Result) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := benchmarks.WriteJSON(f, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchCommand is the command line for the report, as a user types it.
func benchCommand(args []string) string {
	parts := []string{"go run ./cmd/retryscope bench"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t\"'") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
