package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/retryscope/retryscope/benchmarks"
)

func runBenchCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"bench"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func TestBenchBadInput(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want []string // each must appear in the one-line message
	}{
		{[]string{"-scenarios", "outage,nope"}, []string{`unknown scenario "nope"`, "steady, brownout, outage"}},
		{[]string{"-policies", "retryscope,resilience4j"}, []string{`unknown policy "resilience4j"`, "retryablehttp", "retryscope-idempotency"}},
		{[]string{"-scenarios", ","}, []string{"no scenario named", "post-timeouts"}},
		{[]string{"-seed", "abc"}, []string{`invalid value "abc" for flag -seed`, "-seed N"}},
		{[]string{"-seed", "0"}, []string{"invalid -seed 0", "non-zero"}},
		{[]string{"-parallel", "0"}, []string{"invalid -parallel 0", "1 or more"}},
		{[]string{"-scale", "2"}, []string{"invalid -scale 2", "(0, 1]"}},
		{[]string{"-scale", "0.1"}, []string{"-scale 0.1 applies only with -realtime"}},
		{[]string{"-seeds", "-1"}, []string{`invalid -seeds "-1"`, "want 1 to 100", "seeds 1..N"}},
		{[]string{"-seeds", "4-2"}, []string{`invalid -seeds "4-2"`, "runs backwards", "1,4-12"}},
		{[]string{"-seeds", "1,x"}, []string{`"x" is not a seed or a range of seeds`}},
		{[]string{"-deadlines", "none,soon"}, []string{`invalid -deadlines "none,soon"`, `"soon" is not a duration`}},
		{[]string{"-deadlines", "-5s"}, []string{`"-5s" is not positive`}},
		{[]string{"-deadlines", ","}, []string{"no deadline named"}},
		{[]string{"-colour"}, []string{"flag provided but not defined: -colour", "-scenarios"}},
		{[]string{"extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"-out", filepath.Join(file, "sub")}, []string{"cannot write the report to -out", "want a directory"}},
		{[]string{"-json", filepath.Join(file, "r.json")}, []string{"cannot write -json", "not a directory"}},
		{[]string{"-json", t.TempDir()}, []string{"cannot write -json", "is a directory"}},
		{[]string{"-cpuprofile", filepath.Join(file, "cpu")}, []string{"cannot write -cpuprofile", "not a directory"}},
		{[]string{"-memprofile", t.TempDir()}, []string{"cannot write -memprofile", "is a directory"}},
	} {
		stdout, stderr, code := runBenchCmd(t, tc.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", tc.args, stdout)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "retryscope bench: ") {
			t.Errorf("%v: stderr %q, want one line starting with 'retryscope bench: '", tc.args, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, stderr, w)
			}
		}
	}
}

// runBenchT runs the bench command with its bubbles as subtests of t
// (RunVirtual cannot start its own testing.Main in a test binary).
func runBenchT(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cfg, code := parseBenchFlags(args, &errb)
	if cfg == nil {
		return out.String(), errb.String(), code
	}
	code = bench(benchmarks.WithTesting(context.Background(), t), cfg, args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestBenchHelp(t *testing.T) {
	t.Parallel()
	_, stderr, code := runBenchCmd(t, "-h")
	if code != 0 || !strings.Contains(stderr, "usage: retryscope bench") || !strings.Contains(stderr, "-scenarios") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr)
	}
}

// TestBenchJSON runs one short scenario with two policies, in virtual
// time and in real time (fast: -scale), and checks the table, the JSON's
// fixed keys and the report.
func TestBenchJSON(t *testing.T) {
	for _, engine := range []string{"virtual", "realtime"} {
		t.Run(engine, func(t *testing.T) { testBenchJSON(t, engine == "realtime") })
	}
}

func testBenchJSON(t *testing.T, realtime bool) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	jsonFile := filepath.Join(dir, "results.json")
	out := filepath.Join(dir, "report")
	args := []string{"-scenarios", "steady", "-policies", "none,retryscope", "-deadlines", "none",
		"-seed", "3", "-json", jsonFile, "-out", out}
	if realtime {
		args = append(args, "-realtime", "-scale", "0.01")
	}
	stdout, stderr, code := runBenchT(t, args...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "SCENARIO") || !strings.Contains(stdout, "steady") || !strings.Contains(stdout, "2 runs (") {
		t.Errorf("stdout lacks the table:\n%s", stdout)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing (no progress bar off a terminal)", stderr)
	}
	raw, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, raw)
	}
	res := doc["results"]
	if len(doc) != 1 || len(res) != 2 {
		t.Fatalf("JSON has %d top-level keys and %d results, want {\"results\": [2 runs]}", len(doc), len(res))
	}
	for i, pol := range []string{"none", "retryscope"} {
		r := res[i]
		if r["scenario"] != "steady" || r["policy"] != pol {
			t.Errorf("result %d: %v/%v, want steady/%s", i, r["scenario"], r["policy"], pol)
		}
		if r["deadline"] != "none" || r["seed"] != 3.0 {
			t.Errorf("result %d: deadline %v, seed %v; want none and 3", i, r["deadline"], r["seed"])
		}
		for _, k := range []string{"requests", "succeeded", "attempts", "executions", "duplicates", "p50_ms", "p99_ms", "recovery_ms"} {
			if _, ok := r[k].(float64); !ok {
				t.Errorf("result %d: key %q is %T, want a number", i, k, r[k])
			}
		}
		if r["requests"].(float64) == 0 || r["attempts"].(float64) == 0 {
			t.Errorf("result %d: no requests or attempts: %v", i, r)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.md")); err != nil {
		t.Errorf("report: %v", err)
	}
}

// Which seeds, deadlines and scenarios the flags ask for.
func TestBenchFlagDefaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args      []string
		seeds     []int64
		deadlines string
		storm     bool
	}{
		{nil, []int64{1, 2, 3}, "none,60s,10s", true},
		{[]string{"-quick"}, []int64{1}, "none,60s,10s", false},
		{[]string{"-quick", "-seed", "7"}, []int64{7}, "none,60s,10s", false},
		{[]string{"-seed", "7"}, []int64{7}, "none,60s,10s", true},
		{[]string{"-quick", "-seeds", "2", "-deadlines", "1m,none"}, []int64{1, 2}, "60s,none", false},
		{[]string{"-quick", "-scenarios", "storm"}, []int64{1}, "none,60s,10s", true},
		{[]string{"-quick", "-seeds", "1,4-6,9"}, []int64{1, 4, 5, 6, 9}, "none,60s,10s", false},
		{[]string{"-seed", "7", "-seeds", "8"}, []int64{1, 2, 3, 4, 5, 6, 7, 8}, "none,60s,10s", true},
	} {
		var errb bytes.Buffer
		cfg, _ := parseBenchFlags(tc.args, &errb)
		if cfg == nil {
			t.Errorf("%v: %s", tc.args, errb.String())
			continue
		}
		var ds []string
		for _, d := range cfg.deadlines {
			ds = append(ds, benchmarks.FormatDeadline(d))
		}
		storm := false
		for _, s := range cfg.scenarios {
			storm = storm || s.Name == "storm"
		}
		if !slices.Equal(cfg.seeds, tc.seeds) || strings.Join(ds, ",") != tc.deadlines || storm != tc.storm {
			t.Errorf("%v: seeds %v, deadlines %v, storm %v; want %v, %s, %v", tc.args, cfg.seeds, ds, storm, tc.seeds, tc.deadlines, tc.storm)
		}
	}
}

// -cpuprofile and -memprofile write pprof files (gzipped protocol
// buffers) of the runs; -parallel's default is two runs per core.
func TestBenchProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	stdout, stderr, code := runBenchT(t, "-quick", "-scenarios", "steady", "-policies", "none", "-deadlines", "none",
		"-cpuprofile", cpu, "-memprofile", mem)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if want := fmt.Sprintf("1 runs (virtual time, seed 1, deadlines none, -quick), %d at once", benchmarks.DefaultVirtualParallel()); !strings.Contains(stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d bytes, not a gzipped profile", f, len(b))
		}
	}
}

// -seeds: N for 1..N, or seeds and ranges; what it refuses, and why.
func TestParseSeeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []int64
		err  string // in the error; "" when it parses
	}{
		{"3", []int64{1, 2, 3}, ""},
		{"1", []int64{1}, ""},
		{"100", seedRange(1, 100), ""},
		{"7-7", []int64{7}, ""},
		{"1,4-12", []int64{1, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
		{"9, 2 ,5-6", []int64{9, 2, 5, 6}, ""},
		{"0", nil, "want 1 to 100"},
		{"101", nil, "want 1 to 100"},
		{"1,0", nil, "seed 0"},
		{"5-3", nil, "runs backwards"},
		{"1,2,1", nil, "seed 1 given twice"},
		{"1-3,2", nil, "seed 2 given twice"},
		{"1-101", nil, "more than 100 seeds"},
		{"1,3-102", nil, "more than 100 seeds"},
		{"1-9223372036854775807", nil, "more than 100 seeds"},
		{"", nil, "is not a seed"},
		{"1,,2", nil, `"" is not a seed`},
		{"1-", nil, "is not a seed"},
		{"a-b", nil, "is not a seed"},
	} {
		got, err := parseSeeds(tc.in)
		switch {
		case tc.err == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("parseSeeds(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseSeeds(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
		}
	}
}

// The report's label writes seeds as -seeds reads them.
func TestFormatSeeds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []int64
		want string
	}{
		{[]int64{7}, "7"},
		{[]int64{1, 2, 3}, "1-3"},
		{[]int64{1, 4, 5, 6, 9}, "1,4-6,9"},
		{[]int64{9, 2, 3}, "9,2-3"},
		{[]int64{-2, -1, 0, 1}, "-2-1"}, // -seed allows negative seeds; -seeds never makes these
	} {
		if got := formatSeeds(tc.in); got != tc.want {
			t.Errorf("formatSeeds(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Whatever -seeds accepts (more than one seed), it accepts again as
// formatSeeds writes it, with the same seeds; it never panics and never returns more than maxSeeds.
func FuzzParseSeeds(f *testing.F) {
	for _, s := range []string{"3", "1,4-12", "5-3", "1,,2", "0", "1-9223372036854775807", " 2 , 9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		seeds, err := parseSeeds(in)
		if err != nil {
			return
		}
		if len(seeds) == 0 || len(seeds) > maxSeeds {
			t.Fatalf("parseSeeds(%q): %d seeds", in, len(seeds))
		}
		if slices.Contains(seeds, 0) {
			t.Fatalf("parseSeeds(%q) = %v: seed 0", in, seeds)
		}
		if len(seeds) == 1 {
			return // a lone seed is labelled "seed N"; "N" alone would read as a count
		}
		again, err := parseSeeds(formatSeeds(seeds))
		if err != nil || !slices.Equal(again, seeds) {
			t.Fatalf("parseSeeds(%q) = %v; written back %q reads %v, %v", in, seeds, formatSeeds(seeds), again, err)
		}
	})
}
