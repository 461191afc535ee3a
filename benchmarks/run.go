package benchmarks

import (
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/policy"
)

// Config says how runs are made. The zero value of each field means its
// default.
type Config struct {
	// Seed makes runs repeat: arrivals, fault draws and the function's work
	// draws depend on it. Default 1.
	Seed int64
	// Quick runs every scenario at its Scenario.Scale; otherwise at
	// FullScaleFactor times that (slower, less timing noise). Default false.
	Quick bool
	// Scale, when positive, overrides every scenario's time scale (real
	// time = emulated time x Scale). Default 0: the scenario's.
	Scale float64
	// Workers bounds the logical requests in flight per run; an arrival
	// that finds none free is dropped and counts as failed. Default
	// DefaultWorkers.
	Workers int
	// Parallel is how many runs go at once. Default DefaultParallel for
	// Run, DefaultVirtualParallel() for RunVirtual.
	Parallel int
}

// Config defaults.
const (
	// FullScaleFactor slows a run that is not Quick: 2.5 times the
	// scenario's scale (0.1 for the built-in scenarios).
	FullScaleFactor = 2.5
	// DefaultWorkers is the default bound on logical requests in flight
	// per run: 1000, above what any policy needs at the offered loads.
	DefaultWorkers = 1000
	// DefaultParallel is the default number of runs at once in real time
	// (Run): 12. Runs mostly sleep (in scaled time), so this fits two
	// cores.
	DefaultParallel = 12
)

func (c Config) withDefaults() Config {
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Parallel <= 0 {
		c.Parallel = DefaultParallel
	}
	return c
}

// scaleFor returns the time scale a run of sc uses under c.
func (c Config) scaleFor(sc *Scenario) float64 {
	switch {
	case c.Scale > 0:
		return c.Scale
	case c.Quick:
		return sc.Scale
	}
	return FullScaleFactor * sc.Scale
}

// Job is one run to make.
type Job struct {
	Scenario Scenario
	Policy   Policy
	// Seed is the run's seed; 0 means Config.Seed.
	Seed int64
	// Deadline is every logical request's deadline, the caller's
	// (emulated); 0 means none.
	Deadline time.Duration
}

// Plan returns the runs for scenarios x policies, scenario by scenario. A
// policy whose Only list excludes a scenario is left out unless
// allPolicies is true (the user named the policies).
func Plan(scenarios []Scenario, policies []Policy, allPolicies bool) []Job {
	var jobs []Job
	for _, s := range scenarios {
		for _, p := range policies {
			if allPolicies || (p.appliesTo(s.Name) && (len(s.Policies) == 0 || slices.Contains(s.Policies, p.Name))) {
				jobs = append(jobs, Job{Scenario: s, Policy: p})
			}
		}
	}
	return jobs
}

// Expand repeats every job for every deadline and every seed, in the
// order job, deadline, seed; a Heavy scenario's job for the first of each
// only. No deadlines means none (0); no seeds means the job's own.
func Expand(jobs []Job, deadlines []time.Duration, seeds []int64) []Job {
	if len(deadlines) == 0 {
		deadlines = []time.Duration{0}
	}
	var out []Job
	for _, j := range jobs {
		ds, ss := deadlines, seeds
		if j.Scenario.Heavy {
			ds = ds[:1]
			if len(ss) > 1 {
				ss = ss[:1]
			}
		}
		for _, d := range ds {
			j.Deadline = d
			if len(ss) == 0 {
				out = append(out, j)
				continue
			}
			for _, s := range ss {
				j.Seed = s
				out = append(out, j)
			}
		}
	}
	return out
}

// Run makes the runs in real time over loopback sockets (the -realtime
// engine), c.Parallel at a time, and returns their results in the order of
// jobs. done, when not nil, is called after each run (from one goroutine at
// a time). Its results move with the machine's load; RunVirtual's do not.
func Run(ctx context.Context, jobs []Job, c Config, done func(Result)) []Result {
	c = c.withDefaults()
	results := make([]Result, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(c.Parallel, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := runJob(ctx, jobs[i], c, realEnv(c.scaleFor(&jobs[i].Scenario)))
				results[i] = r
				if done != nil {
					mu.Lock()
					done(r)
					mu.Unlock()
				}
			}
		}()
	}
	for k, i := range executionOrder(jobs) {
		if ctx.Err() != nil {
			break
		}
		if k > 0 && k < c.Parallel {
			// Stagger the first runs: servers, clients and first waves
			// starting all at once would stall one another.
			_ = sleepCtx(ctx, startStagger)
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// startStagger separates the starts of the first runs.
const startStagger = 150 * time.Millisecond

// executionOrder returns the order in which to start jobs: policy by
// policy, each policy's longest scenarios first. Runs that go at the same
// time are then mostly of different scenarios, so their retry waves (every
// outage run's retries land when its outage ends) do not pile up on the
// CPU at the same moment, and the long runs start early.
func executionOrder(jobs []Job) []int {
	length := func(j Job) time.Duration { return j.Scenario.Duration + j.Scenario.Cooldown }
	var policies []string
	byPolicy := map[string][]int{}
	for i, j := range jobs {
		if _, ok := byPolicy[j.Policy.Name]; !ok {
			policies = append(policies, j.Policy.Name)
		}
		byPolicy[j.Policy.Name] = append(byPolicy[j.Policy.Name], i)
	}
	order := make([]int, 0, len(jobs))
	for _, p := range policies {
		idx := byPolicy[p]
		slices.SortStableFunc(idx, func(a, b int) int { return int(length(jobs[b]) - length(jobs[a])) })
		order = append(order, idx...)
	}
	return order
}

// RunOne runs scenario sc with policy p in real time over loopback: it
// starts an emulator, offers the load through the policy's client, waits
// for the logical requests and for the functions still running, and
// measures.
func RunOne(ctx context.Context, sc Scenario, p Policy, c Config) Result {
	c = c.withDefaults()
	return runJob(ctx, Job{Scenario: sc, Policy: p}, c, realEnv(c.scaleFor(&sc)))
}

// engine is where a run happens: real time over loopback, or virtual time
// over an in-memory network.
type engine struct {
	scale   float64
	virtual bool
	// listen and dial are the network; nil: loopback TCP.
	listen func() *pipeNet
}

func realEnv(scale float64) engine { return engine{scale: scale} }

func virtualEnv() engine { return engine{scale: 1, virtual: true, listen: virtualNet} }

// virtualNet makes a virtual run's network: newPipeNet; BenchmarkEngine's
// child process sets newNetPipeNet to measure the engine as it was.
var virtualNet = newPipeNet

// runJob makes one run on the given engine.
func runJob(ctx context.Context, j Job, c Config, e engine) Result {
	sc, p := j.Scenario, j.Policy
	seed := j.Seed
	if seed == 0 {
		seed = c.Seed
	}
	scale := e.scale
	workers := c.Workers
	if sc.Workers > 0 {
		workers = sc.Workers
	}
	times := arrivals(&sc, seed)
	fn := NewFunction(len(times), sc.Work, seed)
	// The gateway's own overhead comes first, so that a scenario can set
	// its own.
	opts := append([]apigwtest.Option{apigwtest.WithDrawKey(HeaderRequest), apigwtest.WithGatewayLatency(gatewayOverhead)}, sc.Server(seed)...)
	opts = append(opts, apigwtest.WithTimeScale(scale), apigwtest.WithSeed(seed))
	dial := (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if e.listen != nil {
		pn := e.listen()
		opts = append(opts, apigwtest.WithListener(pn))
		dial = pn.DialContext
	}
	srv := apigwtest.NewServer(fn.Handle, opts...)
	t0 := time.Now()
	defer srv.Close()

	attempts := make([]atomic.Int32, len(times))
	members := max(sc.Members, 1)
	var fleet *memFleet
	if members > 1 {
		fleet = newMemFleet()
	}
	clients := make([]Client, members)
	for k := range clients {
		base := &http.Transport{
			DialContext:         dial,
			MaxIdleConnsPerHost: workers,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			// An attempt's request and answer are a few hundred bytes:
			// 4 KB buffers (the default) per connection only feed the
			// garbage collector, runs dial often (every attempt a client
			// abandons closes its connection) and the storm holds
			// 20,000 connections at once.
			WriteBufferSize: connBuffer,
			ReadBufferSize:  connBuffer,
		}
		defer base.CloseIdleConnections()
		env := Env{Base: &counter{base: base, attempts: attempts}, Scale: scale, Rand: seededRand(seed, p.Name)}
		if fleet != nil {
			env.Rand = seededRand(seed, p.Name+"/"+strconv.Itoa(k))
			env.Fleet = fleet.member(k)
		}
		clients[k] = p.New(env)
	}
	g := &generator{sc: &sc, scale: scale, url: srv.URL + "/orders", clients: clients,
		workers: workers, deadline: j.Deadline, recs: make([]Record, len(times))}
	g.run(ctx, t0, times)
	var fleetUse float64
	if fleet != nil {
		fleet.Close()
		fleetUse = fleet.budgetUse()
	}
	srv.Wait() // functions that run on after a 504 count too
	wall := time.Since(t0)

	for i := range g.recs {
		g.recs[i].Attempts = int(attempts[i].Load())
	}
	execs := make([]int, len(times))
	for i := range execs {
		execs[i] = fn.Executions(i)
	}
	// The warm-up's and the cooldown's requests are not measured.
	lo, _ := slices.BinarySearch(times, sc.Warmup)
	hi, _ := slices.BinarySearch(times, sc.Duration)
	var starts []time.Duration
	ownInvocations := 0
	srv.RangeInvocations(func(inv *apigwtest.Invocation) bool {
		starts = append(starts, time.Duration(float64(inv.Start.Sub(t0))/scale))
		if i, err := strconv.Atoi(inv.Header.Get(HeaderRequest)); err == nil && i >= lo && i < hi {
			ownInvocations++
		}
		return true
	})
	r := measure(&sc, g.recs[lo:hi], execs[lo:hi], starts)
	r.Invocations = ownInvocations
	r.Success = SuccessSeries(g.recs[:hi], Bucket, RecoveryWindow, sc.Duration)
	r.Policy = p.Name
	r.PeakInFlight = PeakInFlight(g.recs)
	r.FleetBudgetUse = fleetUse
	r.Seed = seed
	r.Deadline = FormatDeadline(j.Deadline)
	r.Scale = scale
	if !e.virtual {
		r.WallMS = float64(wall) / float64(time.Millisecond)
	}
	return r
}

// connBuffer is the size of a client connection's read and write buffers.
const connBuffer = 1 << 10

// gatewayOverhead is API Gateway's own time on every answer (emulated):
// a few milliseconds, as its IntegrationLatency and Latency metrics differ
// by in practice. It also keeps virtual time exact: without it a 504 after
// a 10 s integration timeout would arrive at the very instant a caller's
// 10 s deadline ends, and which of the two came first would depend on
// goroutine scheduling.
var gatewayOverhead = apigwtest.Uniform{Min: time.Millisecond, Max: 5 * time.Millisecond}

// seededRand returns a uniform [0, n) source for a policy's jitter that
// depends on the seed and the policy's name only; it is safe for
// concurrent use.
func seededRand(seed int64, name string) func(int64) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	var mu sync.Mutex
	return func(n int64) int64 {
		if n <= 0 {
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		return rng.Int64N(n)
	}
}

// FormatDeadline writes a caller's deadline as the JSON and the reports
// do: "none" for 0, else a Go duration in whole seconds when it is one
// ("60s"), else time.Duration's form.
func FormatDeadline(d time.Duration) string {
	switch {
	case d <= 0:
		return "none"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// measure computes a Result from the measured requests' records and
// executions and the start times (emulated) of every invocation, which
// make the load series.
func measure(sc *Scenario, recs []Record, execs []int, starts []time.Duration) Result {
	r := Result{Scenario: sc.Name, Requests: len(recs), Invocations: len(starts), Outcomes: map[string]int{}}
	sent := 0
	for _, rec := range recs {
		r.Attempts += rec.Attempts
		if rec.OK {
			r.Succeeded++
		}
		if rec.Dropped {
			r.Dropped++
		} else {
			sent++
		}
		r.Outcomes[rec.Outcome]++
	}
	if r.Requests > 0 {
		r.SuccessRate = float64(r.Succeeded) / float64(r.Requests)
	}
	if sent > 0 {
		r.Amplification = float64(r.Attempts) / float64(sent)
		var ss float64
		for _, rec := range recs {
			if !rec.Dropped {
				d := float64(rec.Attempts) - r.Amplification
				ss += d * d
			}
		}
		r.AttemptsStdDev = math.Sqrt(ss / float64(sent))
	}
	for _, e := range execs {
		r.Executions += e
	}
	r.Duplicates = Duplicates(policy.IsIdempotent(sc.method()), execs)
	lat := Latencies(recs)
	r.P50, r.P95, r.P99 = Percentile(lat, 50), Percentile(lat, 95), Percentile(lat, 99)
	r.P99OK = Percentile(successLatencies(recs), 99)
	r.SlowestOK, r.SlowestOKAttempts = slowestOK(recs)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	r.Load = CountSeries(starts, Bucket, sc.Duration+sc.Cooldown)
	r.Success = SuccessSeries(recs, Bucket, RecoveryWindow, sc.Duration)
	r.Recovered = true
	if !sc.Window.IsZero() {
		rec, ok := Recovery(recs, sc.Window.To, sc.Duration, Bucket, RecoveryWindow, RecoveredRate)
		r.Recovered = ok
		r.RecoveryMS = float64(rec) / float64(time.Millisecond)
		if !ok {
			r.RecoveryMS = -1
		}
		r.WindowAttempts, r.WindowRequests = WindowAttempts(recs, sc.Window)
		r.WindowFromMS = float64(sc.Window.From) / float64(time.Millisecond)
		r.WindowToMS = float64(sc.Window.To) / float64(time.Millisecond)
	}
	return r
}

// OutcomeNames returns the keys of r.Outcomes, most frequent first.
func (r *Result) OutcomeNames() []string {
	names := make([]string, 0, len(r.Outcomes))
	for k := range r.Outcomes {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := r.Outcomes[b] - r.Outcomes[a]; d != 0 {
			return d
		}
		if a < b {
			return -1
		}
		return 1
	})
	return names
}
