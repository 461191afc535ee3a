package benchmarks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// engineEnv carries the engine worker's job to a child test process:
// "scenario/policy/runs/variant", the variant "mem" (memPipe, the
// engine's), "net.Pipe" (the engine's network before memPipe) or "before"
// (net.Pipe and the settings before, for engineSuite).
const engineEnv = "RETRYSCOPE_ENGINE_WORKER"

// BenchmarkEngine measures the virtual-time engine: simulated logical
// requests and attempts per wall second, for one scenario with one policy,
// runs one at a time (all of a run in one bubble: emulator, client, load).
// synctest needs a *testing.T, which a benchmark lacks, so the runs happen
// in a child process of this test binary (TestEngineWorker), which times
// them itself; process start-up is not counted in the rates. Each case
// runs over the engine's network (mem) and over net.Pipe (what the engine
// used before), side by side.
func BenchmarkEngine(b *testing.B) {
	for _, c := range []struct{ scenario, policy string }{
		{"steady", "none"}, {"throttle", "retryscope"}, {"outage", "retryablehttp"}, {"storm", "retryscope"},
	} {
		for _, network := range []string{"mem", "net.Pipe"} {
			b.Run(c.scenario+"/"+c.policy+"/"+network, func(b *testing.B) { engineCase(b, c.scenario, c.policy, network) })
		}
	}
	for _, v := range []string{"mem", "before"} {
		b.Run(engineSuite+"/"+v, func(b *testing.B) { engineCase(b, engineSuite, "all", v) })
	}
}

// engineSuite is BenchmarkEngine's case of many runs at once, as
// retryscope bench makes them: -quick's runs of outage, overload and
// brownout (99 runs), with the engine's settings (mem) and with those it
// had before (before: net.Pipe, Go's default garbage collector, 12 runs at
// once).
const engineSuite = "quick-3"

// engineCase runs one case in a child process and reports its rates per
// wall second and per CPU second (the child's user and system time, start-up
// included: on a shared machine the CPU time is the figure that carries
// over).
func engineCase(b *testing.B, scenario, policy, network string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestEngineWorker$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s/%s/%d/%s", engineEnv, scenario, policy, b.N, network))
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("worker: %v\n%s", err, out)
	}
	var reqs, attempts, wallNS int64
	if _, err := fmt.Sscanf(string(out), "engine requests=%d attempts=%d wall_ns=%d", &reqs, &attempts, &wallNS); err != nil {
		b.Fatalf("worker said %q: %v", out, err)
	}
	sec := float64(wallNS) / 1e9
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	b.ReportMetric(float64(reqs)/sec, "requests/s")
	b.ReportMetric(float64(attempts)/sec, "attempts/s")
	b.ReportMetric(sec/float64(b.N), "s/run")
	b.ReportMetric(cpu/float64(b.N), "cpu-s/run")
	b.ReportMetric(float64(reqs)/cpu, "requests/cpu-s")
}

// TestEngineWorker is BenchmarkEngine's child: it runs the job in its
// environment variable and prints the totals; without it, it does nothing.
func TestEngineWorker(t *testing.T) {
	job := os.Getenv(engineEnv)
	if job == "" {
		t.Skip("runs only as BenchmarkEngine's child process")
	}
	var scenario, policy string
	var n int
	parts := splitN(job, '/', 4)
	if len(parts) != 4 {
		t.Fatalf("%s=%q, want scenario/policy/runs/network", engineEnv, job)
	}
	scenario, policy = parts[0], parts[1]
	n, err := strconv.Atoi(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	// mem: the engine as retryscope bench runs it. net.Pipe: the network
	// it had before memPipe. before: its settings before (net.Pipe, Go's
	// default garbage collector, 12 runs at once), for the suite case.
	tuneGC, parallel := true, 1
	switch parts[3] {
	case "mem":
	case "net.Pipe":
		virtualNet = newNetPipeNet // this child process runs nothing else
	case "before":
		virtualNet, tuneGC, parallel = newNetPipeNet, false, DefaultParallel
	default:
		t.Fatalf("unknown network %q (want mem, net.Pipe or before)", parts[3])
	}
	var jobs []Job
	if scenario == engineSuite {
		// -quick's runs of three scenarios: every policy, three deadlines.
		var scs []Scenario
		for _, name := range []string{"outage", "overload", "brownout"} {
			sc, _ := ScenarioByName(name)
			scs = append(scs, sc)
		}
		jobs = Expand(Plan(scs, Policies(), false), []time.Duration{0, time.Minute, 10 * time.Second}, nil)
		if parallel == 1 {
			parallel = DefaultVirtualParallel()
		}
	} else {
		sc, ok1 := ScenarioByName(scenario)
		p, ok2 := PolicyByName(policy)
		if !ok1 || !ok2 {
			t.Fatalf("no scenario %q or policy %q", scenario, policy)
		}
		jobs = []Job{{Scenario: sc, Policy: p}}
	}
	if tuneGC {
		defer TuneGC()() // as retryscope bench does
	}
	var reqs, attempts int
	start := time.Now()
	for range n {
		res, err := RunVirtual(WithTesting(context.Background(), t), jobs, Config{Parallel: parallel}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			reqs += r.Requests
			attempts += r.Attempts
		}
	}
	fmt.Printf("engine requests=%d attempts=%d wall_ns=%d\n", reqs, attempts, time.Since(start).Nanoseconds())
}

func splitN(s string, sep byte, n int) []string {
	var out []string
	for len(out) < n-1 {
		i := 0
		for i < len(s) && s[i] != sep {
			i++
		}
		if i == len(s) {
			break
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return append(out, s)
}
