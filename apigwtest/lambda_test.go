package apigwtest

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// blocker is a handler that holds every invocation until released.
type blocker struct {
	release chan struct{}
	ran     atomic.Int64
}

func newBlocker() *blocker { return &blocker{release: make(chan struct{})} }

func (b *blocker) handler(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	b.ran.Add(1)
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return events.APIGatewayProxyResponse{StatusCode: 200}, nil
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	// A long integration timeout: the held requests must not time out.
	s := NewServer(b.handler, WithConcurrencyLimit(2), WithTimeScale(0.01), WithIntegrationTimeout(20*time.Minute))
	defer s.Close()

	var wg sync.WaitGroup
	held := make([]answer, 2)
	for i := range held {
		wg.Go(func() { held[i] = get(t, s.URL+"/x") })
	}
	eventually(t, "2 invocations in flight", func() bool { return s.Stats().InFlight == 2 })
	for range 5 {
		if got := get(t, s.URL+"/x"); got.status != 500 || got.body != `{"message": "Internal server error"}` {
			t.Errorf("over the limit: %d %q", got.status, got.body)
		}
	}
	close(b.release)
	wg.Wait()
	s.Wait() // the environments are back in the pool
	for _, a := range held {
		if a.status != 200 {
			t.Errorf("held request: %d", a.status)
		}
	}
	st := s.Stats()
	if b.ran.Load() != 2 || st.LambdaThrottled != 5 || st.Invocations != 2 || st.PeakInFlight != 2 || st.Answers[500] != 5 {
		t.Errorf("ran %d, stats %+v", b.ran.Load(), st)
	}
	// With the slots free, requests run again, on warm environments.
	if got := get(t, s.URL+"/x"); got.status != 200 {
		t.Errorf("after release: %d", got.status)
	}
	if st := s.Stats(); st.ColdStarts != 2 {
		t.Errorf("cold starts %d, want 2 (the third invocation reuses one)", st.ColdStarts)
	}
}

func TestRanOnFunctionsHoldConcurrency(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	s := NewServer(b.handler, WithConcurrencyLimit(1), WithTimeScale(0.005))
	defer s.Close()
	if got := get(t, s.URL+"/x"); got.status != 504 {
		t.Fatalf("first: %d, want 504", got.status)
	}
	// The first function still runs: Lambda throttles the retry.
	if got := get(t, s.URL+"/x"); got.status != 500 {
		t.Fatalf("retry: %d, want 500", got.status)
	}
	close(b.release)
	s.Wait()
	if st := s.Stats(); st.RanAfterTimeout != 1 || st.LambdaThrottled != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestGatewayThrottleCounts(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale, WithThrottle(0, 7))
	defer s.Close()
	statuses := map[int]int{}
	for range 20 {
		statuses[get(t, s.URL+"/x").status]++
	}
	if statuses[200] != 7 || statuses[429] != 13 {
		t.Errorf("statuses %v, want 7x200 13x429", statuses)
	}
	if st := s.Stats(); st.Throttled != 13 || st.Invocations != 7 {
		t.Errorf("stats %+v", st)
	}
}

func TestTokenBucketRate(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	b := newTokenBucket(10, 5, t0) // 10/s, burst 5
	allowed := 0
	// 1000 attempts over 10 s of virtual time: burst 5 + 10/s * 10 s.
	for i := range 1000 {
		if b.allowAt(t0.Add(time.Duration(i) * 10 * time.Millisecond)) {
			allowed++
		}
	}
	if allowed < 104 || allowed > 105 {
		t.Errorf("allowed %d, want 5 + 100 (rounding: 104..105)", allowed)
	}
	// A long pause refills only up to the burst.
	n := 0
	for b.allowAt(t0.Add(time.Hour)) {
		n++
	}
	if n != 5 {
		t.Errorf("after an hour %d tokens, want the burst 5", n)
	}
}

// TestColdStartAndIdleExpiry: the first invocation starts an environment,
// the next reuses it, and one after the (scaled) idle expiry starts a new
// one. In a synctest bubble over an in-memory listener: the idle expiry
// (15 min at 0.001, 900 ms) is exact, so the reuse cannot miss it on a
// loaded machine, and the checks sit on either side of it: reused 1 ms
// before it ends, a cold start again 1 ms after.
func TestColdStartAndIdleExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ln := newMemListener()
		s := NewServer(ok, WithTimeScale(0.001), WithIntegrationTimeout(10*time.Minute),
			WithIdleExpiry(15*time.Minute), WithListener(ln)) // 900 ms real
		defer s.Close()
		c := ln.client(t)
		const ttl = 900 * time.Millisecond
		_ = memGet(t, c, s.URL+"/x")
		s.Wait()
		time.Sleep(ttl - time.Millisecond)
		_ = memGet(t, c, s.URL+"/x")
		s.Wait()
		if st := s.Stats(); st.ColdStarts != 1 || st.Invocations != 2 {
			t.Fatalf("warm reuse 1 ms before the idle expiry: %+v", st)
		}
		time.Sleep(ttl + time.Millisecond)
		_ = memGet(t, c, s.URL+"/x")
		var cold []bool
		for _, inv := range s.Invocations() {
			cold = append(cold, inv.ColdStart)
		}
		if !slices.Equal(cold, []bool{true, false, true}) {
			t.Errorf("cold starts %v, want [true false true]", cold)
		}
	})
}

func TestFaultRates(t *testing.T) {
	t.Parallel()
	var ran atomic.Int64
	s := NewServer(func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		ran.Add(1)
		return ok(ctx, r)
	}, fastScale, WithSeed(7), WithFault(Fault{ErrorRate: 0.3, MalformedRate: 0.2}))
	defer s.Close()
	statuses := map[int]int{}
	for range 200 {
		statuses[get(t, s.URL+"/x").status]++
	}
	st := s.Stats()
	// Injected errors do not run the handler; malformed responses do.
	if int64(statuses[200]) != ran.Load()-int64(statuses[502]-int(st.FunctionErrors)) {
		t.Errorf("statuses %v, ran %d, function errors %d", statuses, ran.Load(), st.FunctionErrors)
	}
	if st.FunctionErrors < 30 || st.FunctionErrors > 90 {
		t.Errorf("function errors %d of 200 at rate 0.3", st.FunctionErrors)
	}
	if mal := statuses[502] - int(st.FunctionErrors); mal < 10 || mal > 60 {
		t.Errorf("malformed %d of 200 at rate 0.2*0.7", mal)
	}
}

func TestScheduleOutage(t *testing.T) {
	t.Parallel()
	var ran atomic.Int64
	s := NewServer(func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		ran.Add(1)
		return ok(ctx, r)
	}, WithTimeScale(0.005), WithSchedule(
		Phase{From: 0, To: time.Hour, Fault: Fault{Outage: OutageTimeout}},
	))
	defer s.Close()
	for range 3 {
		if got := get(t, s.URL+"/x"); got.status != 504 {
			t.Errorf("during the outage: %d", got.status)
		}
	}
	s.Wait()
	if st := s.Stats(); ran.Load() != 3 || st.RanAfterTimeout != 3 {
		t.Errorf("ran %d, stats %+v", ran.Load(), st)
	}
}

func TestSchedulePhasesByTime(t *testing.T) {
	t.Parallel()
	// Phases are in emulated time; the fault func sees the same clock.
	var seen []time.Duration
	var mu sync.Mutex
	s := NewServer(ok, WithTimeScale(0.001), WithIntegrationTimeout(10*time.Minute), WithFaultFunc(func(m Moment) Fault {
		mu.Lock()
		seen = append(seen, m.Elapsed)
		mu.Unlock()
		if m.Elapsed < time.Hour {
			return Fault{Outage: OutageFunctionError}
		}
		return Fault{}
	}))
	defer s.Close()
	if got := get(t, s.URL+"/x"); got.status != 502 {
		t.Errorf("first hour: %d", got.status)
	}
	if len(seen) != 1 || seen[0] <= 0 {
		t.Errorf("elapsed %v", seen)
	}
}

func TestLatencyModels(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	if d := Fixed(time.Second).Draw(r, 1); d != time.Second {
		t.Error(d)
	}
	for range 100 {
		if d := (Uniform{Min: time.Second, Max: 2 * time.Second}).Draw(r, 1); d < time.Second || d >= 2*time.Second {
			t.Fatal(d)
		}
		if d := (Normal{Mean: 10 * time.Millisecond, StdDev: 50 * time.Millisecond}).Draw(r, 1); d < 0 {
			t.Fatal(d)
		}
	}
	slow := 0
	for range 1000 {
		if (SlowShare{Share: 0.1, Slow: Fixed(time.Minute)}).Draw(r, 1) == time.Minute {
			slow++
		}
	}
	if slow < 50 || slow > 150 {
		t.Errorf("slow share %d/1000 at 0.1", slow)
	}
	o := Overload{Base: 100 * time.Millisecond, Capacity: 10}
	if o.Draw(r, 5) != 100*time.Millisecond || o.Draw(r, 40) != 400*time.Millisecond {
		t.Errorf("overload %v %v", o.Draw(r, 5), o.Draw(r, 40))
	}
}

// An overload model that degrades with concurrency stays down while
// functions that ran past the timeout keep their slots: every request of a
// second wave times out, though each alone would be fast.
func TestOverloadIsMetastable(t *testing.T) {
	t.Parallel()
	// Base 1 s, capacity 1: at 30 in flight each takes 30 s > 29 s.
	s := NewServer(ok, WithTimeScale(0.01), WithColdStart(0),
		WithFault(Fault{Latency: Overload{Base: time.Second, Capacity: 1}}))
	defer s.Close()
	var wg sync.WaitGroup
	var timeouts atomic.Int64
	for range 80 {
		wg.Go(func() {
			if get(t, s.URL+"/x").status == 504 {
				timeouts.Add(1)
			}
		})
	}
	wg.Wait()
	if timeouts.Load() == 0 {
		t.Errorf("no 504s under overload (peak in flight %d)", s.Stats().PeakInFlight)
	}
	s.Wait()
	// Alone, the backend is fast again.
	if got := get(t, s.URL+"/x"); got.status != 200 {
		t.Errorf("after the wave: %d", got.status)
	}
}

func TestCloseCancelsRunningFunctionsAfterGrace(t *testing.T) {
	t.Parallel()
	b := newBlocker()
	s := NewServer(b.handler, WithTimeScale(0.001), WithCloseGrace(50*time.Millisecond))
	if got := get(t, s.URL+"/x"); got.status != 504 {
		t.Fatalf("%d", got.status)
	}
	s.Close() // the handler only returns when its context is cancelled
	s.Close() // idempotent
	inv := s.Invocations()[0]
	if inv.End.IsZero() || inv.Finished {
		t.Errorf("after Close: %+v", inv)
	}
	resp, err := http.Get(s.URL + "/x")
	if err == nil {
		resp.Body.Close()
		t.Error("a closed server still answers")
	}
}

// What a benchmark does: every attempt of one logical request carries the
// same header; grouping the ground truth by it counts executions per
// logical request, including those the client never saw succeed.
func TestGroupInvocationsByLogicalRequest(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	release := make(chan struct{})
	s := NewServer(func(ctx context.Context, r events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if calls.Add(1) <= 2 {
			<-release // the first two attempts time out
		}
		return events.APIGatewayProxyResponse{StatusCode: 201}, nil
	}, WithTimeScale(0.02)) // 580 ms
	defer s.Close()
	var statuses []int
	for range 3 { // a naive client retrying a POST after 504
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/orders", nil)
		req.Header.Set("X-Logical-Request", "order-1")
		statuses = append(statuses, do(t, req).status)
	}
	close(release)
	s.Wait()
	perLogical := map[string]int{}
	for _, inv := range s.Invocations() {
		if inv.Finished {
			perLogical[inv.Header.Get("X-Logical-Request")]++
		}
	}
	if statuses[0] != 504 || statuses[1] != 504 || statuses[2] != 201 || perLogical["order-1"] != 3 {
		t.Errorf("statuses %v, executions %v: want 504 504 201 and 3 executions of order-1", statuses, perLogical)
	}
}

func TestInvocationHistory(t *testing.T) {
	t.Parallel()
	s := NewServer(ok, fastScale, WithInvocationHistory(3))
	defer s.Close()
	var ids []string
	for range 10 {
		ids = append(ids, get(t, s.URL+"/x").header.Get("x-amzn-RequestId"))
	}
	invs := s.Invocations()
	if len(invs) != 3 || invs[0].RequestID != ids[7] || invs[2].RequestID != ids[9] {
		t.Errorf("kept %d records", len(invs))
	}
	if st := s.Stats(); st.Invocations != 10 {
		t.Errorf("stats %+v", st)
	}
}
