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
	"runtime/pprof"
	"slices"
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
Lambda emulator and prints success, amplification, duplicate executions,
p99 latency and recovery per scenario, policy and callers' deadline.

Runs happen in virtual time (testing/synctest): a 29 s timeout costs no
wall time, and the same flags give the same numbers, byte for byte, on any
machine (but retryscope-hedge's p99 in one overload job, which has moved
by tens of milliseconds between two whole-suite runs). Without -quick: seeds 1..3 (each cell's mean and spread), the
scale scenarios (storm, fleet) included: about 200 s of CPU time, under
2 minutes on 2 idle cores. -quick: one seed (-seed), without the scale
scenarios unless named: about 35 s of CPU time, 18 s on 2 idle cores.
-realtime runs the old way, in scaled real time over loopback sockets,
whose numbers move with the machine's load.

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
	realtime  bool
	quiet     bool
	seeds     []int64
	deadlines []time.Duration
	// cpuProfile and memProfile are -cpuprofile and -memprofile: files for
	// pprof, "" for none.
	cpuProfile string
	memProfile string
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
	quick := fs.Bool("quick", false, "one seed, and the scale scenarios (storm, fleet) only when named; with -realtime, the quick time scale")
	seed := fs.Int64("seed", 1, "seed for arrivals, fault draws and jitter: the same seed repeats the runs (default: seeds 1..3 without -quick)")
	parallel := fs.Int("parallel", 0, fmt.Sprintf("runs at once (default: one per core in virtual time, %d here; %d with -realtime)",
		benchmarks.DefaultVirtualParallel(), benchmarks.DefaultParallel))
	scale := fs.Float64("scale", 0, "with -realtime: time scale for every scenario, real/emulated (default: each scenario's, 0.04 with -quick, 0.1 without)")
	seeds := fs.String("seeds", "", "seeds to run, each cell reported as their mean and spread (overrides -seed): N for 1..N, or a list of seeds and ranges, e.g. 1,4-12")
	deadlines := fs.String("deadlines", "none,60s,10s", "comma-separated callers' deadlines per logical request: none or a Go duration")
	realtime := fs.Bool("realtime", false, "run in real time over loopback sockets, time-scaled (results move with the machine's load)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	jsonFile := fs.String("json", "", "write the results as JSON to this file")
	outDir := fs.String("out", "", "write report.md and its plots into this directory")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the runs to this file (go tool pprof)")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the runs to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, benchUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, 0
		}
		return nil, benchError(stderr, "%v (flags: -scenarios, -policies, -quick, -seed N, -seeds LIST, -deadlines LIST, -realtime, -quiet, -parallel N, -scale F, -json FILE, -out DIR, -cpuprofile FILE, -memprofile FILE)", err)
	}
	if fs.NArg() > 0 {
		return nil, benchError(stderr, "unexpected argument %q (bench takes only flags)", fs.Arg(0))
	}
	cfg := &benchConfig{quick: *quick, seed: *seed, parallel: *parallel, scale: *scale, jsonFile: *jsonFile, outDir: *outDir,
		realtime: *realtime, quiet: *quiet, cpuProfile: *cpuProfile, memProfile: *memProfile}
	if *scale < 0 || *scale > 1 || *scale != *scale {
		return nil, benchError(stderr, "invalid -scale %v (want a number in (0, 1], e.g. 0.04; 0 for the default)", *scale)
	}
	if *scale > 0 && !*realtime {
		return nil, benchError(stderr, "-scale %v applies only with -realtime (virtual time needs no scale)", *scale)
	}
	parallelSet := false
	fs.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "parallel" })
	switch {
	case parallelSet && *parallel < 1:
		return nil, benchError(stderr, "invalid -parallel %d (want 1 or more)", *parallel)
	case parallelSet:
	case *realtime:
		cfg.parallel = benchmarks.DefaultParallel
	default:
		cfg.parallel = benchmarks.DefaultVirtualParallel()
	}
	if *seed == 0 {
		return nil, benchError(stderr, "invalid -seed 0 (want a non-zero integer)")
	}
	var err error
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	switch {
	case *seeds != "":
		if cfg.seeds, err = parseSeeds(*seeds); err != nil {
			return nil, benchError(stderr, "invalid -seeds %q: %v (want N for seeds 1..N, or seeds and ranges such as 1,4-12; at most %d seeds)", *seeds, err, maxSeeds)
		}
	case !seedSet && !*quick:
		cfg.seeds = seedRange(1, defaultSeeds)
	default:
		cfg.seeds = []int64{*seed}
	}
	if cfg.deadlines, err = parseDeadlines(*deadlines); err != nil {
		return nil, benchError(stderr, "invalid -deadlines %q: %v (want none or Go durations, e.g. none,60s,10s)", *deadlines, err)
	}
	if cfg.scenarios, err = pick(*scenarios, "scenario", benchmarks.ScenarioNames(), benchmarks.ScenarioByName); err != nil {
		return nil, benchError(stderr, "%v", err)
	}
	if *quick && *scenarios == "" {
		cfg.scenarios = slices.DeleteFunc(cfg.scenarios, func(s benchmarks.Scenario) bool { return s.Heavy })
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
	for _, f := range []struct{ flag, name string }{{"json", cfg.jsonFile}, {"cpuprofile", cfg.cpuProfile}, {"memprofile", cfg.memProfile}} {
		if f.name == "" {
			continue
		}
		if err := checkWritableFile(f.name); err != nil {
			return nil, benchError(stderr, "cannot write -%s %q: %v (want a file path that can be written)", f.flag, f.name, err)
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
	jobs = benchmarks.Expand(jobs, cfg.deadlines, cfg.seeds)
	what := fmt.Sprintf("%d runs (%s), %d at once", len(jobs), runsLabel(cfg), cfg.parallel)
	progress := func(benchmarks.Result) {}
	var bar *progressbar.ProgressBar
	if !cfg.quiet && isTerminal(stderr) {
		bar = progressbar.NewOptions(len(jobs),
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(24),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionClearOnFinish(),
		)
		progress = func(benchmarks.Result) { _ = bar.Add(1) }
	}
	stopProfiles, err := startProfiles(cfg)
	if err != nil {
		return benchError(stderr, "%v", err)
	}
	start := time.Now()
	rc := benchmarks.Config{Seed: cfg.seeds[0], Quick: cfg.quick, Parallel: cfg.parallel, Scale: cfg.scale}
	var results []benchmarks.Result
	if cfg.realtime {
		results = benchmarks.Run(ctx, jobs, rc, progress)
	} else {
		defer benchmarks.TuneGC()()
		if results, err = benchmarks.RunVirtual(ctx, jobs, rc, progress); err != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "retryscope bench: %v\n", err)
			return 1
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	wall := time.Since(start)
	if err := stopProfiles(); err != nil {
		fmt.Fprintf(stderr, "retryscope bench: %v\n", err)
		return 1
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "retryscope bench: interrupted")
		return 1
	}

	if err := benchmarks.WriteTable(stdout, results); err != nil {
		fmt.Fprintf(stderr, "retryscope bench: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout)
	if err := benchmarks.WriteTargets(stdout, results); err != nil {
		fmt.Fprintf(stderr, "retryscope bench: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "\n%s in %.1f s of wall time\n", what, wall.Seconds())

	code := 0
	if cfg.jsonFile != "" {
		if err := writeJSONFile(cfg.jsonFile, results); err != nil {
			fmt.Fprintf(stderr, "retryscope bench: writing -json: %v\n", err)
			code = 1
		}
	}
	if cfg.outDir != "" {
		meta := benchmarks.Meta{Command: benchCommand(args), Seeds: cfg.seeds, Quick: cfg.quick, Parallel: cfg.parallel,
			Realtime: cfg.realtime, Wall: wall}
		if err := benchmarks.WriteReport(cfg.outDir, results, meta); err != nil {
			fmt.Fprintf(stderr, "retryscope bench: writing the report: %v\n", err)
			code = 1
		} else {
			fmt.Fprintf(stdout, "report: %s\n", filepath.Join(cfg.outDir, "report.md"))
		}
	}
	return code
}

// runsLabel says what runs: the engine, the seeds, the deadlines.
func runsLabel(cfg *benchConfig) string {
	engine := "virtual time"
	if cfg.realtime {
		engine = "real time"
	}
	seeds := "seed"
	if len(cfg.seeds) > 1 {
		seeds = "seeds"
	}
	seeds += " " + formatSeeds(cfg.seeds)
	var ds []string
	for _, d := range cfg.deadlines {
		ds = append(ds, benchmarks.FormatDeadline(d))
	}
	quick := ""
	if cfg.quick {
		quick = ", -quick"
	}
	return fmt.Sprintf("%s, %s, deadlines %s%s", engine, seeds, strings.Join(ds, ","), quick)
}

// isTerminal reports whether w is a character device (a terminal): the
// progress bar is drawn only there.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
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

// maxSeeds bounds how many seeds -seeds asks for; defaultSeeds is the
// number of seeds of a run without -quick, -seed or -seeds.
const (
	maxSeeds     = 100
	defaultSeeds = 3
)

// parseSeeds reads -seeds: "N" alone for seeds 1..N, or a comma-separated
// list of non-zero seeds and ascending ranges ("1,4-12"), in the order
// given, without repeats, at most maxSeeds in all.
func parseSeeds(list string) ([]int64, error) {
	if n, err := strconv.ParseInt(list, 10, 64); err == nil {
		if n < 1 || n > maxSeeds {
			return nil, fmt.Errorf("%d seeds: want 1 to %d", n, maxSeeds)
		}
		return seedRange(1, n), nil
	}
	var out []int64
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		from, err1 := strconv.ParseInt(lo, 10, 64)
		to, err2 := strconv.ParseInt(hi, 10, 64)
		switch {
		case err1 != nil || err2 != nil:
			return nil, fmt.Errorf("%q is not a seed or a range of seeds", part)
		case from == 0 || to == 0:
			return nil, fmt.Errorf("seed 0 in %q: seeds are non-zero", part)
		case from > to:
			return nil, fmt.Errorf("range %q runs backwards", part)
		case to-from >= maxSeeds || len(out)+int(to-from+1) > maxSeeds:
			return nil, fmt.Errorf("more than %d seeds", maxSeeds)
		}
		for s := from; s <= to; s++ {
			if slices.Contains(out, s) {
				return nil, fmt.Errorf("seed %d given twice", s)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// seedRange is the seeds from..to.
func seedRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// formatSeeds writes seeds as parseSeeds reads them, runs of consecutive
// seeds as ranges: "1-3", "1,4-12", "7".
func formatSeeds(seeds []int64) string {
	var parts []string
	for i := 0; i < len(seeds); {
		j := i
		for j+1 < len(seeds) && seeds[j+1] == seeds[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", seeds[i], seeds[j]))
		} else {
			parts = append(parts, strconv.FormatInt(seeds[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// parseDeadlines reads -deadlines: "none" (no deadline) or positive Go
// durations, in the order given, without repeats.
func parseDeadlines(list string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		var d time.Duration
		switch f {
		case "":
			continue
		case "none":
		default:
			var err error
			if d, err = time.ParseDuration(f); err != nil {
				return nil, fmt.Errorf("%q is not a duration", f)
			}
			if d <= 0 {
				return nil, fmt.Errorf("%q is not positive", f)
			}
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no deadline named")
	}
	return out, nil
}

// startProfiles starts the CPU profile (-cpuprofile) and returns the
// function that stops it and writes the allocation profile (-memprofile),
// both covering the runs only.
func startProfiles(cfg *benchConfig) (stop func() error, err error) {
	var cpu *os.File
	if cfg.cpuProfile != "" {
		if cpu, err = os.Create(cfg.cpuProfile); err != nil {
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("-cpuprofile: %w", err)
		}
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return fmt.Errorf("-cpuprofile: %w", err)
			}
		}
		if cfg.memProfile == "" {
			return nil
		}
		f, err := os.Create(cfg.memProfile)
		if err != nil {
			return fmt.Errorf("-memprofile: %w", err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("-memprofile: %w", err)
		}
		return f.Close()
	}, nil
}
