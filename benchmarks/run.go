package benchmarks

import (
	"context"
	"math"
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
	// Parallel is how many runs go at once. Default DefaultParallel.
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
	// DefaultParallel is the default number of runs at once: 12. Runs
	// mostly sleep (in scaled time), so this fits two cores.
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
}

// Plan returns the runs for scenarios x policies, scenario by scenario. A
// policy whose Only list excludes a scenario is left out unless
// allPolicies is true (the user named the policies).
func Plan(scenarios []Scenario, policies []Policy, allPolicies bool) []Job {
	var jobs []Job
	for _, s := range scenarios {
		for _, p := range policies {
			if allPolicies || p.appliesTo(s.Name) {
				jobs = append(jobs, Job{Scenario: s, Policy: p})
			}
		}
	}
	return jobs
}

// Run makes the runs, c.Parallel at a time, and returns their results in
// the order of jobs. done, when not nil, is called after each run (from one
// goroutine at a time).
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
				r := RunOne(ctx, jobs[i].Scenario, jobs[i].Policy, c)
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

// RunOne runs scenario sc with policy p: it starts an emulator, offers the
// load through the policy's client, waits for the logical requests and for
// the functions still running, and measures.
func RunOne(ctx context.Context, sc Scenario, p Policy, c Config) Result {
	c = c.withDefaults()
	scale := c.scaleFor(&sc)
	times := arrivals(&sc, c.Seed)
	fn := NewFunction(len(times), sc.Work, c.Seed)
	opts := append(sc.Server(c.Seed), apigwtest.WithTimeScale(scale), apigwtest.WithSeed(c.Seed))
	srv := apigwtest.NewServer(fn.Handle, opts...)
	t0 := time.Now()
	defer srv.Close()

	base := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: c.Workers,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer base.CloseIdleConnections()
	cnt := &counter{base: base, attempts: make([]atomic.Int32, len(times))}
	g := &generator{sc: &sc, scale: scale, url: srv.URL + "/orders", client: p.New(cnt, scale),
		workers: c.Workers, recs: make([]Record, len(times))}
	g.run(ctx, t0, times)
	srv.Wait() // functions that run on after a 504 count too
	wall := time.Since(t0)

	for i := range g.recs {
		g.recs[i].Attempts = int(cnt.attempts[i].Load())
	}
	execs := make([]int, len(times))
	for i := range execs {
		execs[i] = fn.Executions(i)
	}
	// The warm-up's and the cooldown's requests are not measured.
	lo, _ := slices.BinarySearch(times, sc.Warmup)
	hi, _ := slices.BinarySearch(times, sc.Duration)
	invs := srv.Invocations()
	starts := make([]time.Duration, 0, len(invs))
	ownInvocations := 0
	for _, inv := range invs {
		starts = append(starts, time.Duration(float64(inv.Start.Sub(t0))/scale))
		if i, err := strconv.Atoi(inv.Header.Get(HeaderRequest)); err == nil && i >= lo && i < hi {
			ownInvocations++
		}
	}
	r := measure(&sc, g.recs[lo:hi], execs[lo:hi], starts)
	r.Invocations = ownInvocations
	r.Success = SuccessSeries(g.recs[:hi], Bucket, RecoveryWindow, sc.Duration)
	r.Policy = p.Name
	r.Scale = scale
	r.WallMS = float64(wall) / float64(time.Millisecond)
	return r
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
