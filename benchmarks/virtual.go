package benchmarks

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// RunVirtual makes the runs in virtual time, c.Parallel at a time
// (default DefaultVirtualParallel), heaviest first, Heavy ones at most
// c.Parallel/2 at a time (at least one: each holds thousands of
// connections, a gigabyte or more), and
// returns their results in the order of jobs; done, when not nil, is
// called after each run, from one goroutine at a time.
//
// Each run happens in its own testing/synctest bubble: the emulator's
// http.Server, the policy's client and its http.Transport, the load
// generator and the functions are all created inside it and talk over an
// in-memory network (buffered connection pairs, memPipe), so the bubble's clock advances
// only when every goroutine in it waits. A 29 s integration timeout takes
// no wall time; and since every random draw comes from the seed (arrivals,
// faults, the function's work, the policies' jitter through Env.Rand), the
// same jobs and Config give the same results, byte for byte, whatever the
// machine's load.
//
// synctest needs a *testing.T. In a test, pass one with WithTesting. In a
// program (retryscope bench), RunVirtual starts testing.Main once, on a
// goroutine of its own that never returns, and runs its bubbles as that
// test's subtests; the program's flags and output are left alone. In a test
// binary without WithTesting it returns an error.
func RunVirtual(ctx context.Context, jobs []Job, c Config, done func(Result)) ([]Result, error) {
	if c.Parallel <= 0 {
		c.Parallel = DefaultVirtualParallel()
	}
	c = c.withDefaults()
	results := make([]Result, len(jobs))
	var mu sync.Mutex
	q := newJobQueue(jobs, max(1, c.Parallel/2))
	body := func(t *testing.T) {
		t.Run("runs", func(t *testing.T) {
			for w := range min(c.Parallel, len(jobs)) {
				t.Run(fmt.Sprintf("worker-%d", w), func(t *testing.T) {
					t.Parallel()
					for {
						i, ok := q.next()
						if !ok || ctx.Err() != nil {
							return
						}
						j := jobs[i]
						var r Result
						t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
							synctest.Test(t, func(*testing.T) { r = runVirtualJob(ctx, j, c) })
						})
						q.finished(j)
						mu.Lock()
						results[i] = r
						if done != nil && ctx.Err() == nil {
							done(r)
						}
						mu.Unlock()
					}
				})
			}
		})
	}
	if t, ok := ctx.Value(testingKey{}).(*testing.T); ok {
		body(t)
		return results, ctx.Err()
	}
	if testing.Testing() {
		return nil, errors.New("benchmarks: RunVirtual in a test binary needs the test's *testing.T (WithTesting)")
	}
	if err := inHost(body); err != nil {
		return nil, err
	}
	return results, ctx.Err()
}

// DefaultVirtualParallel is RunVirtual's default number of runs at once:
// GOMAXPROCS (the cores Go may use). A virtual run is CPU work from start
// to end, and its own goroutines (the clients, the server, the functions)
// and the garbage collector already use more than one core at times: more
// runs at once only add memory and CPU time (measured: -quick's runs took
// 6% more CPU time four at a time than two at a time on 2 cores).
func DefaultVirtualParallel() int { return runtime.GOMAXPROCS(0) }

// jobQueue hands RunVirtual's workers their jobs, heaviest first
// (virtualOrder), with at most maxHeavy Heavy runs at once: a worker that
// cannot take a heavy job takes the next light one instead of waiting.
// The long runs start first and the short ones fill in around them, so
// the cores stay busy to the end instead of waiting on a heavy run
// started last.
type jobQueue struct {
	mu           sync.Mutex
	cond         sync.Cond
	heavy, light []int // job indexes, costliest first
	running      int   // heavy runs under way
	maxHeavy     int
}

func newJobQueue(jobs []Job, maxHeavy int) *jobQueue {
	q := &jobQueue{maxHeavy: maxHeavy}
	q.cond.L = &q.mu
	for _, i := range virtualOrder(jobs) {
		if jobs[i].Scenario.Heavy {
			q.heavy = append(q.heavy, i)
		} else {
			q.light = append(q.light, i)
		}
	}
	return q
}

// next returns the next job to run; ok is false when none is left.
func (q *jobQueue) next() (i int, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		switch {
		case len(q.heavy) > 0 && q.running < q.maxHeavy:
			i, q.heavy = q.heavy[0], q.heavy[1:]
			q.running++
			return i, true
		case len(q.light) > 0:
			i, q.light = q.light[0], q.light[1:]
			return i, true
		case len(q.heavy) == 0:
			return 0, false
		}
		q.cond.Wait() // only heavy jobs are left, and enough run
	}
}

// finished says a job returned by next has ended.
func (q *jobQueue) finished(j Job) {
	if !j.Scenario.Heavy {
		return
	}
	q.mu.Lock()
	q.running--
	q.cond.Broadcast()
	q.mu.Unlock()
}

// virtualOrder returns the order in which RunVirtual starts jobs: the
// costliest first by virtualCost, ties in executionOrder's order.
func virtualOrder(jobs []Job) []int {
	order := executionOrder(jobs)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(virtualCost(jobs[b]), virtualCost(jobs[a])) })
	return order
}

// virtualCost ranks a job by the CPU its run takes, roughly: the scale
// scenarios first, then by emulated length (an outage's 29 s waits and
// retries grow with it), a callers' deadline cutting the cost.
func virtualCost(j Job) float64 {
	cost := (j.Scenario.Duration + j.Scenario.Cooldown).Seconds() * j.Scenario.maxRate()
	if j.Scenario.Heavy {
		cost *= 1000
	}
	if j.Deadline > 0 {
		cost *= 0.8
	}
	return cost
}

// Garbage collection for TuneGC.
const (
	// TunedGCPercent is the GOGC TuneGC sets: 400 (Go's default is 100).
	TunedGCPercent = 400
	// TunedMemoryLimit is the soft memory limit TuneGC sets: 3 GiB.
	TunedMemoryLimit = 3 << 30
)

// TuneGC sets the garbage collector for a process whose work is RunVirtual
// (retryscope bench): GOGC TunedGCPercent, under a soft memory limit of
// TunedMemoryLimit, so that the heap may grow to five times what is live
// (a run allocates much and keeps little) until it nears the limit, where
// the collector works harder instead. Either setting is left alone when
// its environment variable (GOGC, GOMEMLIMIT) is set. It returns a
// function that restores the previous settings. By default nothing calls
// it: the collector is Go's.
func TuneGC() (restore func()) {
	gc, limit := -1, int64(-1)
	if os.Getenv("GOGC") == "" {
		gc = debug.SetGCPercent(TunedGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = debug.SetMemoryLimit(TunedMemoryLimit)
	}
	return func() {
		if gc != -1 {
			debug.SetGCPercent(gc)
		}
		if limit != -1 {
			debug.SetMemoryLimit(limit)
		}
	}
}

// runVirtualJob is one run inside its bubble. ctx comes from outside the
// bubble: waiting on it would keep the bubble's clock still, so a watcher
// polls it every emulated second and cancels the run's own context.
func runVirtualJob(outer context.Context, j Job, c Config) Result {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if outer.Err() != nil {
					cancel()
					return
				}
			}
		}
	}()
	r := runJob(ctx, j, c, virtualEnv())
	close(stop)
	<-watched
	return r
}

type testingKey struct{}

// WithTesting returns a context under which RunVirtual runs its bubbles as
// subtests of t (in a test binary, where RunVirtual cannot start a
// testing.Main of its own).
func WithTesting(ctx context.Context, t *testing.T) context.Context {
	return context.WithValue(ctx, testingKey{}, t)
}

// host is the testing.Main that a program's RunVirtual calls run in: its
// only test reads work from the channel forever, so testing.Main never
// returns (and never exits the process).
var host struct {
	once sync.Once
	work chan func(*testing.T)
	err  error
}

// hostParallel is the testing package's limit on parallel subtests in the
// host; RunVirtual's own semaphore is the limit that counts.
const hostParallel = 4096

func inHost(body func(*testing.T)) error {
	host.once.Do(func() {
		testing.Init()
		fs := flag.CommandLine
		for name, v := range map[string]string{"test.parallel": fmt.Sprint(hostParallel), "test.run": "^Bubbles$", "test.count": "1"} {
			if err := fs.Set(name, v); err != nil {
				host.err = fmt.Errorf("benchmarks: cannot set up the virtual-time host: %w", err)
				return
			}
		}
		if !fs.Parsed() {
			_ = fs.Parse(nil)
		}
		host.work = make(chan func(*testing.T))
		match := func(pat, s string) (bool, error) { return regexp.MatchString(pat, s) }
		go testing.Main(match, []testing.InternalTest{{Name: "Bubbles", F: func(t *testing.T) {
			for f := range host.work {
				f(t)
			}
		}}}, nil, nil)
	})
	if host.err != nil {
		return host.err
	}
	finished := make(chan struct{})
	host.work <- func(t *testing.T) {
		defer close(finished)
		body(t)
	}
	<-finished
	return nil
}
