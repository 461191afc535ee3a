package benchmarks

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
)

// postTimeouts is a short scenario in which every POST's function outlives
// a 1 s integration timeout and then completes: every retry after the 504
// runs the function again.
func postTimeouts() Scenario {
	return Scenario{
		Name:     "test-post-timeouts",
		Method:   http.MethodPost,
		Load:     steadyLoad(4),
		Duration: 3 * time.Second,
		Window:   Window{From: 0, To: 3 * time.Second},
		Scale:    0.02,
		Work:     apigwtest.Fixed(1500 * time.Millisecond),
		Server: func(int64) []apigwtest.Option {
			return []apigwtest.Option{apigwtest.WithIntegrationTimeout(time.Second)}
		},
	}
}

func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	sc := postTimeouts()
	rh, _ := PolicyByName("retryablehttp")
	rs, _ := PolicyByName("retryscope")
	var done []string
	results := Run(context.Background(), []Job{{Scenario: sc, Policy: rh}, {Scenario: sc, Policy: rs}}, Config{Quick: true, Seed: 7}, func(r Result) {
		done = append(done, r.Policy)
	})
	if len(results) != 2 || len(done) != 2 {
		t.Fatalf("got %d results, %d callbacks; want 2 and 2", len(results), len(done))
	}
	peer, ours := results[0], results[1]
	if peer.Policy != "retryablehttp" || ours.Policy != "retryscope" {
		t.Fatalf("results out of order: %s, %s", peer.Policy, ours.Policy)
	}
	n := len(arrivals(&sc, 7))
	for _, r := range results {
		if r.Requests != n || r.Dropped != 0 {
			t.Errorf("%s: %d requests (%d dropped), want %d arrivals", r.Policy, r.Requests, r.Dropped, n)
		}
		if r.Succeeded != 0 {
			t.Errorf("%s: %d succeeded, want 0 (every function outlives the timeout)", r.Policy, r.Succeeded)
		}
		// Ground truth: every attempt reached Lambda and every invocation
		// ran the function to its end (after the 504).
		if r.Invocations != r.Attempts || r.Executions != r.Attempts {
			t.Errorf("%s: attempts %d, invocations %d, executions %d; want them equal", r.Policy, r.Attempts, r.Invocations, r.Executions)
		}
		if r.P50 < 1000 {
			t.Errorf("%s: p50 %.0f ms, want at least the 1 s integration timeout", r.Policy, r.P50)
		}
	}
	// go-retryablehttp retries POST 504s: 5 attempts, 5 executions each.
	if peer.Attempts != 5*n || peer.Duplicates != n {
		t.Errorf("retryablehttp: %d attempts, %d duplicates; want %d and %d", peer.Attempts, peer.Duplicates, 5*n, n)
	}
	// retryscope does not repeat a POST that reached the function; its
	// breaker may open after five 504s and refuse the rest.
	if ours.Attempts > n || ours.Duplicates != 0 || ours.Outcomes["504"]+ours.Outcomes["circuit_open"] != n {
		t.Errorf("retryscope: %d attempts, %d duplicates, outcomes %v; want at most %d, 0, only 504 and circuit_open",
			ours.Attempts, ours.Duplicates, ours.Outcomes, n)
	}
	if ours.WindowAttempts > 1 || ours.WindowRequests != n {
		t.Errorf("retryscope: %.2f attempts per request in the window over %d, want at most 1 over %d", ours.WindowAttempts, ours.WindowRequests, n)
	}
}

func TestPlanAndNames(t *testing.T) {
	t.Parallel()
	jobs := Plan(Scenarios(), Policies(), false)
	// retryscope-idempotency runs only in post-timeouts and
	// retryscope-fleet only in fleet unless named; the heavy scenarios
	// run their own lists of policies.
	want := 0
	for _, sc := range Scenarios() {
		if len(sc.Policies) > 0 {
			want += len(sc.Policies)
		} else {
			want += len(Policies()) - 2
		}
	}
	want++ // retryscope-idempotency in post-timeouts
	if len(jobs) != want {
		t.Errorf("Plan: %d jobs, want %d", len(jobs), want)
	}
	// Heavy scenarios run once, for the first deadline and seed.
	ex := Expand(jobs, []time.Duration{0, time.Minute}, []int64{1, 2, 3})
	heavy := 0
	for _, j := range ex {
		if j.Scenario.Heavy {
			heavy++
			if j.Deadline != 0 || j.Seed != 1 {
				t.Errorf("heavy %s/%s ran for deadline %v seed %d", j.Scenario.Name, j.Policy.Name, j.Deadline, j.Seed)
			}
		}
	}
	if len(ex) != 6*(len(jobs)-heavy)+heavy {
		t.Errorf("Expand: %d jobs from %d (%d heavy), want each light one 6 times", len(ex), len(jobs), heavy)
	}
	if got := len(Plan(Scenarios(), Policies(), true)); got != len(Scenarios())*len(Policies()) {
		t.Errorf("Plan with named policies: %d jobs, want every pair", got)
	}
	for _, n := range ScenarioNames() {
		sc, ok := ScenarioByName(n)
		if !ok || sc.Scale <= 0 || sc.Duration <= 0 || len(sc.Load) == 0 || sc.Load[0].At != 0 || sc.Server == nil {
			t.Errorf("scenario %q is incomplete", n)
		}
		if !sc.Window.IsZero() && (sc.Window.To <= sc.Window.From || sc.Window.To > sc.Duration) {
			t.Errorf("scenario %q: window %v outside its duration", n, sc.Window)
		}
	}
	if _, ok := ScenarioByName("nope"); ok {
		t.Error("ScenarioByName found nope")
	}
	if _, ok := PolicyByName("nope"); ok {
		t.Error("PolicyByName found nope")
	}
}

func TestArrivalsRepeat(t *testing.T) {
	t.Parallel()
	sc, _ := ScenarioByName("cold-start")
	a, b := arrivals(&sc, 3), arrivals(&sc, 3)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("arrivals differ in length: %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("arrival %d differs: %v, %v", i, a[i], b[i])
		}
	}
	// The burst: 10/s between 20 s and 30 s, 0.5/s before.
	before, burst := 0, 0
	for _, t := range a {
		switch {
		case t < 20*time.Second:
			before++
		case t < 30*time.Second:
			burst++
		}
	}
	if burst < 5*max(before, 1) {
		t.Errorf("burst %d arrivals vs %d before: the rate steps are not followed", burst, before)
	}
	if c := arrivals(&sc, 4); len(c) == len(a) && c[0] == a[0] {
		t.Error("another seed gave the same arrivals")
	}
}
